"""Run readiness: does every record of a global tag have conditions for a run?

What a reconstruction system asks before it starts on a run, and what a
calibration expert asks of a whole period ("which runs are ready, which
workflows are late").  Each record's tag is looked up at the run's first
*position* (the run itself for Run tags, its first lumisection for Lumi
tags, its start time for Time tags) as the global tag sees it: rows
inserted after its snapshot time are ignored, and nothing is valid past a
tag's end of validity.  Hash and User tags do not follow runs: their newest
IOV counts.

What counts as ready follows the tag's **synchronization**.  The CMS
upload service lets a tag synchronized with a running workflow (``hlt``,
``express``, ``prompt``, ``pcl``) receive new IOVs only at or after that
workflow's first condition-safe run: history cannot be rewritten, only
appended for runs still to be processed.  So, for such a tag, an IOV valid
at a run merely because it is the newest (open-ended) one proves nothing:
the calibration for that run may still be on its way.  The run is ready
for the record once the tag has an IOV starting at or after the run's
position — uploaded for that run, or for a later one, after which nothing
can be appended for it any more.  That is exactly when the calibration
watch counts the run as *covered* (:func:`inspector.watch.waiting_point`).
``hlt`` is not among them although it is a running workflow's: the HLT
takes IOVs only from the next run to start on, so a run's HLT conditions
are final the moment it starts.  Other tags (``offline``, ``any``,
``validation``, ``mc``, ``runmc`` and unknown names) are ready wherever an
IOV is valid, and so is every tag of a *frozen* global tag (a snapshot in
the past: nothing uploaded later can reach it, so nothing is awaited).
See docs/runs-and-watch.md.

One computation serves a single run and a table of many: per record, the
first and newest since of its tag (one query), against which any number of
runs is judged (:func:`readiness_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from inspector.conddb import ConditionsDB, GlobalTag, Iov, RunInfo, Tag, TimeType
from inspector.conddb.timetypes import datetime_to_since, pack_lumi

__all__ = [
    "READINESS_RULE",
    "RUN_SYNCHRONIZED",
    "Readiness",
    "ReadinessTable",
    "RecordReadiness",
    "RecordSpan",
    "RecordState",
    "RunReadiness",
    "needs_upload",
    "readiness_table",
    "record_state",
    "run_position",
    "run_readiness",
]

#: Synchronizations whose tags take IOVs for runs after they were taken,
#: until the workflow has processed them: a run is ready for them once an
#: IOV at or after it arrived.
RUN_SYNCHRONIZED: Final = frozenset({"express", "prompt", "pcl"})


#: The rule as the pages and the API state it (docs/runs-and-watch.md says why).
READINESS_RULE: Final = (
    "A run is ready when every record of the global tag has conditions for it, looked up at the "
    "run's start (Run tags: the run; Lumi tags: its first lumisection; Time tags: its start "
    "time) as the global tag sees them. For express, prompt and PCL tags of a global tag that "
    "sees every upload, an older open-ended IOV is not enough: the run waits until the tag has "
    "an IOV starting at or after the run (its own upload, or a later run's, after which nothing "
    "can be added for it). HLT, offline and other tags, and every tag of a frozen global tag "
    "(snapshot in the past), are ready wherever an IOV is valid."
)


class RecordState(StrEnum):
    """One record of a global tag at one run."""

    READY = "ready"
    #: Only an older IOV is valid: the run's own upload has not arrived.
    WAITING = "waiting"
    #: No IOV is valid for the run at all.
    MISSING = "missing"


def needs_upload(tag: Tag, gt: GlobalTag) -> bool:
    """Whether, in ``gt``, a run is ready for ``tag`` only once an IOV at or after it arrived.

    Only for a tag synchronized with a workflow that calibrates runs after
    they are taken (:data:`RUN_SYNCHRONIZED`), that follows runs (not
    Hash/User), in a global tag that sees every upload.
    """
    follows_runs = tag.time_type in (TimeType.RUN, TimeType.LUMI, TimeType.TIME)
    synchronized = tag.synchronization.strip().lower() in RUN_SYNCHRONIZED
    return follows_runs and synchronized and gt.sees_every_upload


def run_position(run: RunInfo, time_type: TimeType) -> int | None:
    """The since at which a run starts for a tag of ``time_type`` (``None``: Hash/User)."""
    if time_type is TimeType.RUN:
        return run.run_number
    if time_type is TimeType.LUMI:
        return pack_lumi(run.run_number, 1)
    if time_type is TimeType.TIME:
        return datetime_to_since(run.start_time)
    return None


@dataclass(frozen=True)
class RecordSpan:
    """One (record, label) of a global tag, its tag and the tag's since span at the snapshot."""

    record: str
    label: str
    tag: Tag
    span: tuple[int, int] | None  # first and newest since; None: no IOV
    needs_upload: bool  # see needs_upload()

    @property
    def name(self) -> str:
        """``record`` or ``record/label``, as errors and lists name it."""
        return f"{self.record}/{self.label}" if self.label else self.record


