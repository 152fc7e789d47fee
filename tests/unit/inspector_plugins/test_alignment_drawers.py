"""Built-in alignment drawers vs plain numpy over the decoded records."""

from __future__ import annotations

import numpy as np
import pytest
from drawer_checks import alignment_modules, iov_sinces, payload_at

from inspector.engine import Engine, PlotRequest
from inspector.geometry.detid import subdetector
from inspector.plots import Histogram1D, History, Table

PROMPT = "TrackerAlignment_prompt_v1"
RERECO = "TrackerAlignment_rereco_v1"


def _deltas(engine: Engine, s1: int, s2: int) -> dict[str, np.ndarray]:
    a = alignment_modules(payload_at(engine, PROMPT, s1))
    b = alignment_modules(payload_at(engine, PROMPT, s2))
    by_id = {int(d): i for i, d in enumerate(b["detid"])}
    order = np.array([by_id[int(d)] for d in a["detid"]])
    out = {c: (np.asarray(b[c])[order] - np.asarray(a[c])) * 1e4 for c in "xyz"}
    out["detid"] = np.asarray(a["detid"])
    return out


def test_delta_distribution_two_iovs(demo_engine: Engine) -> None:
    s = iov_sinces(demo_engine, PROMPT)
    plot = demo_engine.plot(
        PlotRequest(
            drawer="alignment.delta_distribution",
            tag=PROMPT,
            iov=str(s[0]),
            iov2=str(s[-1]),
            params={"coordinate": "z", "partition": "BPix", "bins": "50", "range": "200"},
        )
    )
    assert isinstance(plot, Histogram1D)
    d = _deltas(demo_engine, s[0], s[-1])
    sel = np.asarray(subdetector(d["detid"])) == 1
    expected, _ = np.histogram(d["z"][sel], bins=50, range=(-200, 200))
    assert plot.counts.tolist() == expected.tolist()
    assert plot.x_unit == "µm"


def test_delta_summary_per_partition(demo_engine: Engine) -> None:
    s = iov_sinces(demo_engine, PROMPT)
    plot = demo_engine.plot(
        PlotRequest(drawer="alignment.delta_summary", tag=PROMPT, iov=str(s[0]), iov2=str(s[-1]))
    )
    assert isinstance(plot, Table)
    d = _deltas(demo_engine, s[0], s[-1])
    codes = np.asarray(subdetector(d["detid"]))
    row = list(plot.columns["partition"]).index("TOB")
    assert plot.columns["modules"][row] == np.count_nonzero(codes == 5)
    assert plot.columns["mean Δx"][row] == pytest.approx(d["x"][codes == 5].mean())
    assert plot.columns["rms Δy"][row] == pytest.approx(np.sqrt(np.mean(d["y"][codes == 5] ** 2)))


def test_two_tag_comparison_and_history(demo_engine: Engine) -> None:
    s = iov_sinces(demo_engine, PROMPT)
    plot = demo_engine.plot(
        PlotRequest(drawer="alignment.delta_summary", tag=PROMPT, iov=str(s[-1]), tag2=RERECO)
    )
    assert plot.provenance.tags == (PROMPT, RERECO)
    history = demo_engine.plot(
        PlotRequest(
            drawer="alignment.mean_position_history", tag=PROMPT, params={"partition": "TIB"}
        )
    )
    assert isinstance(history, History)
    p = alignment_modules(payload_at(demo_engine, PROMPT, int(history.since[1])))
    sel = np.asarray(subdetector(np.asarray(p["detid"]))) == 3
    assert history.series["z"].values[1] == pytest.approx(np.asarray(p["z"])[sel].mean() * 1e4)


@pytest.mark.parametrize("coordinate", ["x", "z", "phi"])
def test_module_position_history_reads_each_payload(demo_engine: Engine, coordinate: str) -> None:
    sinces = iov_sinces(demo_engine, PROMPT)
    detid = int(alignment_modules(payload_at(demo_engine, PROMPT, sinces[0]))["detid"][2000])
    plot = demo_engine.plot(
        PlotRequest(
            drawer="alignment.module_position_history",
            tag=PROMPT,
            params={"detid": str(detid), "coordinate": coordinate},
        )
    )
    assert isinstance(plot, History)
    for i, since in enumerate(sinces):
        p = alignment_modules(payload_at(demo_engine, PROMPT, since))
        r = int(np.flatnonzero(np.asarray(p["detid"]) == detid)[0])
        x, y = float(p["x"][r]), float(p["y"][r])
        expected = np.arctan2(y, x) * 1e6 if coordinate == "phi" else float(p[coordinate][r]) * 1e4
        assert plot.series["position"].values[i] == pytest.approx(expected)
    # The module moved between IOVs: the history is not flat.
    assert np.ptp(plot.series["position"].values) > 0


def test_delta_summary_splits_the_endcaps_by_side(demo_engine: Engine) -> None:
    """TEC−/TEC+ (and TID, FPix) are their own rows, the side read from the DetId bits."""
    s = iov_sinces(demo_engine, PROMPT)
    plot = demo_engine.plot(
        PlotRequest(drawer="alignment.delta_summary", tag=PROMPT, iov=str(s[0]), iov2=str(s[-1]))
    )
    assert isinstance(plot, Table)
    assert list(plot.columns["partition"]) == [
        "BPix", "FPix-", "FPix+", "TIB", "TID-", "TID+", "TOB", "TEC-", "TEC+",
    ]  # fmt: skip
    d = _deltas(demo_engine, s[0], s[-1])
    ids = d["detid"].astype(np.uint32)
    sub = ids >> 25 & 0x7
    # TrackerTopology: TEC side in bits 18-19, TID in 13-14, FPix in 23-24; 1 is z < 0.
    side = np.select([sub == 6, sub == 4, sub == 2], [ids >> 18 & 3, ids >> 13 & 3, ids >> 23 & 3])
    names = list(plot.columns["partition"])
    for name, code, z in (("TEC-", 6, 1), ("TEC+", 6, 2), ("TID-", 4, 1), ("FPix+", 2, 2)):
        sel = (sub == code) & (side == z)
        row = names.index(name)
        assert plot.columns["modules"][row] == np.count_nonzero(sel)
        assert plot.columns["mean Δz"][row] == pytest.approx(d["z"][sel].mean())
    assert plot.columns["modules"].sum() == ids.size
    # One symbol per coordinate, and every mean charted with its RMS.
    assert "mean Δφ" in plot.columns and not any("phi" in c for c in plot.columns)
    assert dict(plot.bars) == {f"mean Δ{c}": f"rms Δ{c}" for c in ("x", "y", "z", "φ")}
    assert plot.units["rms Δφ"] == "µrad"
