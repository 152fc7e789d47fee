"""LHC fill bands behind history plots: edges, clipping, alternation, labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from bokeh.models import LabelSet, VStrip
from bokeh.plotting import figure

from inspector.conddb import Fill, RunInfo
from inspector.plots import History, Series
from inspector.render.fill_bands import FILL_COLOURS, add_fill_bands, fill_band_edges
from inspector.render.history import render_history

T0 = dt.datetime(2024, 5, 1, 8, 0, 0)


def _fill(number: int, runs: list[tuple[int, float, float]]) -> Fill:
    return Fill(
        number,
        tuple(
            RunInfo(r, T0 + dt.timedelta(hours=a), T0 + dt.timedelta(hours=b), number)
            for r, a, b in runs
        ),
    )


FILLS = [
    _fill(7, [(100, 0, 1), (101, 1.5, 3)]),
    _fill(8, [(105, 10, 14)]),
    _fill(9, [(110, 20, 21)]),
]


def _strips(fig: Any) -> list[Any]:
    return [r for r in fig.renderers if isinstance(r.glyph, VStrip)]


def test_band_edges_on_run_and_time_axes() -> None:
    left, right = fill_band_edges(FILLS, "run")
    assert left.tolist() == [100.0, 105.0, 110.0] and right.tolist() == [102.0, 106.0, 111.0]
    left, right = fill_band_edges(FILLS[:1], "datetime")
    start_ms = T0.replace(tzinfo=dt.UTC).timestamp() * 1000
    assert left.tolist() == [start_ms] and right.tolist() == [start_ms + 3 * 3600_000]


def test_bands_are_clipped_to_the_range_and_alternate() -> None:
    fig = figure()
    add_fill_bands(fig, FILLS, "run", 101.0, 108.0)
    (strip,) = _strips(fig)
    data = strip.data_source.data
    assert list(data["x0"]) == [101.0, 105.0] and list(data["x1"]) == [102.0, 106.0]
    assert list(data["colour"]) == list(FILL_COLOURS) and list(data["label"]) == ["7", "8"]
    assert strip.level == "underlay"
    (labels,) = [a for a in fig.center if isinstance(a, LabelSet)]
    assert labels.source is strip.data_source  # the fill numbers sit on their bands


@pytest.mark.parametrize(("lo", "hi"), [(200.0, 300.0), (float("nan"), 1.0)])
def test_no_bands_outside_the_range(lo: float, hi: float) -> None:
    fig = figure()
    add_fill_bands(fig, FILLS, "run", lo, hi)
    assert _strips(fig) == []


def _history(time_type: str) -> History:
    since = np.array([100, 101, 105], dtype=np.uint64)
    if time_type == "Lumi":
        since = (since << np.uint64(32)) | np.uint64(1)
    return History(
        title="h",
        since=since,
        until=np.append(since[1:], since[-1] + np.uint64(1)),
        time_type=time_type,
        series={"x": Series(values=np.array([0.1, 0.2, 0.3]))},
        time=np.array(["2024-05-01T08:00", "2024-05-01T09:30", "2024-05-01T18:00"], "M8[us]"),
    )


@pytest.mark.parametrize(
    ("time_type", "x_axis"), [("Run", "since"), ("Lumi", "since"), ("Run", "time")]
)
def test_history_renderer_shades_fills_given_as_an_option(time_type: str, x_axis: str) -> None:
    fig = render_history(_history(time_type), {"fills": FILLS, "x_axis": x_axis})
    (strip,) = _strips(fig)
    assert list(strip.data_source.data["label"]) == ["7", "8"]
    assert "LHC fills" in [item.label["value"] for item in fig.legend[0].items]


def test_history_renderer_without_fills_has_no_bands() -> None:
    assert _strips(render_history(_history("Run"), {})) == []
