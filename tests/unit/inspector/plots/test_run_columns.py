"""Run, lumisection and fill of each IOV, per time type (the CSV's run context)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from inspector.conddb.runs import Fill, RunInfo
from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.plots import History, PlotError, Series
from inspector.plots.run_columns import run_columns

T0 = dt.datetime(2024, 5, 1, 8, 0)


def hours(h: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=h)


#: Fill 7 holds runs 1000 (h0-h1) and 1001 (h1.5-h3); fill 8 run 1005 (h10-h14).
FILLS = (
    Fill(7, (RunInfo(1000, hours(0), hours(1), 7), RunInfo(1001, hours(1.5), hours(3), 7))),
    Fill(8, (RunInfo(1005, hours(10), hours(14), 8),)),
)


def columns(since: list[int], time_type: str, **kwargs: Any) -> dict[str, list[Any]]:
    time = kwargs.get("time")
    found = run_columns(
        np.array(since, dtype=np.uint64),
        time_type,
        None if time is None else np.array(time, dtype="datetime64[us]"),
        kwargs.get("fills"),
    )
    return {c.name: c.values.tolist() for c in found}


def test_a_run_tag_has_the_run_and_with_run_context_the_fill() -> None:
    assert columns([1000, 1001, 1003], "Run") == {"run": [1000, 1001, 1003]}
    with_fills = columns([1000, 1001, 1003], "Run", fills=FILLS)
    assert with_fills == {"run": [1000, 1001, 1003], "fill": [7, 7, ""]}  # 1003: no fill


def test_a_lumi_tag_has_run_and_lumisection_decoded_from_the_packed_since() -> None:
    since = [pack_lumi(1000, 1), pack_lumi(1000, 50), pack_lumi(1005, 0), pack_lumi(2**31, 7)]
    assert columns(since, "Lumi", fills=FILLS) == {
        "run": [1000, 1000, 1005, 2**31],
        "lumi": [1, 50, 0, 7],
        "fill": [7, 7, 8, ""],
    }


def test_a_time_tag_has_the_run_and_fill_going_on_at_the_iov_start() -> None:
    starts = [hours(0.5), hours(1.2), hours(3), hours(12), hours(20)]
    since = [datetime_to_since(t) for t in starts]
    got = columns(since, "Time", time=starts, fills=FILLS)
    # h1.2 falls between runs 1000 and 1001, h20 after every run: unknown, not guessed
    assert got == {"run": [1000, "", 1001, 1005, ""], "fill": [7, "", 7, 8, ""]}
    # without run context a Time tag's run cannot be known: no column at all
    assert columns(since, "Time", time=starts) == {}
    # nor for an IOV whose time is unknown
    assert columns(since[:1], "Time", time=[None], fills=FILLS) == {"run": [""], "fill": [""]}


@pytest.mark.parametrize("time_type", ["Hash", "UserId"])
def test_opaque_time_types_have_no_run_context(time_type: str) -> None:
    assert columns([12345], time_type, fills=FILLS) == {}


def test_a_database_without_fills_leaves_the_fill_cells_empty() -> None:
    assert columns([1000], "Run", fills=()) == {"run": [1000], "fill": [""]}


def test_the_history_csv_puts_them_beside_since_and_until() -> None:
    plot = History(
        since=[pack_lumi(1000, 1), pack_lumi(1005, 3)],
        until=[pack_lumi(1005, 3), 2**64 - 1],
        time_type="Lumi",
        series={"x": Series([0.1, 0.2])},
    )
    header = next(line for line in plot.to_csv().splitlines() if not line.startswith("#"))
    assert header == "since,until,run,lumi,x"
    text = plot.to_csv(plot.csv_columns(fills=FILLS))
    rows = [line for line in text.splitlines() if not line.startswith("#")]
    assert rows == [
        "since,until,run,lumi,fill,x",
        f"{pack_lumi(1000, 1)},{pack_lumi(1005, 3)},1000,1,7,0.1",
        f"{pack_lumi(1005, 3)},{2**64 - 1},1005,3,8,0.2",
    ]
    assert "# column fill: LHC fill" in text


@pytest.mark.parametrize("name", ["run", "lumi", "fill"])
def test_a_series_may_not_take_a_run_column_name(name: str) -> None:
    with pytest.raises(PlotError, match=f"{name!r} is reserved"):
        History(since=[1], until=[2], time_type="Run", series={name: Series([1.0])})
