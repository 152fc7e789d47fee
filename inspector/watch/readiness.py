"""Run readiness: does every record of a global tag have conditions for a run?

What a reconstruction system asks before it starts on a run.  For each
record of the global tag, the IOV valid at the run's first position is
looked up as the global tag sees it (rows inserted after its snapshot time
are ignored): the run itself for Run tags, its first lumisection for Lumi
tags, its start time for Time tags.  Hash and User tags do not follow runs:
their newest IOV counts.  The run is ready when every record has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.conddb import ConditionsDB, GlobalTag, Iov, RunInfo, Tag, TimeType
from inspector.conddb.timetypes import datetime_to_since, pack_lumi

__all__ = ["Readiness", "RecordReadiness", "run_position", "run_readiness"]


@dataclass(frozen=True)
class RecordReadiness:
    """One (record, label) of a global tag at a run: its tag and the IOV found (if any)."""

    record: str
    label: str
    tag: Tag
    position: int | None  # the since looked up; None for Hash/User tags
    iov: Iov | None

    @property
    def covered(self) -> bool:
        """Whether an IOV is valid for the run."""
        return self.iov is not None


@dataclass(frozen=True)
class Readiness:
    """A run against a global tag, record by record."""

    run: RunInfo
    global_tag: GlobalTag
    records: tuple[RecordReadiness, ...]

    @property
    def ready(self) -> bool:
        """Every record has an IOV for the run."""
        return all(r.covered for r in self.records)

    @property
    def missing(self) -> list[RecordReadiness]:
        """The records without an IOV for the run."""
        return [r for r in self.records if not r.covered]


def run_position(run: RunInfo, time_type: TimeType) -> int | None:
    """The since at which a run starts for a tag of ``time_type`` (``None``: Hash/User)."""
    if time_type is TimeType.RUN:
        return run.run_number
    if time_type is TimeType.LUMI:
        return pack_lumi(run.run_number, 1)
    if time_type is TimeType.TIME:
        return datetime_to_since(run.start_time)
    return None


def run_readiness(db: ConditionsDB, run_number: int, global_tag: str) -> Readiness:
    """Look up every record of ``global_tag`` at run ``run_number`` (404s name the unknown)."""
    gt = db.global_tag(global_tag)
    run = db.run(run_number)
    entries = db.global_tag_map(gt.name)
    tags = db.tags_named([e.tag_name for e in entries])
    points = [(tags[e.tag_name], run_position(run, tags[e.tag_name].time_type)) for e in entries]
    iovs = db.iovs_at(points, snapshot=gt.snapshot_time)
    records = (
        RecordReadiness(e.record, e.label, tag, position, iov)
        for e, (tag, position), iov in zip(entries, points, iovs, strict=True)
    )
    return Readiness(run, gt, tuple(records))
