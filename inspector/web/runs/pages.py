"""HTML pages of the run context: /runs and /runs/<n>.

Thin, like the other pages: the conditions database answers the run and
fill questions, :mod:`inspector.watch` the readiness ones.
"""

from __future__ import annotations

from typing import Final

from flask import render_template

from inspector.conddb import ConditionsDB, GlobalTag
from inspector.conddb.timetypes import format_since
from inspector.durations import duration_text
from inspector.watch import Readiness, run_readiness
from inspector.web.args import QueryArgs, page_args
from inspector.web.routing import Routes
from inspector.web.runs.context import checked_run, run_filters
from inspector.web.state import state

__all__ = ["pages"]

pages = Routes("runs_pages")

RUNS_PER_PAGE: Final = 50
#: Global tags offered in the run page's chooser, newest first.
GLOBAL_TAG_CHOICES: Final = 200
_FILTERS: Final = ("first", "last", "fill", "from", "to")


@pages.get("/runs")
def runs_page() -> str:
    """Runs by number range, fill and start date, paged, with their fills."""
    query = page_args()
    db = query.database()
    args = {k: query.text(k) for k in _FILTERS}
    filters = run_filters(args, str)
    result = db.runs(**filters, page=query.whole("page", 1), page_size=RUNS_PER_PAGE)
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


def _chosen_global_tag(
    db: ConditionsDB, args: QueryArgs
) -> tuple[list[GlobalTag], GlobalTag | None]:
    """The chooser's global tags (newest first) and the chosen one (default: the newest)."""
    choices = db.recent_global_tags(GLOBAL_TAG_CHOICES)
    name = args.text("globaltag")
    if not name:
        return choices, choices[0] if choices else None
    chosen = db.global_tag(name)  # 404 names an unknown global tag
    if all(g.name != chosen.name for g in choices):
        choices = [chosen, *choices]
    return choices, chosen


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
    choices, chosen = _chosen_global_tag(db, args)
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
