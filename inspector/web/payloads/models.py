"""The members of the payload resource, declared once.

:mod:`inspector.web.payloads.routes` fills them (mypy checks it fills
exactly these) and :mod:`inspector.web.payloads.openapi` derives the
published schema from them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from inspector.payload.archive.streamer import StreamerInfoFields
from inspector.web.openapi.schema import DateTime

__all__ = ["FieldSummary", "PayloadAttributes"]


class FieldSummary(TypedDict):
    """Statistics in physical units; null when not numeric or empty."""

    name: Annotated[str, Field(description="field, or record.member")]
    kind: str
    dtype: Annotated[str, Field(description="numpy dtype with byte order, e.g. <f4")]
    shape: list[Annotated[int, Field(ge=0)]]
    unit: str
    min: float | None
    max: float | None
    mean: float | None
    std: float | None


class PayloadAttributes(TypedDict):
    """A payload's metadata and a summary of every decoded field."""

    object_type: str
    version: str
    size: Annotated[int, Field(ge=0, description="blob size")]
    insertion_time: DateTime
    streamer_info: StreamerInfoFields
    fields: list[FieldSummary]
