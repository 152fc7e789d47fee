"""Every plot type reads back equal from its JSON form (drawn by Hypothesis)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inspector.conddb.timetypes import TimeType
from inspector.plots import (
    DetectorMap,
    Histogram1D,
    Histogram2D,
    History,
    PlotObject,
    Provenance,
    Scatter,
    Series,
    Table,
    from_json,
    plots_equal,
)
from inspector.plots.history import hash_columns

MAX_N = 24
# NaN is data ("no value"); Inf is written as null and reads back as NaN, so
# exact round trips are drawn without it (test_plots_base checks Inf apart).
FLOATS = st.floats(allow_nan=True, allow_infinity=False)
TEXT = st.text(max_size=12)
NAME = st.text(min_size=1, max_size=8).filter(
    lambda s: s.strip() and "\n" not in s and "\r" not in s and not s.startswith("#")
)
UINT64 = st.integers(0, 2**64 - 1)


def floats(n: int | tuple[int, int]) -> st.SearchStrategy[npt.NDArray[np.float64]]:
    return hnp.arrays(np.float64, n, elements=FLOATS)


@st.composite
def edges(draw: st.DrawFn) -> npt.NDArray[np.float64]:
    n = draw(st.integers(2, MAX_N))
    values = draw(hnp.arrays(np.float64, n, elements=st.floats(-1e9, 1e9), unique=True))
    return np.sort(values)


@st.composite
def datetimes(draw: st.DrawFn, n: int) -> npt.NDArray[np.datetime64]:
    micros = draw(hnp.arrays(np.int64, n, elements=st.integers(-(2**50), 2**52)))
    result = micros.astype("datetime64[us]")
    result[draw(hnp.arrays(np.bool_, n))] = np.datetime64("NaT")
    return result


@st.composite
def provenances(draw: st.DrawFn) -> Provenance:
    scalar = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False)
    )
    snapshot = st.datetimes().map(lambda d: d.isoformat() + "Z")
    return Provenance(
        db=draw(TEXT),
        tags=tuple(draw(st.lists(TEXT, max_size=2))),
        iovs=tuple(draw(st.lists(UINT64, max_size=3))),
        payload_hashes=tuple(draw(st.lists(TEXT, max_size=2))),
        snapshot=draw(st.none() | snapshot),
        drawer=draw(TEXT),
        parameters=draw(st.dictionaries(TEXT, scalar, max_size=3)),
        time_type=draw(st.none() | st.sampled_from([t.value for t in TimeType])),
        labels=tuple(draw(st.lists(NAME, max_size=2))),
    )


@st.composite
def common(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "title": draw(TEXT),
        "provenance": draw(provenances()),
        "notes": tuple(draw(st.lists(TEXT, max_size=2))),
    }


@st.composite
def histograms_1d(draw: st.DrawFn) -> Histogram1D:
    e = draw(edges())
    n = e.size - 1
    return Histogram1D(
        edges=e,
        counts=draw(floats(n)),
        errors=draw(st.none() | hnp.arrays(np.float64, n, elements=st.floats(0, 1e6))),
        underflow=draw(st.floats(0, 1e12)),
        overflow=draw(st.floats(0, 1e12)),
        x_label=draw(TEXT),
        x_unit=draw(TEXT),
        y_label=draw(TEXT),
        y_unit=draw(TEXT),
        **draw(common()),
    )


@st.composite
def histograms_2d(draw: st.DrawFn) -> Histogram2D:
    x, y = draw(edges()), draw(edges())
    return Histogram2D(
        x_edges=x,
        y_edges=y,
        values=draw(floats((x.size - 1, y.size - 1))),
        outside=draw(st.floats(0, 1e12)),
        z_label=draw(TEXT),
        z_unit=draw(TEXT),
        **draw(common()),
    )


@st.composite
def detector_maps(draw: st.DrawFn) -> DetectorMap:
    n = draw(st.integers(0, MAX_N))
    bounds = draw(st.none() | st.lists(st.floats(-1e9, 1e9), min_size=2, max_size=2, unique=True))
    return DetectorMap(
        geometry=draw(NAME),
        ids=draw(hnp.arrays(np.uint32, n, unique=True)),
        values=draw(floats(n)),
        value_label=draw(TEXT),
        value_unit=draw(TEXT),
        value_range=None if bounds is None else (min(bounds), max(bounds)),
        diverging=draw(st.booleans()),
        **draw(common()),
    )


@st.composite
def histories(draw: st.DrawFn) -> History:
    n = draw(st.integers(0, MAX_N))
    since = np.sort(draw(hnp.arrays(np.uint64, n, elements=UINT64, unique=True)))
    until = np.maximum(since, draw(hnp.arrays(np.uint64, n, elements=UINT64)))
    names = draw(
        st.lists(
            NAME.filter(lambda s: s not in ("since", "until", "time", "payload_hash")),
            min_size=1,
            max_size=3,
            unique=True,
        ).filter(lambda names: not any(a == b + "_error" for a in names for b in names))
    )
    series = {
        name: Series(
            draw(floats(n)),
            draw(st.none() | hnp.arrays(np.float64, n, elements=st.floats(0, 1e9))),
            unit=draw(TEXT),
            label=draw(TEXT),
        )
        for name in names
    }
    hashes = draw(st.none() | st.lists(TEXT, min_size=n, max_size=n))
    return History(
        since=since,
        until=until,
        time_type=draw(st.sampled_from([t.value for t in TimeType])),
        series=series,
        **({} if hashes is None else hash_columns(np.array(hashes, dtype=np.str_))),
        insertion_time=draw(st.none() | datetimes(n)),
        time=draw(st.none() | datetimes(n)),
        y_label=draw(TEXT),
        **draw(common()),
    )


@st.composite
def scatters(draw: st.DrawFn) -> Scatter:
    n = draw(st.integers(0, MAX_N))
    return Scatter(
        x=draw(floats(n)),
        y=draw(floats(n)),
        colour=draw(st.none() | floats(n)),
        colour_label=draw(TEXT),
        **draw(common()),
    )


INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@st.composite
def columns(draw: st.DrawFn, n: int) -> npt.NDArray[Any]:
    kind = draw(st.sampled_from(["float64", "bool", "str", "datetime", *INT_DTYPES]))
    if kind == "float64":
        return draw(floats(n))
    if kind == "str":
        return np.array(draw(st.lists(TEXT, min_size=n, max_size=n)), dtype=np.str_)
    if kind == "datetime":
        return draw(datetimes(n))
    return draw(hnp.arrays(np.dtype(kind), n))


@st.composite
def tables(draw: st.DrawFn) -> Table:
    n = draw(st.integers(0, MAX_N))
    names = draw(st.lists(NAME, min_size=1, max_size=4, unique=True))
    cols = {name: draw(columns(n)) for name in names}
    units = draw(st.dictionaries(st.sampled_from(names), TEXT, max_size=len(names)))
    return Table(columns=cols, units=units, **draw(common()))


ANY_PLOT = st.one_of(
    histograms_1d(), histograms_2d(), detector_maps(), histories(), scatters(), tables()
)


def assert_round_trips(plot: PlotObject) -> None:
    data = plot.to_json()
    for form in (data, data.decode("utf-8"), json.loads(data)):
        again = type(plot).from_json(form)
        assert plots_equal(again, plot), (plot, again)
        assert again == plot
    assert from_json(data) == plot
    assert from_json(data).to_json() == data


@settings(max_examples=60, deadline=None)
@given(histograms_1d())
def test_histogram_1d_round_trip(plot: Histogram1D) -> None:
    assert_round_trips(plot)


@settings(max_examples=60, deadline=None)
@given(histograms_2d())
def test_histogram_2d_round_trip(plot: Histogram2D) -> None:
    assert_round_trips(plot)


@settings(max_examples=60, deadline=None)
@given(detector_maps())
def test_detector_map_round_trip(plot: DetectorMap) -> None:
    assert_round_trips(plot)


@settings(max_examples=80, deadline=None)
@given(histories())
def test_history_round_trip(plot: History) -> None:
    assert_round_trips(plot)


@settings(max_examples=60, deadline=None)
@given(scatters())
def test_scatter_round_trip(plot: Scatter) -> None:
    assert_round_trips(plot)


@settings(max_examples=80, deadline=None)
@given(tables())
def test_table_round_trip(plot: Table) -> None:
    assert_round_trips(plot)


@settings(max_examples=40, deadline=None)
@given(ANY_PLOT)
def test_json_is_strict_and_versioned(plot: PlotObject) -> None:
    # allow_nan=False parsing: no NaN/Infinity tokens ever reach the browser.
    def refuse(token: str) -> None:
        raise AssertionError(f"non-JSON token {token}")

    doc = json.loads(plot.to_json(), parse_constant=refuse)
    assert doc["schema"] == "payload-inspector/plot"
    assert doc["version"] == 1
    assert doc["type"] == plot.plot_type
    assert set(doc) == {"schema", "version", "type", "title", "provenance", "notes", "data"}
    assert doc == json.loads(json.dumps(plot.to_json_dict()))


@settings(max_examples=40, deadline=None)
@given(ANY_PLOT)
def test_csv_has_header_block_and_one_row_per_element(plot: PlotObject) -> None:
    text = plot.to_csv()
    lines = text.split("\n")
    count = int(lines[0].split(";")[1].split()[0])
    assert all(line.startswith("# ") for line in lines[:count])
    assert f"# type: {plot.plot_type}" in lines[:count]
    assert not lines[count].startswith("#")


@settings(max_examples=40, deadline=None)
@given(histories())
def test_plots_are_read_only(plot: History) -> None:
    with pytest.raises(ValueError, match=r"read-only"):
        plot.since[:1] = 0
    first = next(iter(plot.series.values()))
    with pytest.raises(ValueError, match=r"read-only"):
        first.values[:1] = 0.0
    with pytest.raises(TypeError):
        plot.series["new"] = first  # type: ignore[index]
