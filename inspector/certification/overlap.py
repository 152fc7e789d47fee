"""Which IOVs overlap certified data: interval overlap on sorted arrays.

Every time type is reduced to one question on half-open intervals of raw
``since`` values.  An IOV ``i`` covers ``[since[i], until[i])`` (``until`` is
the next ``since``; an IOV with ``until == since`` covers the single value
``since``).  The certified data become sorted, disjoint half-open intervals:

* **Run** tags: each certified run ``r`` (any certified lumisection) is
  ``[r, r + 1)``.  An IOV is kept when ``since <= r < until`` for some
  certified run.
* **Lumi** tags: each certified range ``[first, last]`` of run ``r`` is
  ``[r << 32 | first, (r << 32 | last) + 1)``.  An IOV is kept when it
  shares at least one certified (run, lumisection).
* **Time** tags: each certified run found in RUN_INFO is its wall-clock span
  ``[start_time, end_time)`` as Time ``since`` values (seconds << 32 |
  nanoseconds); spans that touch or overlap are merged.  An IOV is kept when
  its time interval intersects a certified run's span.  Certified runs that
  RUN_INFO does not list cannot be placed in time and are ignored (counted in
  :attr:`CertifiedIntervals.unplaced_runs`).

Hash and UserId tags have neither runs nor times and cannot be filtered.
For n IOVs and m intervals the test costs O((n + m) log m): one
``searchsorted`` and one comparison, no Python loop over IOVs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inspector.certification.golden import CertifiedLumis
from inspector.conddb.runs import RunTimeline
from inspector.conddb.timetypes import TimeType
from inspector.errors import InvalidParameter

__all__ = ["CertifiedIntervals", "certified_intervals", "overlap_mask"]

UIntArray = npt.NDArray[np.uint64]
_ONE = np.uint64(1)
_SHIFT = np.uint64(32)


@dataclass(frozen=True, eq=False)
class CertifiedIntervals:
    """Sorted, disjoint half-open ``[starts[j], ends[j])`` in one tag's ``since`` units."""

    starts: UIntArray
    ends: UIntArray
    unplaced_runs: int = 0

    def __len__(self) -> int:
        return int(self.starts.size)


def certified_intervals(
    lumis: CertifiedLumis, time_type: TimeType, runs: RunTimeline | None = None
) -> CertifiedIntervals:
    """The certified data of ``lumis`` in the ``since`` units of ``time_type``.

    ``runs`` (RUN_INFO) is needed for Time tags only.
    """
    if time_type is TimeType.RUN:
        starts = lumis.runs.astype(np.uint64)
        return CertifiedIntervals(starts, starts + _ONE)
    if time_type is TimeType.LUMI:
        base = lumis.run.astype(np.uint64) << _SHIFT
        return CertifiedIntervals(
            base | lumis.first.astype(np.uint64), (base | lumis.last.astype(np.uint64)) + _ONE
        )
    if time_type is TimeType.TIME:
        return _time_intervals(lumis, runs or RunTimeline.from_runs([]))
    raise InvalidParameter(
        "cert",
        f"{time_type.value} tags have neither runs nor times: "
        "certification can filter Run, Lumi and Time tags only",
    )


def _time_intervals(lumis: CertifiedLumis, runs: RunTimeline) -> CertifiedIntervals:
    certified = lumis.runs
    known = np.isin(certified, runs.run)
    placed = np.isin(runs.run, certified)
    starts = _time_since(runs.start[placed])
    ends = _time_since(runs.end[placed])
    merged_starts, merged_ends = _merge(starts, np.maximum(ends, starts))
    return CertifiedIntervals(merged_starts, merged_ends, int((~known).sum()))


def _time_since(times: npt.NDArray[np.datetime64]) -> UIntArray:
    """datetime64 → Time ``since`` (unix seconds << 32 | nanoseconds)."""
    micros = times.astype("datetime64[us]").astype(np.int64)
    seconds, rest = np.divmod(micros, 1_000_000)
    return (seconds.astype(np.uint64) << _SHIFT) | (rest * 1000).astype(np.uint64)


def _merge(starts: UIntArray, ends: UIntArray) -> tuple[UIntArray, UIntArray]:
    """Union of half-open intervals in any order: sorted, disjoint, not touching."""
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(s.size, dtype=bool)
    new[1:] = s[1:] > reach[:-1]
    first = np.flatnonzero(new)
    return s[first], np.maximum.reduceat(e, first)


def overlap_mask(
    since: npt.ArrayLike, until: npt.ArrayLike, intervals: CertifiedIntervals
) -> npt.NDArray[np.bool_]:
    """For each IOV ``[since, until)``, whether it overlaps a certified interval."""
    lo = np.asarray(since, dtype=np.uint64)
    hi = np.asarray(until, dtype=np.uint64)
    if len(intervals) == 0:
        return np.zeros(lo.shape, dtype=bool)
    # An empty IOV (until == since) stands for its single since value; at the
    # very largest value since + 1 wraps to 0, and the maximum keeps `until`.
    hi = np.maximum(hi, lo + _ONE)
    # The first interval that ends after the IOV starts is the only candidate
    # (ends are sorted because the intervals are disjoint and sorted).
    j = np.searchsorted(intervals.ends, lo, side="right")
    inside = j < len(intervals)
    candidate = intervals.starts[np.minimum(j, len(intervals) - 1)]
    kept: npt.NDArray[np.bool_] = inside & (candidate < hi)
    return kept
