"""Built-in pixel and ECAL drawers vs plain numpy over the decoded arrays.

The pixel drawers are checked on the demo's SiPixelGainCalibrationForHLT
tag and on a small SiPixelGainCalibrationOffline payload (six modules)
written with the real encoding, each against its bytes decoded by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from drawer_checks import iov_sinces, payload_at

from inspector.cmssw import pixels as sipixel
from inspector.conddb import ConditionsWriter
from inspector.config import Config, DatabaseConfig
from inspector.engine import Engine, PlotRequest
from inspector.geometry.detid import subdetector
from inspector.geometry.ecal import barrel_crystals
from inspector.geometry.shipped import pixel_modules
from inspector.plots import DetectorMap, Histogram1D, Histogram2D, History
from inspector.plugin import load_plugins

PIXELS = "SiPixelGainCalibrationHLT_2024_v1"
ECAL = "EcalPedestals_hlt_v1"
OFFLINE_TAG = "SiPixelGainCalibrationOffline_test_v1"
T0 = dt.datetime(2024, 5, 1, 8, 0, 0)


def _hlt_blocks(p: Any) -> dict[str, np.ndarray]:
    """Every column block of a ForHLT payload by plain numpy: module, gain, pedestal (NaN: flagged).

    A block is two bytes, the gain code then the pedestal code; a code c is
    ``c * precision + min`` in double, then float.
    """
    raw = np.asarray(p["v_pedestals"]).view(np.uint8).reshape(-1, 2)
    idx = p["indexes"]
    module = np.repeat(np.arange(idx.size), (idx["iend"] - idx["ibegin"]) // 2)
    out: dict[str, np.ndarray] = {"module": module}
    for k, (name, low, step) in enumerate(
        (("gain", "minGain_", "gainPrecision"), ("pedestal", "minPed_", "pedPrecision"))
    ):
        codes = raw[:, k]
        value = (codes * np.float64(p[step]) + np.float64(p[low])).astype(np.float32)
        out[name] = np.where(codes >= 254, np.nan, value.astype(np.float64))
    return out


def test_gain_distribution_decodes_hlt_codes(demo_engine: Engine) -> None:
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
    blocks = _hlt_blocks(p)
    fpix = np.asarray(subdetector(np.asarray(p["indexes"]["detid"])))[blocks["module"]] == 2
    gain = blocks["gain"][fpix]
    expected, _ = np.histogram(gain[~np.isnan(gain)], bins=100, range=(0.0, 6.0))
    assert plot.counts.tolist() == expected.tolist()
    assert plot.y_label == "ROC columns"
    dead = int(np.isnan(gain).sum())
    assert dead > 0 and plot.notes == (
        f"{dead} dead and 0 noisy ROC columns (flagged codes) are not shown",
    )


def test_pedestal_history_per_partition(demo_engine: Engine) -> None:
    plot = demo_engine.plot(
        PlotRequest(drawer="pixels.mean_history", tag=PIXELS, params={"quantity": "pedestal"})
    )
    assert isinstance(plot, History)
    p = payload_at(demo_engine, PIXELS, int(plot.since[0]))
    blocks = _hlt_blocks(p)
    bpix = np.asarray(subdetector(np.asarray(p["indexes"]["detid"])))[blocks["module"]] == 1
    assert plot.series["BPix"].values[0] == pytest.approx(np.nanmean(blocks["pedestal"][bpix]))


# --------------------------------------------------------------------------- Offline


def _offline_payload() -> dict[str, Any]:
    """Six real Phase-1 modules (3 BPix layer 1, 3 FPix), a pedestal per pixel, some flags."""
    ids = pixel_modules()[0]
    sub = np.asarray(subdetector(ids))
    chosen = np.sort(np.r_[ids[sub == 1][:3], ids[sub == 2][-3:]])
    rng = np.random.default_rng(5)
    n = chosen.size
    pixels = n * 416 * 160
    ped = rng.integers(40, 200, pixels).astype(np.uint8)
    gain = rng.integers(20, 230, n * 416 * 2).astype(np.uint8)
    ped[rng.choice(pixels, 50, replace=False)] = sipixel.DEAD_FLAG
    ped[rng.choice(pixels, 20, replace=False)] = sipixel.NOISY_FLAG
    gain[:3] = sipixel.DEAD_FLAG
    return sipixel.members(
        chosen,
        np.full(n, 416),
        np.full(n, 160),
        ped,
        gain,
        pedestal_range=(0.0, 100.0),
        gain_range=(1.0, 5.0),
    )


@pytest.fixture(scope="module")
def offline_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One SiPixelGainCalibrationOffline tag of one payload, written as CMSSW writes it."""
    path = tmp_path_factory.mktemp("offline") / "offline.sqlite"
    writer = ConditionsWriter.create_sqlite(path)
    with writer, writer.begin() as conn:
        digest = writer.add_payload(conn, sipixel.OFFLINE, _offline_payload(), insertion_time=T0)
        writer.add_tag(conn, OFFLINE_TAG, time_type="Run", object_type=sipixel.OFFLINE)
        writer.add_iovs(conn, OFFLINE_TAG, [(1, digest, T0)])
    engine = Engine(
        Config({"demo": DatabaseConfig("demo", f"sqlite:///{path}")}, "demo"), load_plugins()
    )
    yield engine
    engine.close()


