"""The CMS Payload Inspector export: shape (JSON Schema after CMSSW) and values, every type."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from inspector.errors import InvalidParameter
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
)
from inspector.plots.cmspi import (
    CMSPI_SCHEMA,
    SUPPORTED,
    UnsupportedExport,
    to_cmspi,
    to_cmspi_bytes,
)

PROV = Provenance(
    db="demo",
    tags=("BS_run",),
    drawer="beamspot.position_x",
    snapshot="2024-06-01T00:00:00Z",
    query="db=demo&tag=BS_run&since=100&snapshot=2024-06-01T00:00:00Z",
)


def _valid(doc: dict[str, Any]) -> dict[str, Any]:
    Draft202012Validator.check_schema(dict(CMSPI_SCHEMA))
    Draft202012Validator(dict(CMSPI_SCHEMA)).validate(doc)
    return doc


def _history(**series: Series) -> History:
    return History(
        title="Beam spot x",
        since=np.array([100, 200, (380_000 << 32) | 5], dtype=np.uint64),
        until=np.array([200, 300, (380_000 << 32) | 9], dtype=np.uint64),
        time_type="Lumi",
        series=series,
        y_label="x",
        provenance=PROV,
    )


def test_a_history_is_one_point_per_iov_with_its_error() -> None:
    plot = _history(x=Series(np.array([0.1, np.nan, 0.3]), np.array([0.01, 0.02, np.nan]), "cm"))
    doc = _valid(to_cmspi(plot, "BeamSpotObjects"))
    assert doc["version"] == "1.0"
    assert doc["annotations"] | {"info": ""} == {
        "info": "",
        "payload_type": "BeamSpotObjects",
        "title": "Beam spot x",
        "type": "History",
        "x_label": "iov_since",
        "y_label": "x [cm]",
    }
    assert list(doc["annotations"]) == sorted(doc["annotations"])  # std::map order
    # The NaN value is left out (as CMSSW does) and said so; a NaN error has no y_err.
    assert doc["data"] == [
        {"x": 100, "y": 0.1, "y_err": 0.01},
        {"x": (380_000 << 32) | 5, "y": 0.3},
    ]
    info = doc["annotations"]["info"]
    assert "1 IOV(s) without a value left out" in info
    assert f"/plot/beamspot.position_x?{PROV.query}" in info
    assert "snapshot: 2024-06-01T00:00:00Z" in info


def test_a_history_with_several_series_needs_one_chosen() -> None:
    plot = _history(a=Series(np.zeros(3)), b=Series(np.ones(3)))
    with pytest.raises(InvalidParameter) as info:
        to_cmspi(plot, "T")
    assert info.value.parameter == "series" and "a, b" in info.value.reason
    doc = _valid(to_cmspi(plot, "T", series="b"))
    assert [p["y"] for p in doc["data"]] == [1.0, 1.0, 1.0]
    assert "series: b" in doc["annotations"]["info"]
    with pytest.raises(InvalidParameter):
        to_cmspi(plot, "T", series="c")


def test_a_histogram_is_one_point_per_bin_at_its_low_edge() -> None:
    plot = Histogram1D(
        edges=np.array([0.0, 0.5, 1.0, 2.0]),
        counts=np.array([3.0, np.nan, 7.0]),
        underflow=2,
        overflow=1,
        x_label="noise",
        x_unit="ADC",
        title="Noise",
    )
    doc = _valid(to_cmspi(plot, "SiStripNoises"))
    assert doc["annotations"]["type"] == "Histo1D"
    assert doc["annotations"]["x_label"] == "noise [ADC]"
    assert doc["data"] == [{"x": 0.0, "y": 3.0}, {"x": 1.0, "y": 7.0}]
    info = doc["annotations"]["info"]
    assert "underflow: 2.0" in info and "overflow: 1.0" in info
    assert "1 bin(s) without a value left out" in info


def test_a_2d_histogram_is_filled_y_outer_x_inner_as_cmssw() -> None:
    values = np.arange(6, dtype=np.float64).reshape(3, 2)  # 3 x bins, 2 y bins
    plot = Histogram2D(
        x_edges=np.array([0.0, 1.0, 2.0, 3.0]),
        y_edges=np.array([10.0, 20.0, 30.0]),
        values=values,
        z_label="entries",
    )
    doc = _valid(to_cmspi(plot, "P"))
    assert doc["annotations"]["z_label"] == "entries"
    assert [(p["x"], p["y"], p["z"]) for p in doc["data"]] == [
        (0.0, 10.0, 0.0),
        (1.0, 10.0, 2.0),
        (2.0, 10.0, 4.0),
        (0.0, 20.0, 1.0),
        (1.0, 20.0, 3.0),
        (2.0, 20.0, 5.0),
    ]


def test_a_scatter_keeps_its_points_and_states_what_it_cannot_hold() -> None:
    plot = Scatter(
        x=np.array([1.0, 2.0, np.nan]),
        y=np.array([4.0, 5.0, 6.0]),
        colour=np.array([7.0, 8.0, 9.0]),
        colour_label="z",
        colour_unit="cm",
    )
    doc = _valid(to_cmspi(plot, "P"))
    assert doc["data"] == [{"x": 1.0, "y": 4.0}, {"x": 2.0, "y": 5.0}]
    assert (
        "z [cm] (point colour) is not part of the CMSSW Scatter form"
        in (doc["annotations"]["info"])
    )


@pytest.mark.parametrize(
    "plot",
    [
        Table(columns={"a": np.array([1, 2])}),
        DetectorMap(geometry="tracker_map", ids=np.array([1, 2], dtype=np.uint32), values=[1, 2]),
    ],
)
def test_tables_and_maps_have_no_cmssw_form(plot: PlotObject) -> None:
    with pytest.raises(UnsupportedExport) as info:
        to_cmspi(plot, "P")
    assert plot.plot_type in str(info.value)
    assert all(name in str(info.value) for name in SUPPORTED)
    assert info.value.http_status == 400


def test_series_is_refused_for_other_types() -> None:
    plot = Scatter(x=np.array([1.0]), y=np.array([1.0]))
    with pytest.raises(InvalidParameter):
        to_cmspi(plot, "P", series="x")


def test_bytes_are_compact_json_of_the_same_document() -> None:
    plot = _history(x=Series(np.array([1.0, 2.0, 3.0])))
    assert json.loads(to_cmspi_bytes(plot, "T")) == to_cmspi(plot, "T")


def test_the_schema_rejects_what_cmssw_would_not_write() -> None:
    good = to_cmspi(_history(x=Series(np.array([1.0, 2.0, 3.0]))), "T")
    validator = Draft202012Validator(dict(CMSPI_SCHEMA))
    assert validator.is_valid(good)
    bad_point = {**good, "data": [{"x": 1, "y": "one"}]}
    numeric_label = {**good, "annotations": {**good["annotations"], "title": 3}}
    missing_z = {
        **good,
        "annotations": {**good["annotations"], "type": "Histo2D"},
        "data": [{"x": 1, "y": 2}],
    }
    for bad in (bad_point, numeric_label, missing_z, {**good, "version": "2.0"}):
        assert not validator.is_valid(bad)
