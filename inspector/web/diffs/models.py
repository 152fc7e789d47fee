"""The members of the diff rows, declared once.

:mod:`inspector.web.diffs.api` fills them (mypy checks it fills exactly
these) and :mod:`inspector.web.diffs.openapi` derives the published schemas.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field
from typing_extensions import TypedDict

from inspector.conddb.diff import DIFF_STATUSES
from inspector.web.openapi.schema import Hash, Since, one_of

__all__ = ["STATUSES", "GlobalTagDiffAttributes", "StatusName", "TagDiffAttributes"]

#: The statuses of a diff row, in their order.
STATUSES: Final = list(DIFF_STATUSES)
StatusName = Annotated[str, one_of(STATUSES)]


class TagDiffAttributes(TypedDict):
    """A stretch of since where both tags keep one payload each (or none)."""

    since: Since
    since_text: str
    until: Annotated[Since, Field(description="exclusive end: the next boundary of either tag")]
    until_text: str
    status: StatusName
    payload_hash_a: Annotated[Hash | None, Field(description="null: A has no IOV valid here")]
    payload_hash_b: Annotated[Hash | None, Field(description="null: B has no IOV valid here")]


class GlobalTagDiffAttributes(TypedDict):
    """A (record, label) and the tag each global tag gives it (null: none)."""

    record: str
    label: str
    tag_a: str | None
    tag_b: str | None
    status: StatusName
