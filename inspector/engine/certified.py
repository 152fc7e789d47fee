"""Keep only the IOVs that overlap certified data (the ``cert`` of a history request).

The engine's one hook into :mod:`inspector.certification`: look the file up
by name, fetch RUN_INFO when a Time tag needs wall-clock spans, apply the
vectorised overlap test, and say in words what was kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.certification import Certification, Certifications
from inspector.certification.overlap import certified_intervals, overlap_mask
from inspector.conddb import ConditionsDB, IovList
from inspector.conddb.timetypes import TimeType
from inspector.errors import NotFound

__all__ = ["CertifiedIovs", "keep_certified"]

_WHAT: dict[TimeType, str] = {
    TimeType.RUN: "a certified run",
    TimeType.LUMI: "a certified lumisection",
    TimeType.TIME: "the time span of a certified run (RUN_INFO)",
}


@dataclass(frozen=True)
class CertifiedIovs:
    """The IOVs kept, the file that kept them, and the note the plot shows."""

    iovs: IovList
    certification: Certification
    note: str


def keep_certified(
    certifications: Certifications, db: ConditionsDB, iovs: IovList, name: str
) -> CertifiedIovs:
    """``iovs`` restricted to those overlapping the data certified by ``name``.

    Unknown names and Hash/UserId tags are 400s naming ``cert``; nothing left
    is a 404 that names the file.
    """
    cert = certifications.get_named(name)
    runs = None
    if iovs.time_type is TimeType.TIME and len(cert.lumis):
        certified_runs = cert.lumis.runs
        runs = db.run_timeline(int(certified_runs[0]), int(certified_runs[-1]))
    intervals = certified_intervals(cert.lumis, iovs.time_type, runs)
    keep = overlap_mask(iovs.since, iovs.until, intervals)
    kept = int(keep.sum())
    if kept == 0:
        raise NotFound(
            f"no IOV of tag {iovs.tag!r} in the requested range overlaps data certified "
            f"by {name!r} ({cert.path.name})"
        )
    filtered = iovs.select(keep)
    note = (
        f"Certified data only: {name} ({cert.path.name}, sha256 {cert.sha256[:12]}) kept "
        f"{kept} of {len(iovs)} IOVs, those overlapping {_WHAT[iovs.time_type]}"
    )
    if intervals.unplaced_runs:
        note += (
            f"; {intervals.unplaced_runs} certified run(s) missing from RUN_INFO "
            "could not be placed in time"
        )
    return CertifiedIovs(filtered, cert, note + ".")
