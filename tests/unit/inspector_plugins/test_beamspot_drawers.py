"""Built-in beam spot drawers on the demo database vs direct reads of the payloads."""

from __future__ import annotations

import numpy as np
import pytest
from drawer_checks import iov_sinces, payload_at

from inspector.engine import Engine, PlotRequest
from inspector.payload import DecodedPayload
from inspector.plots import History, Table

LUMI = "BeamSpotObjects_PCL_byLumi_v1"
LEGACY = "BeamSpotObjects_2016_legacy_v1"


def _member(p: DecodedPayload, field: str) -> float:
    """A beam spot quantity read straight from CMSSW's BeamSpotObjects members."""
    if field in "xyz":
        return float(p["position_"]["xyz".index(field)])
    return float(p[field])


@pytest.mark.parametrize(
    ("drawer", "field", "cov"),
    [
        ("beamspot.position_x", "x", 0),
        ("beamspot.position_y", "y", 1),
        ("beamspot.position_z", "z", 2),
        ("beamspot.sigma_z", "sigmaZ_", 3),
    ],
)
def test_position_histories_match_every_iov(
    demo_engine: Engine, drawer: str, field: str, cov: int
) -> None:
    plot = demo_engine.plot(PlotRequest(drawer=drawer, tag=LUMI))
    assert isinstance(plot, History)
    sinces = iov_sinces(demo_engine, LUMI)
    assert plot.since.tolist() == sinces
    series = next(iter(plot.series.values()))
    for i in (0, len(sinces) // 2, len(sinces) - 1):
        p = payload_at(demo_engine, LUMI, sinces[i])
        assert series.values[i] == _member(p, field)
        assert series.errors is not None
        assert series.errors[i] == pytest.approx(np.sqrt(p["covariance_"][cov, cov]))


def test_width_history_in_micrometres(demo_engine: Engine) -> None:
    plot = demo_engine.plot(PlotRequest(drawer="beamspot.width", tag=LUMI))
    assert isinstance(plot, History)
    p = payload_at(demo_engine, LUMI, int(plot.since[3]))
    assert plot.series["width_x"].values[3] == pytest.approx(float(p["beamwidthX_"]) * 1e4)
    assert plot.series["width_y"].errors is not None
    assert plot.series["width_y"].errors[3] == pytest.approx(float(p["beamwidthYError_"]) * 1e4)
    assert 5 < float(np.nanmean(plot.series["width_x"].values)) < 30


def test_legacy_release_reads_through_the_same_drawers(demo_engine: Engine) -> None:
    plot = demo_engine.plot(PlotRequest(drawer="beamspot.slopes", tag=LEGACY))
    assert isinstance(plot, History)
    p = payload_at(demo_engine, LEGACY, int(plot.since[0]))
    assert p.library_version == 11 and p.streamer.boost_version == "1.57"
    assert plot.series["dxdz"].values[0] == float(p["dxdz_"])
    width = demo_engine.plot(PlotRequest(drawer="beamspot.width", tag=LEGACY))
    assert isinstance(width, History)
    assert width.series["width_x"].values[0] == pytest.approx(float(p["beamwidthX_"]) * 1e4)
    assert width.series["width_y"].values[0] == width.series["width_x"].values[0]


def test_parameters_and_compare_tables(demo_engine: Engine) -> None:
    sinces = iov_sinces(demo_engine, LUMI)
    table = demo_engine.plot(
        PlotRequest(drawer="beamspot.parameters", tag=LUMI, iov=str(sinces[1]))
    )
    assert isinstance(table, Table)
    p = payload_at(demo_engine, LUMI, sinces[1])
    row = list(table.columns["parameter"]).index("z")
    assert table.columns["value"][row] == _member(p, "z")
    cmp = demo_engine.plot(
        PlotRequest(drawer="beamspot.compare", tag=LUMI, iov=str(sinces[0]), iov2=str(sinces[-1]))
    )
    assert isinstance(cmp, Table)
    q = payload_at(demo_engine, LUMI, sinces[-1])
    first = payload_at(demo_engine, LUMI, sinces[0])
    assert cmp.columns["difference"][row] == pytest.approx(_member(q, "z") - _member(first, "z"))
    assert list(cmp.columns)[1:3] == list(cmp.provenance.labels)
    assert dict(cmp.bars) == {"difference / σ": ""}  # the pulls, charted per parameter
