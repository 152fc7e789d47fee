"""Built-in strip noise drawers vs plain numpy over the decoded arrays."""

from __future__ import annotations

import numpy as np
import pytest
from drawer_checks import iov_sinces, payload_at, strip_codes, strip_modules

from inspector.engine import Engine, PlotRequest
from inspector.geometry import readable_names
from inspector.geometry.detid import subdetector
from inspector.plots import Histogram1D, History

TAG = "SiStripNoise_prompt_v1"
CODES = {"TIB": 3, "TID": 4, "TOB": 5, "TEC": 6}


def strip_subdets(p: object) -> np.ndarray:
    modules = strip_modules(p)  # type: ignore[arg-type]
    lengths = np.asarray(modules["iend"]) - np.asarray(modules["ibegin"])
    return np.repeat(np.asarray(subdetector(np.asarray(modules["detid"]))), lengths)


def test_noise_distribution_counts_every_strip(demo_engine: Engine) -> None:
    since = iov_sinces(demo_engine, TAG)[0]
    plot = demo_engine.plot(
        PlotRequest(
            drawer="strips.noise_distribution",
            tag=TAG,
            iov=str(since),
            params={"bins": "30", "max": "12"},
        )
    )
    assert isinstance(plot, Histogram1D)
    noise = strip_codes(payload_at(demo_engine, TAG, since)) / 10.0
    expected, _ = np.histogram(noise, bins=30, range=(0, 12))
    assert plot.counts.tolist() == expected.tolist()
    assert plot.overflow == np.count_nonzero(noise > 12)
    assert plot.counts.sum() + plot.overflow + plot.underflow == 9_316_352


def test_noise_distribution_for_one_partition(demo_engine: Engine) -> None:
    since = iov_sinces(demo_engine, TAG)[-1]
    plot = demo_engine.plot(
        PlotRequest(
            drawer="strips.noise_distribution", tag=TAG, iov=str(since), params={"partition": "TOB"}
        )
    )
    assert isinstance(plot, Histogram1D)
    p = payload_at(demo_engine, TAG, since)
    n_tob = np.count_nonzero(strip_subdets(p) == CODES["TOB"])
    assert plot.counts.sum() + plot.overflow + plot.underflow == n_tob


def test_mean_noise_history_per_subdetector(demo_engine: Engine) -> None:
    plot = demo_engine.plot(PlotRequest(drawer="strips.mean_noise_history", tag=TAG))
    assert isinstance(plot, History)
    assert list(plot.series) == ["TIB", "TID", "TOB", "TEC"]
    since = int(plot.since[-1])
    p = payload_at(demo_engine, TAG, since)
    noise = strip_codes(p) / 10.0
    subdets = strip_subdets(p)
    for name, code in CODES.items():
        assert plot.series[name].values[-1] == pytest.approx(noise[subdets == code].mean())
    assert 3 < plot.series["TIB"].values[0] < 8


def test_bad_strips_history(demo_engine: Engine) -> None:
    plot = demo_engine.plot(
        PlotRequest(drawer="strips.bad_strips_history", tag=TAG, params={"threshold": "12.5"})
    )
    assert isinstance(plot, History)
    p = payload_at(demo_engine, TAG, int(plot.since[0]))
    noise = strip_codes(p) / 10.0
    assert plot.series["dead"].values[0] == np.count_nonzero(noise == 0)
    assert plot.series["noisy"].values[0] == np.count_nonzero(noise > 12.5)
    assert plot.series["dead"].values[0] > 0


