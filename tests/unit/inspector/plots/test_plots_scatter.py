"""Scatter: checks and CSV."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from inspector.plots import PlotError, Scatter, from_json


def test_points_with_colour() -> None:
    s = Scatter(
        x=[1, 2, 3],
        y=np.float32([0.5, np.nan, 1.5]),
        colour=[10.0, 20.0, 30.0],
        x_label="layer",
        colour_label="noise",
        colour_unit="ADC",
    )
    assert s.x.dtype == s.y.dtype == np.float64
    doc = json.loads(s.to_json())["data"]
    assert doc["y"] == [0.5, None, 1.5]
    assert doc["colour"] == [10.0, 20.0, 30.0]
    assert from_json(doc_of(doc)) == s


def doc_of(data: dict[str, object]) -> dict[str, object]:
    return {"schema": "payload-inspector/plot", "version": 1, "type": "Scatter", "data": data}


def test_rejects_unequal_lengths() -> None:
    with pytest.raises(PlotError, match=r"^Scatter: y has 2 values for 3 points"):
        Scatter(x=[1, 2, 3], y=[1, 2])
    with pytest.raises(PlotError, match=r"^Scatter: colour has 1 values for 3 points"):
        Scatter(x=[1, 2, 3], y=[1, 2, 3], colour=[1])
    with pytest.raises(PlotError, match=r"^Scatter: x must hold numbers, not bool"):
        Scatter(x=[True], y=[1.0])
    with pytest.raises(PlotError, match=r"^Scatter: x is required"):
        Scatter(x=None, y=[1.0])  # type: ignore[arg-type]


def test_csv_reads_back_with_genfromtxt() -> None:
    s = Scatter(x=[1e-7, 2.5], y=[1e20, -3.0], x_unit="cm", y_label="height")
    text = s.to_csv()
    assert "\nx,y\n1e-07,1e+20\n2.5,-3.0\n" in text
    assert "# column x: x [cm]\n" in text
    assert "# column y: height\n" in text
    skip = sum(1 for line in text.splitlines() if line.startswith("#"))
    table = np.genfromtxt(
        io.StringIO(text), comments="#", delimiter=",", names=True, skip_header=skip
    )
    assert np.array_equal(table["x"], s.x)
    assert np.array_equal(table["y"], s.y)
