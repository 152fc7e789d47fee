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
from inspector.render.fill_bands import (
    FILL_COLOURS,
    FILL_LABELS,
    add_fill_bands,
    fill_band_edges,
    fill_of_each,
    thinned_labels,
)
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
    assert labels.source.name == FILL_LABELS  # a zoom's refinement replaces them
    assert labels.angle == 0 and labels.text_font_size == "11px"  # horizontal, readable
    assert list(labels.source.data["x"]) == [101.0, 105.0]
    assert labels.source.data["text"] == ["7", "8"]
    # A click on a band zooms to its fill.
    assert [type(c).__name__ for c in fig.js_event_callbacks["tap"]] == ["CustomJS"]


def test_labels_are_thinned_to_those_that_fit_and_reappear_on_zoom() -> None:
    left = np.arange(0.0, 100.0)  # a hundred fills, one unit apart
    numbers = np.arange(9000, 9100)
    # 1000 px for all: a four-digit label takes 28 px and 14 between: every 5th fits.
    x, text = thinned_labels(left, left + 1, numbers, (0.0, 100.0), 1000)
    assert text[:3] == ["9000", "9005", "9010"] and len(text) == 20
    assert np.all(np.diff(x) * 10 >= 4 * 7 + 14)  # never closer than one label's width
    # Zoomed to ten fills across the same pixels: every one is labelled.
    x, text = thinned_labels(left, left + 1, numbers, (40.0, 50.0), 1000)
    assert text == [str(n) for n in range(9040, 9050)] and x[0] == 40.0


def test_each_iov_is_told_its_fill_by_run_or_by_time() -> None:
    runs = np.array([99, 100, 101, 104, 105, 110, 111], dtype=np.int64)
    assert fill_of_each(FILLS, runs, None).tolist() == [-1, 0, 0, -1, 1, 2, -1]
    times = np.array([T0 + dt.timedelta(hours=h) for h in (0.5, 5, 12)], dtype="M8[us]")
    assert fill_of_each(FILLS, None, times).tolist() == [0, -1, 1]


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
