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
