"""Histogram1D and Histogram2D: checks, from_values, CSV."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from inspector.plots import Histogram1D, Histogram2D, PlotError, Provenance


def read_csv(text: str) -> np.ndarray[Any, Any]:
    """The documented way to load a plot CSV with numpy (skip the # block)."""
    skip = sum(1 for line in text.splitlines() if line.startswith("#"))
    table = np.genfromtxt(
        io.StringIO(text), comments="#", delimiter=",", names=True, skip_header=skip
    )
    return np.atleast_1d(table)


def test_histogram_1d_normalises_dtypes() -> None:
    h = Histogram1D(edges=[0, 1, 3], counts=[2, 5], errors=np.float32([0.5, 1.5]))
    assert h.edges.dtype == h.counts.dtype == np.float64
    assert h.errors is not None and h.errors.dtype == np.float64
    assert h.underflow == 0.0 and isinstance(h.underflow, float)
    assert np.array_equal(h.centres, [0.5, 2.0])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"edges": [0.0]}, r"edges needs at least 2 values \(one bin\), got 1"),
        (
            {"edges": [0.0, 2.0, 1.0]},
            r"edges must increase strictly \(edges\[2\] = 1.0 after 2.0\)",
        ),
        (
            {"edges": [0.0, 1.0, 1.0]},
            r"edges must increase strictly \(edges\[2\] = 1.0 after 1.0\)",
        ),
        ({"edges": [0.0, np.nan, 2.0]}, r"edges must be finite \(edges\[1\] = nan\)"),
        ({"edges": [0.0, 1.0, np.inf]}, r"edges must be finite"),
        ({"counts": [1.0, 2.0, 3.0]}, "counts has 3 values for 2 bins"),
        ({"counts": [[1.0, 2.0]]}, r"counts must be 1-dimensional, got shape \(1, 2\)"),
        ({"counts": ["a", "b"]}, "counts must hold numbers, not <U1"),
        ({"errors": [1.0]}, "errors has 1 values for 2 bins"),
        ({"errors": [1.0, -0.5]}, r"errors must not be negative \(errors\[1\] = -0.5\)"),
        ({"underflow": -1}, "underflow must be finite and not negative"),
        ({"overflow": "many"}, "overflow must be a number"),
        ({"x_unit": 5}, "x_unit must be a string"),
    ],
)
def test_histogram_1d_rejects(changes: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"edges": [0.0, 1.0, 2.0], "counts": [1.0, 2.0]}
    fields.update(changes)
    with pytest.raises(PlotError, match=f"^Histogram1D: {message}"):
        Histogram1D(**fields)


def test_histogram_1d_allows_nan_counts_for_empty_bins() -> None:
    h = Histogram1D(edges=[0.0, 1.0, 2.0], counts=[np.nan, 1.0])
    assert np.isnan(h.counts[0])


def test_from_values_keeps_under_and_overflow() -> None:
    values = [-5.0, 0.0, 0.5, 1.0, 1.5, 2.0, 7.0, np.inf, -np.inf, np.nan]
    h = Histogram1D.from_values(values, bins=2, range=(0.0, 2.0), x_label="noise", x_unit="ADC")
    assert np.array_equal(h.edges, [0.0, 1.0, 2.0])
    assert np.array_equal(h.counts, [2.0, 3.0])  # numpy: last bin includes its right edge
    assert (h.underflow, h.overflow) == (2.0, 2.0)
    assert h.notes == ("1 NaN value(s) not counted",)
    assert (h.x_label, h.x_unit, h.y_label) == ("noise", "ADC", "entries")


def test_from_values_defaults_to_the_finite_extent() -> None:
    h = Histogram1D.from_values(np.float32([1.0, 2.0, 3.0, np.inf]), bins=4)
    assert (h.edges[0], h.edges[-1]) == (1.0, 3.0)
    assert h.counts.sum() == 3.0
    assert h.overflow == 1.0
    empty = Histogram1D.from_values([], bins=3)
    assert np.array_equal(empty.counts, [0.0, 0.0, 0.0])


def test_from_values_accepts_edges_and_provenance() -> None:
    p = Provenance(db="pro", drawer="strips.noise")
    h = Histogram1D.from_values([0.5, 1.5, 9.0], bins=[0.0, 1.0, 4.0], provenance=p, notes=["n"])
    assert np.array_equal(h.counts, [1.0, 1.0])
    assert h.overflow == 1.0
    assert h.provenance == p
    assert h.notes == ("n",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bins": 0}, "bins"),
        ({"bins": [2.0, 1.0]}, "bins"),
        ({"range": (1.0, 1.0)}, "range must be finite with lo < hi"),
        ({"range": (0.0, np.nan)}, "range must be finite"),
        ({"range": 3}, r"range must be a pair \(lo, hi\)"),
    ],
)
def test_from_values_rejects(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PlotError, match=f"^Histogram1D: {message}"):
        Histogram1D.from_values([1.0, 2.0], **kwargs)


