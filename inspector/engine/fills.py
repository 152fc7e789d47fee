"""LHC fills over a history's range: run context drawn as shaded bands.

Fills are not plot data: plot objects and their JSON never carry them.
The edges that draw (web pages and exports, ``inspector plot --format
html|png``) look them up here and hand them to the renderer as the
:data:`FILLS_OPTION` view option (see ``inspector.render.fill_bands``); the
CSV export writes each IOV's fill from the same list
(``inspector.plots.run_columns``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from inspector.conddb import ConditionsDB, Fill, Tag
from inspector.errors import DatabaseUnavailable
from inspector.plots import History, PlotObject

__all__ = ["FILLS_OPTION", "FillChoices", "fill_view_options", "tag_fills"]

#: Renderer option holding the fills to shade (see ``add_fill_bands``).
FILLS_OPTION: Final = "fills"


def fill_view_options(db: ConditionsDB, plot: PlotObject) -> Mapping[str, Any]:
    """``{"fills": [...]}`` for a history over runs or time, ``{}`` otherwise.

    Run and Lumi histories look fills up by run range, Time histories by
    time range; a database without fill information (or unreachable for
    this extra) simply gives no bands.
    """
    if not isinstance(plot, History) or plot.iov_count == 0:
        return {}
    try:
        fills = _fills_over(db, plot)
    except DatabaseUnavailable:
        return {}
    return {FILLS_OPTION: fills} if fills else {}


def _fills_over(db: ConditionsDB, plot: History) -> list[Fill]:
    return _fills_between(db, plot.time_type, int(plot.since[0]), int(plot.since[-1]))


def _fills_between(db: ConditionsDB, time_type: str, first: int, last: int) -> list[Fill]:
    """Fills with a run from the IOV starting at ``first`` to the one at ``last``."""
    if time_type == "Run":
        return db.fills_of_runs(first, last)
    if time_type == "Lumi":
        return db.fills_of_runs(first >> 32, last >> 32)
    if time_type == "Time":
        start, end = (
            dt.datetime.fromtimestamp(since >> 32, dt.UTC).replace(tzinfo=None)
            for since in (first, last)
        )
        return db.fills_between(start, end)
    return []


@dataclass(frozen=True)
class FillChoices:
    """The fills a range can be chosen from: the newest ``fills``, out of ``total``."""

    fills: tuple[Fill, ...]
    total: int


def tag_fills(db: ConditionsDB, tag: Tag, snapshot: dt.datetime | None, limit: int) -> FillChoices:
    """The fills over ``tag``'s IOVs (the newest ``limit`` of them), for range choosers.

    Two indexed queries find the tag's span; none without fill information.
    """
    if not db.has_fills():
        return FillChoices((), 0)
    first = db.first_since(tag, snapshot=snapshot)
    newest = db.newest_iov(tag, snapshot=snapshot)
    if first is None or newest is None:
        return FillChoices((), 0)
    fills = _fills_between(db, tag.time_type.value, first, newest.since)
    return FillChoices(tuple(fills[-limit:]), len(fills))
