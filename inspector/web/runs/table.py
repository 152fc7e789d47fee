"""Readiness across runs: what the ``/runs/readiness`` page and its API share.

One computation serves both: the runs the filters select are judged
against every record of the chosen global tag
(:func:`inspector.watch.readiness_table`), kept or dropped by the "not
ready only" filter, then paged (newest run first: the runs in question
are the recent ones).  The page and the API only shape the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from inspector.conddb import ConditionsDB, GlobalTag, RunInfo
from inspector.conddb.models import MAX_PAGE_SIZE
from inspector.errors import InvalidParameter
from inspector.watch import ReadinessTable, RunReadiness, readiness_table
from inspector.web.runs.context import RUN_FILTER_KEYS, run_filters

__all__ = [
    "GLOBAL_TAG_CHOICES",
    "READINESS_FILTERS",
    "ReadinessView",
    "chosen_global_tag",
    "readiness_view",
]

#: Global tags offered in the choosers of the run pages, newest first.
GLOBAL_TAG_CHOICES: Final = 200
#: The filters of the readiness table: the run filters and "ready".
READINESS_FILTERS: Final = (*RUN_FILTER_KEYS, "ready")
_READY_VALUES: Final = {"": None, "true": True, "yes": True, "false": False, "no": False}


@dataclass(frozen=True)
class ReadinessView:
    """One page of the readiness table, and the counts of everything the filters chose."""

    table: ReadinessTable  # the rows of this page only
    runs: int  # runs the run filters selected
    ready_runs: int  # of those, ready
    total: int  # rows kept by the "ready" filter (what is paged)

    @property
    def not_ready_runs(self) -> int:
        """Runs the run filters selected that are not ready."""
        return self.runs - self.ready_runs


def chosen_global_tag(
    db: ConditionsDB, name: str | None
) -> tuple[list[GlobalTag], GlobalTag | None]:
    """The choosers' global tags (newest first) and the chosen one (default: the newest)."""
    choices = db.recent_global_tags(GLOBAL_TAG_CHOICES)
    if not name:
        return choices, choices[0] if choices else None
    chosen = db.global_tag(name)  # 404 names an unknown global tag
    if all(g.name != chosen.name for g in choices):
        choices = [chosen, *choices]
    return choices, chosen


def ready_filter(raw: str | None, parameter: str) -> bool | None:
    """``true``/``yes``: ready runs only; ``false``/``no``: not ready only; empty: all."""
    value = (raw or "").strip().lower()
    if value not in _READY_VALUES:
        raise InvalidParameter(parameter, f"{raw!r} is not true or false (ready or not ready)")
    return _READY_VALUES[value]


def _all_runs(db: ConditionsDB, filters: Mapping[str, Any]) -> list[RunInfo]:
    """Every run the filters select, read a database page at a time (nothing cut off)."""
    runs: list[RunInfo] = []
    page = 1
    while True:
        result = db.runs(**filters, page=page, page_size=MAX_PAGE_SIZE)
        runs.extend(result.items)
        if page >= result.pages:
            return runs
        page += 1


def readiness_view(
    db: ConditionsDB,
    gt: GlobalTag,
    args: Mapping[str, str],
    name: Callable[[str], str],
    page: int,
    page_size: int,
) -> ReadinessView:
    """The runs chosen by ``args`` (each filter read as ``name(key)``) against ``gt``, paged."""
    wanted = ready_filter(args.get(name("ready")), name("ready"))
    runs = _all_runs(db, run_filters(args, name))
    table = readiness_table(db, gt.name, runs[::-1])
    kept = [r for r in table.rows if wanted is None or r.ready is wanted]
    start = (page - 1) * page_size
    rows: tuple[RunReadiness, ...] = tuple(kept[start : start + page_size])
    return ReadinessView(
        ReadinessTable(table.global_tag, table.records, rows),
        len(runs),
        sum(r.ready for r in table.rows),
        len(kept),
    )