def test_histogram_1d_csv_reads_back_with_genfromtxt() -> None:
    h = Histogram1D(
        edges=[0.0, 0.1, 0.25],
        counts=[3.0, np.nan],
        errors=[1.5, 0.0],
        underflow=2.0,
        x_label="noise",
        x_unit="ADC",
        y_label="strips",
        title="Noise, all strips",
        provenance=Provenance(db="pro", tags=("SiStripNoise_v1",), iovs=(379100,), drawer="s.n"),
    )
    text = h.to_csv()
    assert "# underflow: 2.0\n" in text
    assert "# column low: noise [ADC]\n" in text
    assert '# tags: ["SiStripNoise_v1"]\n' in text
    assert "# iovs: [379100]\n" in text
    assert "\nlow,high,count,error\n0.0,0.1,3.0,1.5\n0.1,0.25,nan,0.0\n" in text
    table = read_csv(text)
    assert table.dtype.names == ("low", "high", "count", "error")
    assert np.array_equal(table["low"], h.edges[:-1])
    assert np.array_equal(table["count"], h.counts, equal_nan=True)


def test_csv_header_block_states_its_length() -> None:
    text = Histogram1D(edges=[0.0, 1.0], counts=[1.0], notes=("a", "b")).to_csv()
    lines = text.splitlines()
    count = sum(1 for line in lines if line.startswith("#"))
    assert lines[0] == f"# payload-inspector/plot CSV version 1; {count} comment lines"
    assert "# note: a" in lines and "# note: b" in lines


def test_csv_keeps_multi_line_text_in_the_comment_block() -> None:
    text = Histogram1D(edges=[0.0, 1.0], counts=[1.0], title="two\nlines").to_csv()
    assert "# title: two lines\n" in text


# -- 2-D ----------------------------------------------------------------------------------


def test_histogram_2d_layout_is_x_first() -> None:
    h = Histogram2D(x_edges=[0, 1, 2, 3], y_edges=[0, 10, 20], values=np.arange(6.0).reshape(3, 2))
    assert h.values.shape == (3, 2)
    with pytest.raises(PlotError, match=r"^Histogram2D: values has shape \(2, 3\) for 3 x 2 bins"):
        Histogram2D(x_edges=[0, 1, 2, 3], y_edges=[0, 10, 20], values=np.zeros((2, 3)))
    with pytest.raises(PlotError, match=r"^Histogram2D: values must be 2-dimensional"):
        Histogram2D(x_edges=[0, 1], y_edges=[0, 1], values=[1.0])
    with pytest.raises(PlotError, match=r"^Histogram2D: y_edges must increase strictly"):
        Histogram2D(x_edges=[0, 1], y_edges=[1, 0], values=[[1.0]])


def test_histogram_2d_from_values() -> None:
    x = [0.5, 1.5, 1.5, 5.0, np.nan]
    y = [0.5, 0.5, 1.5, 0.5, 1.0]
    h = Histogram2D.from_values(x, y, bins=2, range=((0.0, 2.0), (0.0, 2.0)))
    assert np.array_equal(h.values, [[1.0, 0.0], [1.0, 1.0]])
    assert h.outside == 1.0
    assert h.notes == ("1 NaN value(s) not counted",)
    assert h.z_label == "entries"
    with pytest.raises(PlotError, match=r"^Histogram2D: y has 1 values for 2 x values"):
        Histogram2D.from_values([1.0, 2.0], [1.0])


def test_histogram_2d_csv_has_one_row_per_cell() -> None:
    values = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]])
    h = Histogram2D(
        x_edges=[0.0, 1.0, 2.0, 3.0],
        y_edges=[10.0, 20.0, 30.0],
        values=values,
        x_label="layer",
        z_label="occupancy",
        z_unit="%",
    )
    table = read_csv(h.to_csv())
    assert table.dtype.names == ("x_low", "x_high", "y_low", "y_high", "value")
    assert np.array_equal(table["x_low"], [0, 0, 1, 1, 2, 2])
    assert np.array_equal(table["y_low"], [10, 20, 10, 20, 10, 20])
    assert np.array_equal(table["value"], values.ravel(), equal_nan=True)
