"""The calibration watch: ``/api/v1/watch`` and the ``/watch`` page.

The watch clock is an app extension so tests can pin "now"
(``app.extensions[WATCH_CLOCK] = lambda: fixed``); the real one is the
system clock.
"""

from __future__ import annotations

from typing import Final

from flask import Response, current_app, render_template, url_for

from inspector.conddb import ConditionsDB
from inspector.conddb.timetypes import format_since
from inspector.durations import duration_text
from inspector.watch import Clock, Status, WatchReport, system_clock, watch_reports
from inspector.web.args import api_args
from inspector.web.jsonapi import document, iso, resource, url
from inspector.web.responses import send_document
from inspector.web.routing import Routes
from inspector.web.runs.context import found_iov
from inspector.web.state import state
from inspector.web.watch.models import NewestRun, WatchedTagAttributes
from inspector.web.watch.openapi import HOUR_ATTRIBUTES, WATCH

__all__ = ["WATCH_CLOCK", "api", "pages", "watch_attributes", "watch_clock"]

api = Routes("api")
pages = Routes("runs_pages")

#: ``app.extensions`` key of the :data:`~inspector.watch.Clock` the watch uses.
WATCH_CLOCK: Final = "payload_inspector.watch_clock"
_COLOURS: Final = {
    Status.OK: "ok",
    Status.LATE: "late",
    Status.STALE: "stale",
    Status.UNKNOWN: "unknown",
}


def watch_clock() -> Clock:
    """The current app's clock (the system clock unless a test pinned one)."""
    clock: Clock = current_app.extensions.get(WATCH_CLOCK, system_clock)
    return clock


def watch_attributes(report: WatchReport) -> WatchedTagAttributes:
    """A watched tag's facts, lag and status (what the page and the API show)."""
    rule = report.rule
    newest, run, waiting = report.newest_iov, report.newest_run, report.waiting
    time_type = report.time_type
    return {
        "db": rule.db,
        "tag": rule.tag,
        "status": report.status.value,
        "reason": report.reason,
        "now": iso(report.now),
        "max_latency_hours": rule.max_latency_hours,
        "stale_after_hours": rule.stale_after_hours,
        "time_type": None if time_type is None else time_type.value,
        "newest_iov": found_iov(newest, time_type),
        "newest_run": None
        if run is None
        else NewestRun(run_number=run.run_number, end_time=iso(run.end_time)),
        "lag_runs": report.lag_runs,
        "lag_hours": report.lag_hours,
        "first_waiting_run": None if waiting is None else waiting.first_run,
    }


def _open(alias: str) -> ConditionsDB:
    return state().engine.database(alias)


@api.get("/watch", WATCH)
def watch() -> Response:
    """Every watched tag of the configuration with its newest IOV, lag and status."""
    api_args()
    web = state()
    reports = watch_reports(_open, web.config.watch, watch_clock())
    data = [
        resource(
            "watch",
            f"{r.rule.db}/{r.rule.tag}",
            watch_attributes(r),
            links={"tag": url(url_for("pages.tag_page", name=r.rule.tag), [("db", r.rule.db)])},
        )
        for r in reports
    ]
    counts = {s.value: sum(r.status is s for r in reports) for s in Status}
    meta = {
        "total": len(reports),
        "statuses": counts,
        "clock_after_newest_run_hours": web.config.watch.after_newest_run_hours,
        "units": {name: "h" for name in HOUR_ATTRIBUTES},
    }
    return send_document(document(data, links={"self": url_for("api.watch")}, meta=meta))


@pages.get("/watch")
def watch_page() -> str:
    """The calibration watch: each watched tag's newest IOV, lag and status."""
    web = state()
    reports = watch_reports(web.engine.database, web.config.watch, watch_clock())
    counts = {s: sum(r.status is s for r in reports) for s in Status}
    return render_template(
        "watch.html",
        reports=reports,
        counts=counts,
        colours=_COLOURS,
        clock_hours=web.config.watch.after_newest_run_hours,
        format_since=format_since,
        duration_text=duration_text,
    )
