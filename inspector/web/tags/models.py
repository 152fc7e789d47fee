"""The members of the tag and IOV resources, declared once.

The serializers in :mod:`inspector.web.tags.api` return these (mypy checks
they fill exactly these members) and the OpenAPI schemas in
:mod:`inspector.web.tags.openapi` are derived from them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from inspector.web.jsonapi import PageMeta
from inspector.web.openapi.schema import DateTime, Hash, Since, TimeTypeName

__all__ = ["IovAttributes", "IovListMeta", "SinceUnits", "TagAttributes"]


class TagAttributes(TypedDict):
    """A tag's metadata (the TAG row)."""

    time_type: TimeTypeName
    object_type: str
    synchronization: str
    description: str
    end_of_validity: Annotated[Since, Field(description="raw since; 0 when none is set")]
    insertion_time: DateTime
    modification_time: DateTime


class IovAttributes(TypedDict):
    """One interval of validity: where it starts and ends, and its payload."""

    since: Since
    since_text: Annotated[str, Field(description="run, run:lumisection or ISO time")]
    until: Annotated[
        Since,
        Field(description="exclusive end: the next since, or the end of validity for the last IOV"),
    ]
    until_text: str
    payload_hash: Hash
    insertion_time: DateTime


class SinceUnits(TypedDict):
    """Units of numeric attributes."""

    since: str
    until: str


class IovListMeta(PageMeta):
    """The page counts, and the tag and snapshot the IOVs were read at."""

    tag: str
    time_type: TimeTypeName
    snapshot: Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]
    units: SinceUnits