def _offline_by_hand(p: Any) -> dict[str, np.ndarray]:
    """Pixels and column blocks of an Offline payload by plain numpy (81-byte blocks)."""
    raw = np.asarray(p["v_pedestals"]).view(np.uint8).reshape(-1, 81)
    idx = p["indexes"]
    module = np.repeat(np.arange(idx.size), (idx["iend"] - idx["ibegin"]) // 81)

    def value(codes: np.ndarray, low: str, high: str) -> np.ndarray:
        lo, hi = np.float32(p[low]), np.float32(p[high])
        step = np.float64(np.float32((hi - lo) / np.float32(253)))
        v = (codes * step + np.float64(lo)).astype(np.float32).astype(np.float64)
        return np.where(codes >= 254, np.nan, v)

    return {
        "module": module,
        "pedestal": value(raw[:, :80], "minPed_", "maxPed_"),  # blocks × 80 pixels
        "gain": value(raw[:, 80], "minGain_", "maxGain_"),
    }


def test_offline_payload_draws_per_pixel_pedestals(offline_engine: Engine) -> None:
    p = payload_at(offline_engine, OFFLINE_TAG, 1)
    hand = _offline_by_hand(p)
    plot = offline_engine.plot(
        PlotRequest(
            drawer="pixels.pedestal_distribution",
            tag=OFFLINE_TAG,
            iov="1",
            params={"bins": "50", "low": "0", "high": "100"},
        )
    )
    assert isinstance(plot, Histogram1D) and plot.y_label == "pixels"
    ped = hand["pedestal"].ravel()
    expected, _ = np.histogram(ped[~np.isnan(ped)], bins=50, range=(0.0, 100.0))
    assert plot.counts.tolist() == expected.tolist()
    assert plot.notes == ("50 dead and 20 noisy pixels (flagged codes) are not shown",)
    gains = offline_engine.plot(
        PlotRequest(drawer="pixels.gain_distribution", tag=OFFLINE_TAG, iov="1")
    )
    assert isinstance(gains, Histogram1D) and gains.y_label == "ROC columns"
    assert gains.counts.sum() == np.count_nonzero(~np.isnan(hand["gain"])) == 6 * 832 - 3


def test_offline_history_and_barrel_map(offline_engine: Engine) -> None:
    p = payload_at(offline_engine, OFFLINE_TAG, 1)
    hand = _offline_by_hand(p)
    sub = np.asarray(subdetector(np.asarray(p["indexes"]["detid"])))
    for quantity in ("gain", "pedestal"):
        history = offline_engine.plot(
            PlotRequest(
                drawer="pixels.mean_history", tag=OFFLINE_TAG, params={"quantity": quantity}
            )
        )
        assert isinstance(history, History)
        values = hand[quantity]
        module = hand["module"] if values.ndim == 1 else np.repeat(hand["module"], 80)
        for name, code in (("BPix", 1), ("FPix", 2)):
            chosen = values.ravel()[sub[module] == code]
            assert history.series[name].values[0] == pytest.approx(np.nanmean(chosen), rel=1e-9)
    plot = offline_engine.plot(
        PlotRequest(
            drawer="maps.pixel_barrel", tag=OFFLINE_TAG, iov="1", params={"quantity": "pedestal"}
        )
    )
    assert isinstance(plot, DetectorMap)
    first = int(p["indexes"]["detid"][0])
    expected = np.nanmean(hand["pedestal"][hand["module"] == 0])
    assert float(plot.values[plot.ids.tolist().index(first)]) == pytest.approx(expected, rel=1e-9)
    assert np.count_nonzero(~np.isnan(plot.values)) == 3  # the three layer-1 modules


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


@pytest.mark.parametrize("quantity", ["gain", "pedestal"])
def test_module_history_is_the_mean_of_one_module(demo_engine: Engine, quantity: str) -> None:
    sinces = iov_sinces(demo_engine, PIXELS)
    detid = int(np.asarray(payload_at(demo_engine, PIXELS, sinces[0])["indexes"]["detid"])[700])
    plot = demo_engine.plot(
        PlotRequest(
            drawer="pixels.module_history",
            tag=PIXELS,
            params={"detid": str(detid), "quantity": quantity},
        )
    )
    assert isinstance(plot, History)
    for i, since in enumerate(sinces):
        p = payload_at(demo_engine, PIXELS, since)
        blocks = _hlt_blocks(p)
        row = int(np.flatnonzero(np.asarray(p["indexes"]["detid"]) == detid)[0])
        expected = np.nanmean(blocks[quantity][blocks["module"] == row])
        assert plot.series["mean"].values[i] == pytest.approx(expected, rel=1e-6)
