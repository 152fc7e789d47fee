"""Table: column dtypes, checks, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
import pytest

from inspector.plots import PlotError, Table, from_json


def build(**changes: Any) -> Table:
    fields: dict[str, Any] = {
        "columns": {
            "detid": np.array([302055940, 302055944], dtype=np.uint32),
            "noise": np.float32([4.25, np.nan]),
            "bad": [True, False],
            "name": ["TIB L1", "TOB, L6"],
            "updated": np.array(["2024-05-01T12:00", "NaT"], dtype="datetime64[s]"),
            "big": np.array([2**63 - 1, -(2**63)], dtype=np.int64),
        },
        "units": {"noise": "ADC"},
    }
    fields.update(changes)
    return Table(**fields)


def test_columns_keep_their_kind() -> None:
    t = build()
    dtypes = {name: values.dtype for name, values in t.columns.items()}
    assert dtypes == {
        "detid": np.dtype(np.uint32),
        "noise": np.dtype(np.float64),
        "bad": np.dtype(np.bool_),
        "name": np.dtype("<U7"),
        "updated": np.dtype("datetime64[us]"),
        "big": np.dtype(np.int64),
    }
    assert t.row_count == 2
    assert list(t.columns) == ["detid", "noise", "bad", "name", "updated", "big"]


def test_json_names_each_column_dtype() -> None:
    t = build()
    doc = json.loads(t.to_json())
    columns = {c["name"]: c for c in doc["data"]["columns"]}
    assert [c["dtype"] for c in doc["data"]["columns"]] == [
        "uint32", "float64", "bool", "str", "datetime64[us]", "int64"
    ]  # fmt: skip
    assert columns["noise"] == {
        "name": "noise",
        "dtype": "float64",
        "unit": "ADC",
        "values": [4.25, None],
    }
    assert columns["big"]["values"] == [str(2**63 - 1), str(-(2**63))]
    assert columns["updated"]["values"] == ["2024-05-01T12:00:00.000000Z", None]
    assert from_json(doc) == t


@pytest.mark.parametrize(
    ("columns", "units", "message"),
    [
        ({}, {}, "columns must map at least one name to an array"),
        ({"a": [1, 2], "b": [1.0]}, {}, "column 'b' has 1 values for 2 rows"),
        ({"": [1]}, {}, "columns name '' must be non-empty and not start with '#'"),
        ({"#id": [1]}, {}, "columns name '#id' must be non-empty and not start with '#'"),
        ({"a\nb": [1]}, {}, r"columns name 'a\\nb' must be one line"),
        ({"a": [1j]}, {}, "column 'a' must hold booleans, integers, floats, strings or date-times"),
        ({"a": [[1, 2]]}, {}, "column 'a' must be 1-dimensional"),
        ({"a": [None, 1.5j]}, {}, "column 'a' must hold"),
        ({"a": [1]}, {"b": "cm"}, "units names a column that does not exist: 'b'"),
        ({"a": [1]}, {"a": 3}, "units 'a' must be a string"),
    ],
)
def test_rejects(columns: dict[str, Any], units: dict[str, Any], message: str) -> None:
    with pytest.raises(PlotError, match=f"^Table: {message}"):
        Table(columns=columns, units=units)


def test_json_rejects_unknown_dtypes_and_duplicates() -> None:
    doc = json.loads(build().to_json())
    doc["data"]["columns"][0]["dtype"] = "complex128"
    with pytest.raises(
        PlotError, match=r"^Table: JSON data.columns\[0\].values: unknown column dtype"
    ):
        from_json(doc)
    doc = json.loads(build().to_json())
    doc["data"]["columns"].append(doc["data"]["columns"][0])
    with pytest.raises(PlotError, match=r"^Table: JSON data.columns: a column name appears twice"):
        from_json(doc)
    doc = json.loads(build().to_json())
    doc["data"]["columns"][2]["values"] = [1, 0]
    with pytest.raises(
        PlotError, match=r"^Table: JSON data.columns\[2\].values: booleans expected"
    ):
        from_json(doc)


def test_csv_quotes_text_and_numeric_columns_read_back() -> None:
    t = build(columns={"detid": [1, 2, 3], "noise": [4.25, np.nan, 3.0], "name": ["a", "b", "c"]})
    text = t.to_csv()
    assert "# column noise: noise [ADC]\n" in text
    skip = sum(1 for line in text.splitlines() if line.startswith("#"))
    table = np.genfromtxt(
        io.StringIO(text), comments="#", delimiter=",", names=True, skip_header=skip
    )
    assert np.array_equal(table["detid"], [1, 2, 3])
    assert np.array_equal(table["noise"], [4.25, np.nan, 3.0], equal_nan=True)
    # Text with commas is quoted; numpy.genfromtxt does not unquote, csv does.
    text = build().to_csv()
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    assert rows[0] == ["detid", "noise", "bad", "name", "updated", "big"]
    assert rows[2] == ["302055944", "nan", "False", "TOB, L6", "", str(-(2**63))]


def test_bars_pair_value_and_spread_columns_and_survive_json() -> None:
    t = Table(
        columns={
            "partition": np.array(["TEC-", "TEC+"]),
            "mean": np.array([1.5, -2.0]),
            "rms": np.array([0.5, 0.25]),
        },
        bars={"mean": "rms"},
    )
    back = from_json(t.to_json())
    assert isinstance(back, Table) and dict(back.bars) == {"mean": "rms"}
    assert json.loads(t.to_json())["data"]["bars"] == [{"value": "mean", "spread": "rms"}]
    assert dict(build().bars) == {}


@pytest.mark.parametrize(
    ("columns", "bars", "message"),
    [
        ({"p": ["a"], "m": [1.0]}, {"m": "nope"}, "'nope' is not a numeric column"),
        ({"p": ["a"], "m": [1.0]}, {"p": ""}, "'p' is not a numeric column"),
        ({"m": [1.0], "p": ["a"]}, {"m": ""}, "first column"),
    ],
)
def test_bars_are_checked(columns: dict[str, Any], bars: dict[str, str], message: str) -> None:
    with pytest.raises(PlotError, match=message):
        Table(columns=columns, bars=bars)
