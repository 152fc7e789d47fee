"""DetectorMap: checks and CSV."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest

from inspector.plots import DetectorMap, PlotError, from_json


def build(**changes: Any) -> DetectorMap:
    fields: dict[str, Any] = {
        "geometry": "tracker",
        "ids": [302055940, 302055944, 369120277],
        "values": [1.0, np.nan, -2.5],
    }
    fields.update(changes)
    return DetectorMap(**fields)


def test_ids_are_uint32_and_values_float64() -> None:
    m = build(values=np.float32([1.0, np.nan, -2.5]))
    assert m.ids.dtype == np.uint32
    assert m.values.dtype == np.float64
    assert m.value_range is None and m.diverging is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"geometry": ""}, "geometry must name a geometry"),
        ({"ids": [1, 2, 1]}, "ids must be unique: id 1 and 0 more repeat"),
        ({"ids": [1, 1, 2, 2]}, "ids must be unique: id 1 and 1 more repeat"),
        ({"ids": [1, -2, 3]}, "ids must hold integers from 0 to 4294967295"),
        ({"ids": [1, 2, 2**32]}, "ids must hold integers from 0 to 4294967295"),
        ({"ids": [1.0, 2.5, 3.0]}, r"ids must hold whole numbers \(index 1: 2.5\)"),
        ({"ids": [1.0, np.nan, 3.0]}, r"ids must not be NaN or infinite \(index 1\)"),
        ({"values": [1.0, 2.0]}, "values has 2 values for 3 ids"),
        ({"value_range": (1.0, 1.0)}, "value_range must be finite with lo < hi"),
        ({"value_range": (0.0,)}, r"value_range must be a pair \(lo, hi\)"),
        ({"diverging": "yes"}, "diverging must be a boolean"),
    ],
)
def test_rejects(changes: dict[str, Any], message: str) -> None:
    if "ids" in changes:
        changes.setdefault("values", np.zeros(len(changes["ids"])))
    with pytest.raises(PlotError, match=f"^DetectorMap: {message}"):
        build(**changes)


def test_difference_map_json() -> None:
    m = build(value_range=(-3, 3), diverging=True, value_label="Δ noise", value_unit="ADC")
    assert m.value_range == (-3.0, 3.0)
    doc = json.loads(m.to_json())
    assert doc["data"] == {
        "geometry": "tracker",
        "ids": [302055940, 302055944, 369120277],
        "values": [1.0, None, -2.5],
        "value_label": "Δ noise",
        "value_unit": "ADC",
        "value_range": [-3.0, 3.0],
        "diverging": True,
        "flagged": {},
    }
    assert from_json(doc) == m


def test_csv_reads_back_with_genfromtxt() -> None:
    m = build(value_label="noise", value_unit="ADC", value_range=(0, 5))
    text = m.to_csv()
    assert "# geometry: tracker\n" in text
    assert "# value_range: 0.0, 5.0\n" in text
    assert "# diverging: false\n" in text
    assert (
        "\nid,name,value,flag\n302055940,BPix L1 Ld2 M1,1.0,\n302055944,BPix L1 Ld2 M2,nan,\n"
        "369120277,TIB L1 z- int S1 M1 stereo,-2.5,\n"
    ) in text
    skip = sum(1 for line in text.splitlines() if line.startswith("#"))
    table = np.genfromtxt(
        io.StringIO(text), comments="#", delimiter=",", names=True, skip_header=skip
    )
    assert np.array_equal(table["id"], m.ids)
    assert np.array_equal(table["value"], m.values, equal_nan=True)


def test_empty_map_is_allowed() -> None:
    m = build(ids=[], values=[])
    assert m.ids.dtype == np.uint32 and m.ids.size == 0
    assert from_json(m.to_json()) == m


def test_flags_are_the_drawers_then_the_outliers() -> None:
    ids = np.arange(1, 101, dtype=np.uint32)
    values = np.linspace(4.9, 5.1, 100)
    values[[10, 20, 30]] = [0.0, 50.0, -40.0]
    values[40] = np.nan
    m = DetectorMap(geometry="g", ids=ids, values=values, flagged={"dead": np.array([11])})
    flags = m.flags()
    assert flags[10] == "dead" and flags[20] == "high" and flags[30] == "low"
    assert flags[40] == "" and np.count_nonzero(flags) == 3
    back = from_json(m.to_json())
    assert isinstance(back, DetectorMap) and back == m
    assert back.flagged["dead"].tolist() == [11]
    assert json.loads(m.to_json())["data"]["flagged"] == {"dead": [11]}


@pytest.mark.parametrize(
    ("flagged", "message"),
    [
        ({"dead": [7]}, "'dead' names ids the map does not hold"),
        ({"high": [1]}, "flag 'high' must be a non-empty name other than high/low"),
        ({"": [1]}, "flag '' must be a non-empty name"),
    ],
)
def test_flagged_is_checked(flagged: dict[str, Any], message: str) -> None:
    with pytest.raises(PlotError, match=message):
        DetectorMap(
            geometry="g", ids=np.array([1, 2]), values=np.array([1.0, 2.0]), flagged=flagged
        )
