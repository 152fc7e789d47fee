"""DataFrames of plots: the CSV's columns, names and values; pandas stays optional."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from inspector.engine import Engine, PlotRequest
from inspector.frames import INSTALL_HINT, require_pandas
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
)
from inspector.plots.history import hash_columns

PROV = Provenance(db="demo", tags=("T",), drawer="test.plot")


def _csv_header(plot: PlotObject) -> list[str]:
    rows = [r for r in csv.reader(io.StringIO(plot.to_csv())) if r and not r[0].startswith("#")]
    return rows[0]


PLOTS: list[PlotObject] = [
    History(
        since=np.array([100, 200, 300], dtype=np.uint64),
        until=np.array([200, 300, 400], dtype=np.uint64),
        time_type="Run",
        series={
            "x": Series(np.array([1.0, 2.0, np.nan]), np.array([0.1, 0.2, 0.3]), unit="cm"),
            "y": Series(np.array([4.0, 5.0, 6.0]), label="beam y"),
        },
        **hash_columns(np.array(["a", "b", "b"])),
        insertion_time=np.array(["2024-05-01T00:00:00", "2024-05-02T00:00:00", None], "M8[us]"),
        time=np.array(["2024-05-01T10:00:00", "NaT", "2024-05-03T10:00:00"], "M8[us]"),
        title="h",
        provenance=PROV,
    ),
    Histogram1D(
        edges=np.array([0.0, 1.0, 2.5]),
        counts=np.array([3.0, np.nan]),
        errors=np.array([1.0, 0.0]),
        x_label="noise",
        x_unit="ADC",
        title="one",
    ),
    Histogram2D(
        x_edges=np.array([0.0, 1.0, 2.0]),
        y_edges=np.array([0.0, 10.0, 20.0, 30.0]),
        values=np.arange(6.0).reshape(2, 3),
        z_unit="%",
    ),
    DetectorMap(
        geometry="tracker",
        ids=np.array([302055940, 302055944], dtype=np.uint32),
        values=np.array([0.25, np.nan]),
        value_unit="ADC",
    ),
    Scatter(x=np.array([1.0, 2.0]), y=np.array([3.0, 4.0]), colour=np.array([0.0, 1.0])),
    Table(
        columns={
            "detid": np.array([1, 2], dtype=np.uint32),
            "name": np.array(["TIB 1", "TOB, 6"]),
            "bad": np.array([False, True]),
            "big": np.array([1 << 60, 1], dtype=np.int64),
        },
        units={"detid": "id"},
    ),
]


@pytest.mark.parametrize("plot", PLOTS, ids=lambda p: p.plot_type)
def test_a_frame_has_the_csv_columns_and_the_plot_values(plot: PlotObject) -> None:
    frame = plot.to_pandas()
    assert list(frame.columns) == _csv_header(plot)
    for column in plot.csv_columns():
        got = frame[column.name].to_numpy()
        if column.values.dtype.kind in "Mm":
            got = got.astype(column.values.dtype)
        if column.values.dtype.kind == "U":
            assert list(got) == list(column.values)
        else:
            np.testing.assert_array_equal(got, column.values)
            assert got.dtype == column.values.dtype, column.name
    assert frame.attrs["type"] == plot.plot_type
    assert frame.attrs["provenance"] == plot.provenance.to_json_dict()


def test_a_history_frame_keeps_units_labels_and_provenance() -> None:
    frame = PLOTS[0].to_pandas()
    assert list(frame.columns) == [
        "since",
        "until",
        "run",
        "time",
        "payload_hash",
        "insertion_time",
        "x",
        "x_error",
        "y",
    ]
    assert frame.attrs["units"] == {
        "since": "Run",
        "until": "Run",
        "time": "UTC",
        "insertion_time": "UTC",
        "x": "cm",
        "x_error": "cm",
    }
    assert frame.attrs["labels"]["y"] == "beam y"
    assert frame.attrs["title"] == "h" and frame.attrs["provenance"]["drawer"] == "test.plot"
    assert frame["since"].dtype == np.uint64
    assert frame["run"].tolist() == [100, 200, 300]  # decoded from the Run since
    assert bool(frame["time"].isna().iloc[1]) and np.isnan(frame["x"].iloc[2])


def test_a_frame_of_an_engine_history(demo_engine: Engine) -> None:
    tag = "BeamSpotObjects_Realistic_byRun_v1"
    plot = demo_engine.plot(PlotRequest("beamspot.position_x", tag, db="demo"))
    assert isinstance(plot, History)
    frame = plot.to_pandas()
    np.testing.assert_array_equal(frame["x"].to_numpy(), plot.series["x"].values)
    np.testing.assert_array_equal(frame["since"].to_numpy(), plot.since)
    assert len(frame) == len(demo_engine.iovs("demo", tag))


@pytest.mark.parametrize("plot", PLOTS, ids=lambda p: p.plot_type)
def test_to_dict_is_the_json_document(plot: PlotObject) -> None:
    document = plot.to_dict()
    assert document == json.loads(plot.to_json())
    assert document["schema"] == "payload-inspector/plot" and document["type"] == plot.plot_type
    assert from_json(document) == plot


def test_to_dict_writes_big_integers_as_text() -> None:
    columns = PLOTS[-1].to_dict()["data"]["columns"]
    big = next(c for c in columns if c["name"] == "big")
    assert big["values"] == [str(1 << 60), 1]


def test_without_pandas_the_error_names_the_extra() -> None:
    code = (
        "import sys\nsys.modules['pandas'] = None  # as if it were not installed\n"
        "import numpy as np\nfrom inspector.plots import Histogram1D\n"
        "p = Histogram1D(edges=np.array([0.0, 1.0]), counts=np.array([1.0]))\n"
        "try:\n    p.to_pandas()\nexcept ImportError as e:\n    print(e)\n"
        "else:\n    sys.exit('no ImportError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == (
        f"Histogram1D.to_pandas() needs pandas, which is not installed: {INSTALL_HINT} "
        "(or pip install pandas)"
    )
    assert "payload-inspector[notebook]" in INSTALL_HINT


def test_require_pandas_gives_the_module() -> None:
    import pandas

    assert require_pandas("this test") is pandas


def test_the_extra_named_in_the_error_exists() -> None:
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    assert [d for d in extras["notebook"] if d.startswith("pandas")]
    assert [d for d in extras["test"] if d.startswith("pandas")]  # so the suite tests frames
