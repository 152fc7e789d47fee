"""The members of the run, fill and readiness resources, declared once.

:mod:`inspector.web.runs.context` and :mod:`inspector.web.runs.api` fill
them (mypy checks they fill exactly these) and
:mod:`inspector.web.runs.openapi` derives the published schemas.  No
``from __future__ import annotations`` here: ``NotRequired`` must be seen
at run time for ``__required_keys__``.
"""

from typing import Annotated, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from inspector.web.jsonapi import PageMeta
from inspector.web.openapi.schema import DateTime, Hash, Since, TimeTypeName

__all__ = [
    "FillAttributes",
    "FoundIov",
    "ReadinessAttributes",
    "ReadinessGlobalTag",
    "ReadinessListMeta",
    "ReadinessRecord",
    "RecordReadinessAttributes",
    "RunAttributes",
    "RunDetailAttributes",
    "RunListMeta",
    "RunMeta",
    "RunReadinessAttributes",
    "RunUnits",
]

_SECONDS = Annotated[float, Field(ge=0)]
_NEEDS_UPLOAD = Annotated[
    bool,
    Field(
        description="an express/prompt/PCL tag of a global tag that sees every upload: ready "
        "only once an IOV at or after the run arrived"
    ),
]
_STATE = Annotated[
    Literal["ready", "waiting", "missing"],
    Field(description="waiting: only an older IOV is valid; missing: no IOV is valid"),
]


class RunAttributes(TypedDict):
    """A run: when it started and ended, and its LHC fill."""

    run_number: Annotated[int, Field(ge=0)]
    start_time: DateTime
    end_time: DateTime
    duration_seconds: _SECONDS
    fill_number: Annotated[
        int | None,
        Field(description="LHC fill; null without fill information (see meta.fills_available)"),
    ]


class FillAttributes(TypedDict):
    """An LHC fill: its span and its runs."""

    fill_number: int
    start_time: Annotated[DateTime, Field(description="start of the fill's first run")]
    end_time: Annotated[DateTime, Field(description="end of the fill's last run")]
    duration_seconds: _SECONDS
    runs: list[int]


class RunDetailAttributes(RunAttributes):
    """A run with its fill (null without fill information)."""

    fill: FillAttributes | None


class FoundIov(TypedDict):
    """The IOV valid at a point, with its since readable."""

    since: Since
    since_text: str
    payload_hash: Hash
    insertion_time: DateTime


class RecordReadinessAttributes(TypedDict):
    """Whether one record of the global tag has an IOV for the run."""

    record: str
    label: str
    tag: str
    time_type: TimeTypeName
    at: Annotated[
        Since | None,
        Field(
            description="the since looked up: the run, its first lumisection or its start "
            "time; null for Hash/User tags (their newest IOV counts)"
        ),
    ]
    at_text: str | None
    covered: Annotated[bool, Field(description="an IOV (old or new) is valid for the run")]
    needs_upload: _NEEDS_UPLOAD
    state: _STATE
    iov: FoundIov | None


class ReadinessAttributes(TypedDict):
    """Whether every record of a global tag has conditions for a run."""

    run_number: int
    global_tag: str
    snapshot_time: Annotated[
        DateTime, Field(description="the global tag's snapshot: later insertions are ignored")
    ]
    ready: Annotated[bool, Field(description="every record is ready for the run")]
    missing: Annotated[
        list[str], Field(description="record or record/label not ready (waiting or without IOV)")
    ]
    records: list[RecordReadinessAttributes]


class RunReadinessAttributes(TypedDict):
    """One run of the readiness table: ready, or which records it waits for."""

    run_number: Annotated[int, Field(ge=0)]
    fill_number: int | None
    start_time: DateTime
    end_time: DateTime
    ready: Annotated[bool, Field(description="every record of the global tag is ready")]
    waiting: Annotated[
        list[str],
        Field(description="records only covered by an older IOV: their upload has not arrived"),
    ]
    missing: Annotated[list[str], Field(description="records with no IOV valid for the run")]


class ReadinessGlobalTag(TypedDict):
    """The global tag the runs are judged against."""

    name: str
    insertion_time: DateTime
    snapshot_time: DateTime
    sees_every_upload: Annotated[
        bool, Field(description="the far-future snapshot of a running workflow's global tag")
    ]


class ReadinessRecord(TypedDict):
    """A record of the global tag, its tag and what the rule asks of it."""

    record: str
    label: str
    tag: str
    synchronization: str
    needs_upload: _NEEDS_UPLOAD
    newest_since_text: Annotated[
        str | None, Field(description="the tag's newest since as the global tag sees it")
    ]


class ReadinessListMeta(PageMeta):
    """The page counts (of the runs kept by filter[ready]), the rule and the records."""

    global_tag: ReadinessGlobalTag
    records: list[ReadinessRecord]
    runs: Annotated[int, Field(ge=0, description="runs the run filters selected")]
    ready_runs: Annotated[int, Field(ge=0, description="of those, ready")]
    not_ready_runs: Annotated[int, Field(ge=0, description="of those, not ready")]
    rule: Annotated[str, Field(description="when a run is ready (docs/runs-and-watch.md)")]


class RunUnits(TypedDict):
    """Units of numeric attributes."""

    duration_seconds: Literal["s"]


_FILLS_AVAILABLE = Annotated[bool, Field(description="whether the database has fill information")]


class RunMeta(TypedDict):
    """What one run's numbers are in, and whether fills are known."""

    units: RunUnits
    fills_available: _FILLS_AVAILABLE


class RunListMeta(PageMeta):
    """The page counts, and whether the database knows runs and fills."""

    units: RunUnits
    runs_available: Annotated[
        bool,
        Field(
            description="whether the database has run information (a RUN_INFO table); "
            "without it the list is empty"
        ),
    ]
    fills_available: _FILLS_AVAILABLE
    note: NotRequired[
        Annotated[str, Field(description="why the list is empty, when there is no RUN_INFO")]
    ]
