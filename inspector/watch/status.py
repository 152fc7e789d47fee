"""Watch statuses from measured facts: pure functions, no database, no clock.

A watched tag *covers* a run when it has an IOV starting at or after the
run's first position (the run itself for Run tags, its first lumisection
for Lumi tags, its start time for Time tags): the conditions for that run,
or later ones, have arrived.  Runs that have ended but are not covered are
*waiting*.  The *lag* is how long the oldest waiting run has waited since
it ended (zero when none waits), and decides the status:

- ``OK``: lag <= ``max_latency_hours`` (every run that ended longer ago
  than the expected latency is covered);
- ``LATE``: lag > ``max_latency_hours`` (and <= ``stale_after_hours``);
- ``STALE``: lag > ``stale_after_hours`` (only when that is configured);
- ``UNKNOWN``: the facts cannot be measured (tag or database missing,
  Hash/User IOVs, no run information in the database), with the reason.

Tying every status to runs that need conditions means a technical stop
(no runs, no uploads) never raises a false alarm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from inspector.conddb import Iov, RunInfo, TimeType
from inspector.conddb.runs import WaitingRuns
from inspector.conddb.timetypes import since_to_datetime, unpack_lumi
from inspector.durations import duration_text
from inspector.watch.settings import WatchedTag

__all__ = ["Status", "WaitingPoint", "WatchReport", "classify", "waiting_point"]

_HOUR = dt.timedelta(hours=1)


class Status(StrEnum):
    """How a watched tag is doing (ordered from good to bad, then unknown)."""

    OK = "OK"
    LATE = "LATE"
    STALE = "STALE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class WaitingPoint:
    """Where waiting runs begin: above a run number, or after a start time.

    Both ``None``: the tag has no IOV, every ended run waits.
    """

    after_run: int | None = None
    started_after: dt.datetime | None = None


def waiting_point(time_type: TimeType, newest: Iov | None) -> WaitingPoint:
    """The point beyond which runs are not covered by a tag whose newest IOV is ``newest``.

    Run: runs above its since.  Lumi: runs above its run (and that run too
    if the since is lumisection 0, before the run's first lumisection).
    Time: runs that started after its since.
    """
    if newest is None:
        return WaitingPoint()
    if time_type is TimeType.RUN:
        return WaitingPoint(after_run=newest.since)
    if time_type is TimeType.LUMI:
        run, lumisection = unpack_lumi(newest.since)
        return WaitingPoint(after_run=run if lumisection >= 1 else run - 1)
    if time_type is TimeType.TIME:
        return WaitingPoint(started_after=since_to_datetime(newest.since).replace(tzinfo=None))
    raise ValueError(f"{time_type.value} IOVs cannot be compared with runs")


def classify(rule: WatchedTag, lag: dt.timedelta) -> Status:
    """The status of a lag under a rule (boundaries belong to the better status)."""
    if lag <= rule.max_latency_hours * _HOUR:
        return Status.OK
    if rule.stale_after_hours is None or lag <= rule.stale_after_hours * _HOUR:
        return Status.LATE
    return Status.STALE


@dataclass(frozen=True)
class WatchReport:
    """One watched tag as seen at ``now``: facts, lag and status."""

    rule: WatchedTag
    now: dt.datetime
    status: Status
    reason: str
    time_type: TimeType | None = None
    newest_iov: Iov | None = None
    newest_run: RunInfo | None = None
    waiting: WaitingRuns | None = None

    @property
    def lag(self) -> dt.timedelta | None:
        """How long the oldest waiting run has waited (zero if none; ``None`` if unknown)."""
        if self.waiting is None:
            return None
        if self.waiting.earliest_end is None:
            return dt.timedelta(0)
        return max(self.now - self.waiting.earliest_end, dt.timedelta(0))

    @property
    def lag_hours(self) -> float | None:
        """:attr:`lag` in hours."""
        lag = self.lag
        return None if lag is None else lag / _HOUR

    @property
    def lag_runs(self) -> int | None:
        """How many ended runs wait for conditions (``None`` if unknown)."""
        return None if self.waiting is None else self.waiting.count

    @classmethod
    def measured(
        cls,
        rule: WatchedTag,
        now: dt.datetime,
        time_type: TimeType,
        newest_iov: Iov | None,
        newest_run: RunInfo | None,
        waiting: WaitingRuns,
    ) -> WatchReport:
        """A report from measured facts, with its status and a one-line reason."""
        draft = cls(rule, now, Status.OK, "", time_type, newest_iov, newest_run, waiting)
        lag = draft.lag or dt.timedelta(0)
        status = classify(rule, lag)
        reason = _reason(rule, status, waiting, lag)
        return cls(rule, now, status, reason, time_type, newest_iov, newest_run, waiting)

    @classmethod
    def unknown(
        cls,
        rule: WatchedTag,
        now: dt.datetime,
        reason: str,
        time_type: TimeType | None = None,
        newest_iov: Iov | None = None,
    ) -> WatchReport:
        """A report for a tag whose facts could not be measured (with those that could)."""
        return cls(rule, now, Status.UNKNOWN, reason, time_type, newest_iov)


def _reason(rule: WatchedTag, status: Status, waiting: WaitingRuns, lag: dt.timedelta) -> str:
    if waiting.count == 0:
        return "every ended run is covered"
    runs = f"{waiting.count} run{'s' if waiting.count != 1 else ''} waiting"
    oldest = f"the oldest (run {waiting.first_run}) ended {duration_text(lag)} ago"
    limits = {
        Status.OK: f"within the expected {rule.max_latency_hours:g} h",
        Status.LATE: f"more than the expected {rule.max_latency_hours:g} h",
        Status.STALE: f"more than {rule.stale_after_hours or 0:g} h: uploads seem to have stopped",
    }
    return f"{runs}; {oldest}, {limits[status]}"