def record_state(record: RecordSpan, position: int | None) -> RecordState:
    """The rule, for one record at one run position (``None``: Hash/User, the newest IOV counts).

    An IOV is valid at the position when it lies between the tag's first
    since and its end of validity; a record that needs an upload is ready
    only when the tag's newest since is at or after the position.
    """
    if record.span is None:
        return RecordState.MISSING
    if position is None:
        return RecordState.READY
    first, newest = record.span
    if not first <= position < record.tag.end:
        return RecordState.MISSING
    if record.needs_upload and newest < position:
        return RecordState.WAITING
    return RecordState.READY


@dataclass(frozen=True)
class RunReadiness:
    """One run against every record of a global tag (states in the table's record order)."""

    run: RunInfo
    states: tuple[RecordState, ...]

    @property
    def ready(self) -> bool:
        """Every record is ready for the run."""
        return all(s is RecordState.READY for s in self.states)


@dataclass(frozen=True)
class ReadinessTable:
    """Runs × records of a global tag: the cross-run view of readiness."""

    global_tag: GlobalTag
    records: tuple[RecordSpan, ...]
    rows: tuple[RunReadiness, ...]

    def not_ready(self, row: RunReadiness, state: RecordState) -> list[RecordSpan]:
        """The records of ``row`` in ``state`` (waiting, or missing)."""
        return [r for r, s in zip(self.records, row.states, strict=True) if s is state]


def record_spans(db: ConditionsDB, gt: GlobalTag) -> tuple[RecordSpan, ...]:
    """Every record of ``gt`` with its tag's since span as ``gt`` sees it (a query per record)."""
    entries = db.global_tag_map(gt.name)
    tags = db.tags_named([e.tag_name for e in entries])
    return tuple(
        RecordSpan(
            e.record,
            e.label,
            tags[e.tag_name],
            db.since_span(tags[e.tag_name], snapshot=gt.snapshot_time),
            needs_upload(tags[e.tag_name], gt),
        )
        for e in entries
    )


def judge(records: Sequence[RecordSpan], run: RunInfo) -> RunReadiness:
    """One run against spans already read."""
    return RunReadiness(
        run,
        tuple(record_state(r, run_position(run, r.tag.time_type)) for r in records),
    )


def readiness_table(db: ConditionsDB, global_tag: str, runs: Sequence[RunInfo]) -> ReadinessTable:
    """Every run of ``runs`` against every record of ``global_tag`` (404 names an unknown one)."""
    return _table(db, db.global_tag(global_tag), runs)


def _table(db: ConditionsDB, gt: GlobalTag, runs: Sequence[RunInfo]) -> ReadinessTable:
    records = record_spans(db, gt)
    return ReadinessTable(gt, records, tuple(judge(records, run) for run in runs))


@dataclass(frozen=True)
class RecordReadiness:
    """One (record, label) of a global tag at a run: its state and the IOV valid there."""

    record: str
    label: str
    tag: Tag
    position: int | None  # the since looked up; None for Hash/User tags
    iov: Iov | None
    state: RecordState
    needs_upload: bool  # see needs_upload()

    @property
    def covered(self) -> bool:
        """Whether an IOV is valid for the run (old or new)."""
        return self.iov is not None

    @property
    def ready(self) -> bool:
        """Whether the record is ready for the run under its tag's synchronization."""
        return self.state is RecordState.READY


@dataclass(frozen=True)
class Readiness:
    """A run against a global tag, record by record."""

    run: RunInfo
    global_tag: GlobalTag
    records: tuple[RecordReadiness, ...]

    @property
    def ready(self) -> bool:
        """Every record is ready for the run."""
        return all(r.ready for r in self.records)

    @property
    def missing(self) -> list[RecordReadiness]:
        """The records not ready for the run (no IOV, or still waiting for its upload)."""
        return [r for r in self.records if not r.ready]


def run_readiness(db: ConditionsDB, run_number: int, global_tag: str) -> Readiness:
    """One run of :func:`readiness_table`, with the IOV each record finds there."""
    gt = db.global_tag(global_tag)
    run = db.run(run_number)
    table = _table(db, gt, [run])
    (row,) = table.rows
    points = [(r.tag, run_position(run, r.tag.time_type)) for r in table.records]
    iovs = db.iovs_at(points, snapshot=gt.snapshot_time)
    records = (
        RecordReadiness(r.record, r.label, r.tag, position, iov, state, r.needs_upload)
        for r, (_, position), iov, state in zip(
            table.records, points, iovs, row.states, strict=True
        )
    )
    return Readiness(run, gt, tuple(records))
