"""HTML pages of the run context and the calibration watch: /runs, /runs/<n>, /watch.

Thin, like the other pages: the conditions database answers the run and
fill questions, :mod:`inspector.watch` the readiness and watch ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from flask import Blueprint, render_template, request

from inspector.conddb import ConditionsDB, GlobalTag
from inspector.conddb.timetypes import format_since
from inspector.watch import Readiness, Status, run_readiness, watch_reports
from inspector.web.pages import int_arg, page_database
from inspector.web.run_context import run_filters, watch_clock
from inspector.web.state import state

__all__ = ["runs_pages"]

runs_pages = Blueprint("runs_pages", __name__)

RUNS_PER_PAGE: Final = 50
#: Global tags offered in the run page's chooser, newest first.
GLOBAL_TAG_CHOICES: Final = 200
_FILTERS: Final = ("first", "last", "fill", "from", "to")


def duration_text(delta: dt.timedelta) -> str:
    """``3 h 05 min``: run lengths as people say them."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


@runs_pages.get("/runs")
def runs_page() -> str:
    """Runs by number range, fill and start date, paged, with their fills."""
    db = page_database()
    args = {k: request.args.get(k, "").strip() for k in _FILTERS}
    result = db.runs(**run_filters(args, str), page=int_arg("page", 1), page_size=RUNS_PER_PAGE)
    result.require_exists("runs")
    kept = {k: v for k, v in args.items() if v}
    if db.alias != state().config.default_database:
        kept["db"] = db.alias
    return render_template(
        "runs.html",
        db=db,
        result=result,
        filters=args,
        kept=kept,
        has_runs=db.has_runs(),
        has_fills=db.has_fills(),
        duration_text=duration_text,
    )


def _chosen_global_tag(db: ConditionsDB) -> tuple[list[GlobalTag], GlobalTag | None]:
    """The chooser's global tags (newest first) and the chosen one (default: the newest)."""
    choices = db.recent_global_tags(GLOBAL_TAG_CHOICES)
    name = request.args.get("globaltag", "").strip()
    if not name:
        return choices, choices[0] if choices else None
    chosen = db.global_tag(name)  # 404 names an unknown global tag
    if all(g.name != chosen.name for g in choices):
        choices = [chosen, *choices]
    return choices, chosen


@runs_pages.get("/runs/<int:number>")
def run_page(number: int) -> str:
    """A run, its fill with the fill's other runs, and its conditions in a global tag."""
    db = page_database()
    if not db.has_runs():  # nothing to look up: say so, rather than "run not found"
        return render_template("run.html", db=db, number=number, run=None)
    run = db.run(number)
    fill = db.fill(run.fill_number) if run.fill_number is not None else None
    before, after = db.neighbour_runs(number)
    choices, chosen = _chosen_global_tag(db)
    readiness: Readiness | None = None
    if chosen is not None:
        readiness = run_readiness(db, number, chosen.name)
    drawers = state().plugins.drawers
    single = {
        r.tag.name: [d for d in drawers.for_payload_type(r.tag.object_type) if d.kind == "single"]
        for r in (readiness.records if readiness else ())
    }
    return render_template(
        "run.html",
        db=db,
        number=number,
        run=run,
        fill=fill,
        has_fills=db.has_fills(),
        before=before,
        after=after,
        choices=choices,
        chosen=chosen,
        readiness=readiness,
        single=single,
        format_since=format_since,
        duration_text=duration_text,
    )


_COLOURS: Final = {
    Status.OK: "ok",
    Status.LATE: "late",
    Status.STALE: "stale",
    Status.UNKNOWN: "unknown",
}


@runs_pages.get("/watch")
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
    )
