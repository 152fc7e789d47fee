"""Built-in pixel and ECAL drawers vs plain numpy over the decoded arrays."""

from __future__ import annotations

import numpy as np
import pytest
from drawer_checks import iov_sinces, payload_at

from inspector.engine import Engine, PlotRequest
from inspector.geometry.detid import subdetector
from inspector.geometry.ecal import barrel_crystals
from inspector.plots import Histogram1D, Histogram2D, History

PIXELS = "SiPixelGainCalibration_2024_v1"
ECAL = "EcalPedestals_hlt_v1"


def _physical(p: object, name: str) -> np.ndarray:
    codes = np.asarray(p[name], dtype=np.float64)  # type: ignore[index]
    lo = float(p[f"min_{name}"])  # type: ignore[index]
    hi = float(p[f"max_{name}"])  # type: ignore[index]
    return lo + codes * (hi - lo) / 255.0


def test_gain_distribution_dequantises_codes(demo_engine: Engine) -> None:
    since = iov_sinces(demo_engine, PIXELS)[0]
    plot = demo_engine.plot(
        PlotRequest(
            drawer="pixels.gain_distribution",
            tag=PIXELS,
            iov=str(since),
            params={"partition": "FPix"},
        )
    )
    assert isinstance(plot, Histogram1D)
    p = payload_at(demo_engine, PIXELS, since)
    m = p["modules"]
    fpix = np.repeat(
        np.asarray(subdetector(np.asarray(m["detid"]))) == 2,
        np.asarray(m["iend"]) - np.asarray(m["ibegin"]),
    )
    expected, _ = np.histogram(_physical(p, "gain")[fpix], bins=100, range=(0.0, 6.0))
    assert plot.counts.tolist() == expected.tolist()


def test_pedestal_history_per_partition(demo_engine: Engine) -> None:
    plot = demo_engine.plot(
        PlotRequest(drawer="pixels.mean_history", tag=PIXELS, params={"quantity": "pedestal"})
    )
    assert isinstance(plot, History)
    p = payload_at(demo_engine, PIXELS, int(plot.since[0]))
    m = p["modules"]
    bpix = np.repeat(
        np.asarray(subdetector(np.asarray(m["detid"]))) == 1,
        np.asarray(m["iend"]) - np.asarray(m["ibegin"]),
    )
    assert plot.series["BPix"].values[0] == pytest.approx(_physical(p, "pedestal")[bpix].mean())


def test_barrel_map_places_every_crystal(demo_engine: Engine) -> None:
    since = iov_sinces(demo_engine, ECAL)[0]
    plot = demo_engine.plot(
        PlotRequest(
            drawer="ecal.pedestal_barrel_map", tag=ECAL, iov=str(since), params={"gain": "x6"}
        )
    )
    assert isinstance(plot, Histogram2D)
    p = payload_at(demo_engine, ECAL, since)
    ieta, iphi, _ = barrel_crystals()
    values = np.asarray(p["eb_"]["m_items"]["mean_x6"])
    i = 12345
    assert plot.values[iphi[i] - 1, ieta[i] + 85] == pytest.approx(values[i])
    assert np.isnan(plot.values[:, 85]).all()  # there is no iη = 0
    assert np.count_nonzero(~np.isnan(plot.values)) == 61200


def test_endcap_map_and_history(demo_engine: Engine) -> None:
    since = iov_sinces(demo_engine, ECAL)[0]
    plot = demo_engine.plot(
        PlotRequest(
            drawer="ecal.pedestal_endcap_map",
            tag=ECAL,
            iov=str(since),
            params={"side": "plus", "quantity": "rms"},
        )
    )
    assert isinstance(plot, Histogram2D)
    assert np.count_nonzero(~np.isnan(plot.values)) == 7324
    p = payload_at(demo_engine, ECAL, since)
    history = demo_engine.plot(PlotRequest(drawer="ecal.pedestal_history", tag=ECAL))
    assert isinstance(history, History)
    assert history.series["EE"].values[0] == pytest.approx(
        np.asarray(p["ee_"]["m_items"]["mean_x12"], dtype=np.float64).mean()
    )
    assert history.series["EB"].errors is not None


def test_barrel_difference_is_second_minus_first(demo_engine: Engine) -> None:
    s = iov_sinces(demo_engine, ECAL)
    plot = demo_engine.plot(
        PlotRequest(
            drawer="ecal.pedestal_difference_barrel", tag=ECAL, iov=str(s[0]), iov2=str(s[-1])
        )
    )
    assert isinstance(plot, Histogram2D)
    a = np.asarray(
        payload_at(demo_engine, ECAL, s[0])["eb_"]["m_items"]["mean_x12"], dtype=np.float64
    )
    b = np.asarray(
        payload_at(demo_engine, ECAL, s[-1])["eb_"]["m_items"]["mean_x12"], dtype=np.float64
    )
    ieta, iphi, _ = barrel_crystals()
    assert plot.values[iphi[7] - 1, ieta[7] + 85] == pytest.approx(b[7] - a[7])
