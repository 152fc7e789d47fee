"""Conditions database access (CMS CondDB v2 schema) — no HTTP, no rendering."""

from inspector.conddb.database import ConditionsDB, open_database
from inspector.conddb.models import (
    GlobalTag,
    GlobalTagEntry,
    Iov,
    IovList,
    Page,
    Payload,
    PayloadInfo,
    Tag,
)
from inspector.conddb.ranges import RangeResolver
from inspector.conddb.runs import Fill, RunInfo, RunTimeline
from inspector.conddb.timetypes import TimeType, format_since, parse_since, since_texts
from inspector.conddb.writer import ConditionsWriter, payload_hash

__all__ = [
    "ConditionsDB",
    "ConditionsWriter",
    "Fill",
    "GlobalTag",
    "GlobalTagEntry",
    "Iov",
    "IovList",
    "Page",
    "Payload",
    "PayloadInfo",
    "RangeResolver",
    "RunInfo",
    "RunTimeline",
    "Tag",
    "TimeType",
    "format_since",
    "open_database",
    "parse_since",
    "payload_hash",
    "since_texts",
]
