"""HTML pages of the run context: /runs, /runs/readiness and /runs/<n>.

Thin, like the other pages: the conditions database answers the run and
fill questions, :mod:`inspector.watch` the readiness ones.
"""

from __future__ import annotations

from typing import Final

from flask import render_template

from inspector.conddb import ConditionsDB
from inspector.conddb.timetypes import format_since
from inspector.durations import duration_text
from inspector.watch import READINESS_RULE, Readiness, RecordState, run_readiness
from inspector.web.args import page_args
from inspector.web.jsonapi import Paging
from inspector.web.routing import Routes
from inspector.web.runs.context import RUN_FILTER_KEYS, checked_run, run_filters
from inspector.web.runs.table import READINESS_FILTERS, chosen_global_tag, readiness_view
from inspector.web.state import state

__all__ = ["pages"]

pages = Routes("runs_pages")

RUNS_PER_PAGE: Final = 50


@pages.get("/runs")
def runs_page() -> str:
    """Runs by number range, fill and start date, paged, with their fills."""
    query = page_args()
    db = query.database()
    args = {k: query.text(k) for k in RUN_FILTER_KEYS}
    filters = run_filters(args, str)
    result = db.runs(**filters, page=query.whole("page", 1), page_size=RUNS_PER_PAGE)
    result.require_exists("runs")
    kept = _kept(db, args)
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


def _kept(db: ConditionsDB, args: dict[str, str]) -> dict[str, str]:
    """The non-empty filters, and ``db`` when it is not the default: what page links keep."""
    kept = {k: v for k, v in args.items() if v}
    if db.alias != state().config.default_database:
        kept["db"] = db.alias
    return kept


@pages.get("/runs/readiness")
def readiness_page() -> str:
    """Runs × records of a global tag: which runs are ready, which records they wait for."""
    query = page_args()
    db = query.database()
    if not db.has_runs():
        return render_template("readiness.html", db=db, has_runs=False)
    args = {k: query.text(k) for k in READINESS_FILTERS}
    choices, chosen = chosen_global_tag(db, query.text("globaltag"))
    view = None
    if chosen is not None:
        page = query.whole("page", 1)
        view = readiness_view(db, chosen, args, str, page, RUNS_PER_PAGE)
        Paging(page, RUNS_PER_PAGE).require_exists(view.total, "readiness")
    kept = _kept(db, args)
    if chosen is not None and query.text("globaltag"):
        kept["globaltag"] = chosen.name
    return render_template(
        "readiness.html",
        db=db,
        has_runs=True,
        has_fills=db.has_fills(),
        filters=args,
        kept=kept,
        kept_without_fill={k: v for k, v in kept.items() if k != "fill"},
        api_filters={f"filter[{k}]": v for k, v in args.items() if v},
        page=query.whole("page", 1),
        choices=choices,
        chosen=chosen,
        view=view,
        page_size=RUNS_PER_PAGE,
        rule=READINESS_RULE,
        states=RecordState,
        format_since=format_since,
    )


@pages.get("/runs/<int:number>")
def run_page(number: int) -> str:
    """A run, its fill with the fill's other runs, and its conditions in a global tag."""
    args = page_args()
    number = checked_run(number)
    db = args.database()
    if not db.has_runs():  # nothing to look up: say so, rather than "run not found"
        return render_template("run.html", db=db, number=number, run=None)
    run = db.run(number)
    fill = db.fill(run.fill_number) if run.fill_number is not None else None
    before, after = db.neighbour_runs(number)
    choices, chosen = chosen_global_tag(db, args.text("globaltag"))
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
        rule=READINESS_RULE,
        single=single,
        format_since=format_since,
        duration_text=duration_text,
    )
