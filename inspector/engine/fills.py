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
from typing import Any, Final

import numpy as np

from inspector.conddb import ConditionsDB, Fill
from inspector.errors import DatabaseUnavailable
from inspector.plots import History, PlotObject

__all__ = ["FILLS_OPTION", "fill_view_options"]

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
    first, last = int(plot.since[0]), int(plot.since[-1])
    if plot.time_type == "Run":
        return db.fills_of_runs(first, last)
    if plot.time_type == "Lumi":
        return db.fills_of_runs(first >> 32, last >> 32)
    if plot.time_type == "Time":
        seconds = (plot.since >> np.uint64(32)).astype(np.int64)
        start = dt.datetime.fromtimestamp(int(seconds[0]), dt.UTC).replace(tzinfo=None)
        end = dt.datetime.fromtimestamp(int(seconds[-1]), dt.UTC).replace(tzinfo=None)
        return db.fills_between(start, end)
    return []
