"""Run, lumisection and LHC fill of each IOV: what a History's CSV carries beside the raw since.

A ``since`` is one packed integer (``run << 32 | lumisection`` on a Lumi
tag, ``unix seconds << 32`` on a Time tag), unreadable in a spreadsheet.
The run and lumisection are decoded from the tag's time type alone, so every
CSV of a Run or Lumi history has them.  The fill is run context, not plot
data: the export hands in the fills of the history's range (the same ones
the drawing shades) and each IOV gets the fill of its run, or, on a Time
tag, the run and fill going on at its start.  Where nothing is known the
cell is empty, never a guess.

Pure and vectorised: one ``searchsorted`` per column, whatever the IOV count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.conddb.runs import Fill
from inspector.conddb.timetypes import TimeType
from inspector.plots.base import CsvColumn

__all__ = ["RUN_COLUMNS", "run_columns"]

#: The names these columns take (a History's series may not).
RUN_COLUMNS: Final = ("run", "lumi", "fill")

_LOW32: Final = np.uint64(0xFFFFFFFF)


def run_columns(
    since: npt.NDArray[np.uint64],
    time_type: str,
    time: npt.NDArray[np.datetime64] | None,
    fills: Sequence[Fill] | None,
) -> list[CsvColumn]:
    """The ``run``, ``lumi`` and ``fill`` columns of IOVs starting at ``since``.

    Run tags get ``run``; Lumi tags ``run`` and ``lumi``; Time tags ``run``
    only when ``fills`` are given (the run going on at ``time``, the IOV's
    start).  ``fill`` is there whenever ``fills`` is given (``None``: no run
    context was looked up, so the column is left out rather than left empty).
    Hash and UserId tags have none of these.
    """
    kind = TimeType.parse(time_type)
    runs: npt.NDArray[np.int64] | None = None
    out: list[CsvColumn] = []
    if kind is TimeType.RUN:
        runs = since.astype(np.int64)
        out.append(CsvColumn("run", runs, "run of the IOV start"))
    elif kind is TimeType.LUMI:
        runs = (since >> np.uint64(32)).astype(np.int64)
        lumis = (since & _LOW32).astype(np.int64)
        out += [
            CsvColumn("run", runs, "run of the IOV start"),
            CsvColumn("lumi", lumis, "lumisection of the IOV start"),
        ]
    elif kind is TimeType.TIME and fills is not None and time is not None:
        running = _runs_at(time, fills)
        out.append(CsvColumn("run", _cells(running), "run going on at the IOV start"))
        out.append(CsvColumn("fill", _cells(_fills_of(running, fills)), "LHC fill"))
        return out
    if fills is not None and runs is not None:
        out.append(CsvColumn("fill", _cells(_fills_of(runs, fills)), "LHC fill"))
    return out


def _run_table(fills: Sequence[Fill]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every run of ``fills`` and its fill number, sorted by run."""
    pairs = sorted((run.run_number, fill.number) for fill in fills for run in fill.runs)
    table = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return table[:, 0], table[:, 1]


def _fills_of(runs: npt.NDArray[np.int64], fills: Sequence[Fill]) -> npt.NDArray[np.int64]:
    """The fill number of each run, -1 where no fill lists it (or the run is -1)."""
    numbers, fill_numbers = _run_table(fills)
    out = np.full(runs.shape, -1, dtype=np.int64)
    if numbers.size == 0:
        return out
    at = np.clip(np.searchsorted(numbers, runs), 0, numbers.size - 1)
    known = (numbers[at] == runs) & (runs >= 0)
    out[known] = fill_numbers[at][known]
    return out


def _runs_at(time: npt.NDArray[np.datetime64], fills: Sequence[Fill]) -> npt.NDArray[np.int64]:
    """The run going on at each time (UTC), -1 where no run of ``fills`` was."""
    ordered = sorted((run for fill in fills for run in fill.runs), key=lambda r: r.start_time)
    out = np.full(time.shape, -1, dtype=np.int64)
    if not ordered:
        return out
    starts = np.array([r.start_time for r in ordered], dtype="datetime64[us]")
    ends = np.array([r.end_time for r in ordered], dtype="datetime64[us]")
    numbers = np.array([r.run_number for r in ordered], dtype=np.int64)
    moments = time.astype("datetime64[us]")
    at = np.searchsorted(starts, moments, side="right") - 1
    inside = (at >= 0) & ~np.isnat(moments)
    inside[inside] &= moments[inside] <= ends[at[inside]]
    out[inside] = numbers[at[inside]]
    return out


def _cells(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """Numbers as CSV cells, -1 (unknown) as an empty cell."""
    cells = numbers.astype(object)
    cells[numbers < 0] = ""
    return cells
