"""Measuring the watch facts in a conditions database, relative to an injected clock.

"Now" is what tests pin: every function takes it (or a :data:`Clock`), and
reads the database as seen at that moment (rows inserted later are
ignored), so a status is reproducible.  For archived databases (the demo)
the configuration may place "now" a fixed time after the newest run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from inspector.conddb import ConditionsDB, TimeType
from inspector.errors import DatabaseUnavailable, NotFound
from inspector.watch.settings import WatchConfig, WatchedTag
from inspector.watch.status import WatchReport, waiting_point

__all__ = ["Clock", "system_clock", "watch_now", "watch_report", "watch_reports"]

#: Returns "now" as naive UTC.
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real time, naive UTC to the second (how the database stores times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def watch_now(db: ConditionsDB, config: WatchConfig, clock: Clock) -> dt.datetime:
    """ "Now" for ``db``: the clock, or a fixed time after its newest run's end."""
    if config.after_newest_run_hours is None:
        return clock()
    ended = db.latest_run_end()
    if ended is None:
        return clock()
    return ended + dt.timedelta(hours=config.after_newest_run_hours)


def watch_report(db: ConditionsDB, rule: WatchedTag, now: dt.datetime) -> WatchReport:
    """The facts and status of one watched tag at ``now``; problems become UNKNOWN."""
    try:
        tag = db.tag(rule.tag)
        if tag.time_type in (TimeType.HASH, TimeType.USER):
            return WatchReport.unknown(
                rule, now, f"{tag.time_type.value} IOVs cannot be compared with runs"
            )
        newest = db.newest_iov(tag, snapshot=now)
        if not db.has_runs():
            reason = f"database {db.alias!r} has no run information (no RUN_INFO table)"
            return WatchReport.unknown(
                rule, now, f"{reason}: no runs to compare with", tag.time_type, newest
            )
        point = waiting_point(tag.time_type, newest)
        waiting = db.waiting_runs(
            ended_by=now, after_run=point.after_run, started_after=point.started_after
        )
        newest_run = db.newest_run(ended_by=now)
    except NotFound as exc:
        return WatchReport.unknown(rule, now, str(exc))
    except DatabaseUnavailable as exc:
        return WatchReport.unknown(rule, now, exc.public_message)
    return WatchReport.measured(rule, now, tag.time_type, newest, newest_run, waiting)


def watch_reports(
    open_db: Callable[[str], ConditionsDB], config: WatchConfig, clock: Clock
) -> list[WatchReport]:
    """Every watched tag, in configuration order ("now" computed once per database)."""
    nows: dict[str, dt.datetime] = {}
    reports = []
    for rule in config.tags:
        try:
            db = open_db(rule.db)
            if rule.db not in nows:
                nows[rule.db] = watch_now(db, config, clock)
        except DatabaseUnavailable as exc:
            reports.append(WatchReport.unknown(rule, clock(), exc.public_message))
            continue
        reports.append(watch_report(db, rule, nows[rule.db]))
    return reports
