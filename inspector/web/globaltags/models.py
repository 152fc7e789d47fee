"""The members of the global-tag resource, declared once.

:mod:`inspector.web.globaltags.routes` fills them (mypy checks it fills
exactly these) and :mod:`inspector.web.globaltags.openapi` derives the
published schema from them.  No ``from __future__ import annotations``
here: ``NotRequired`` must be seen at run time for ``__required_keys__``.
"""

from typing import Annotated, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from inspector.web.openapi.schema import DateTime

__all__ = ["GlobalTagAttributes", "GlobalTagRecord"]


class GlobalTagRecord(TypedDict):
    """One line of the global tag: the tag a (record, label) reads."""

    record: str
    label: str
    tag: str


class GlobalTagAttributes(TypedDict):
    """A global tag's metadata and, on its own document, its lines."""

    validity: int
    description: str
    release: str
    insertion_time: DateTime
    snapshot_time: DateTime
    records: NotRequired[
        Annotated[list[GlobalTagRecord], Field(description="only on the global tag's own document")]
    ]