def test_noise_ratio_between_two_tags(demo_engine: Engine) -> None:
    prompt = iov_sinces(demo_engine, TAG)
    plot = demo_engine.plot(
        PlotRequest(
            drawer="strips.noise_ratio",
            tag=TAG,
            iov=str(prompt[0]),
            tag2="SiStripNoise_rereco_v2",
            iov2=str(iov_sinces(demo_engine, "SiStripNoise_rereco_v2")[-1]),
            params={"bins": "40", "low": "0.8", "high": "1.2"},
        )
    )
    assert isinstance(plot, Histogram1D)
    a = payload_at(demo_engine, TAG, prompt[0])
    b_since = plot.provenance.iovs[1]
    b = payload_at(demo_engine, "SiStripNoise_rereco_v2", b_since)

    def means(p: object) -> np.ndarray:
        modules = strip_modules(p)  # type: ignore[arg-type]
        noise = strip_codes(p).astype(np.float64) / 10.0  # type: ignore[arg-type]
        return np.array(
            [noise[s:e].mean() for s, e in zip(modules["ibegin"], modules["iend"], strict=True)]
        )

    ma, mb = means(a), means(b)
    ok = (ma > 0) & (mb > 0)
    expected, _ = np.histogram(mb[ok] / ma[ok], bins=40, range=(0.8, 1.2))
    # Means are computed differently (integer sums vs float means): a ratio
    # lying on a bin edge may fall on either side; nothing may be lost.
    assert plot.counts.sum() == expected.sum()
    assert np.abs(plot.counts - expected).sum() <= 4
    assert plot.provenance.labels[0].startswith(TAG)
    assert any("not counted" in n for n in plot.notes)


def test_noise_ratio_rejects_an_empty_range(demo_engine: Engine) -> None:
    from inspector.errors import InvalidParameter

    sinces = iov_sinces(demo_engine, TAG)
    with pytest.raises(InvalidParameter, match="'high'"):
        demo_engine.plot(
            PlotRequest(
                drawer="strips.noise_ratio",
                tag=TAG,
                iov=str(sinces[0]),
                iov2=str(sinces[-1]),
                params={"low": "2", "high": "1"},
            )
        )


def test_noise_ratio_range_comes_from_the_data(demo_engine: Engine) -> None:
    """No low/high: the robust quantiles, so the ratios spread over many bins, none lost."""
    sinces = iov_sinces(demo_engine, TAG)
    plot = demo_engine.plot(
        PlotRequest(drawer="strips.noise_ratio", tag=TAG, iov=str(sinces[0]), iov2=str(sinces[-1]))
    )
    assert isinstance(plot, Histogram1D)
    total = plot.counts.sum() + plot.underflow + plot.overflow
    lo, hi = float(plot.edges[0]), float(plot.edges[-1])
    assert hi - lo < 0.5  # far narrower than the old fixed 0.5-1.5
    assert np.count_nonzero(plot.counts) >= 20  # not squeezed into ~4 bins
    assert plot.underflow + plot.overflow <= 0.011 * total  # 0.5 % tails each, widened


def test_noise_ratio_takes_both_ends_or_neither(demo_engine: Engine) -> None:
    from inspector.errors import InvalidParameter

    sinces = iov_sinces(demo_engine, TAG)
    with pytest.raises(InvalidParameter, match=r"'high'.*both low and high"):
        demo_engine.plot(
            PlotRequest(
                drawer="strips.noise_ratio",
                tag=TAG,
                iov=str(sinces[0]),
                iov2=str(sinces[-1]),
                params={"low": "0.9"},
            )
        )


def test_module_noise_history_follows_one_module(demo_engine: Engine) -> None:
    """Each IOV's value is that module's strips' mean noise and RMS, read from its payload."""
    sinces = iov_sinces(demo_engine, TAG)
    first = payload_at(demo_engine, TAG, sinces[0])
    modules = strip_modules(first)
    row = 1234
    detid = int(modules["detid"][row])
    plot = demo_engine.plot(
        PlotRequest(drawer="strips.module_noise_history", tag=TAG, params={"detid": str(detid)})
    )
    assert isinstance(plot, History) and list(plot.series) == ["noise"]
    assert plot.title == f"Noise of one strip module: {readable_names([detid])[0]} ({detid})"
    assert plot.since.tolist() == sinces
    for i, since in enumerate(sinces):
        p = payload_at(demo_engine, TAG, since)
        m = strip_modules(p)
        r = int(np.flatnonzero(m["detid"] == detid)[0])
        noise = strip_codes(p)[m["ibegin"][r] : m["iend"][r]] / 10.0
        assert plot.series["noise"].values[i] == pytest.approx(noise.mean())
        errors = plot.series["noise"].errors
        assert errors is not None and errors[i] == pytest.approx(noise.std())


def test_module_noise_history_of_an_absent_module_has_no_values(demo_engine: Engine) -> None:
    plot = demo_engine.plot(
        PlotRequest(drawer="strips.module_noise_history", tag=TAG, params={"detid": "303042564"})
    )
    assert isinstance(plot, History)
    assert np.isnan(plot.series["noise"].values).all()  # a pixel module has no strips
