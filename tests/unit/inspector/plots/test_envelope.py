"""The envelope of a long history: M4 per bucket, against a plain loop over the buckets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bokeh.embed import json_item

from inspector.plots import History, Series
from inspector.plots.envelope import (
    IOVS_PER_PIXEL,
    full_detail_limit,
    history_envelope,
    needs_envelope,
)
from inspector.plots.history import hash_columns
from inspector.render.history import render_history


def _history(n: int, seed: int = 7, *, nan_every: int = 0, spike: int | None = None) -> History:
    rng = np.random.default_rng(seed)
    since = np.cumsum(rng.integers(1, 50, size=n)).astype(np.uint64)
    values = rng.normal(size=n)
    if nan_every:
        values[::nan_every] = np.nan
    b_values = rng.normal(size=n) * 3
    if spike is not None:
        b_values[spike] = 1e3  # one IOV's spike
    payload = rng.integers(0, 40, size=n) // 3  # runs of repeats, and reuse
    return History(
        title="t",
        since=since,
        until=np.r_[since[1:], np.uint64(2**64 - 1)],
        time_type="Run",
        series={
            "a": Series(values, np.abs(rng.normal(size=n)) * 0.1),
            "b": Series(b_values),
        },
        **hash_columns(np.array([f"h{p:02d}" for p in payload])),
    )


@pytest.mark.parametrize("nan_every", [0, 7])
def test_buckets_hold_what_a_loop_over_them_finds(nan_every: int) -> None:
    plot = _history(5_000, nan_every=nan_every)
    x = plot.since.astype(np.float64)
    env = history_envelope(plot, x, 97)
    assert env.start[0] == 0 and env.stop[-1] == plot.iov_count
    assert (env.start[1:] == env.stop[:-1]).all()  # contiguous, nothing lost
    assert int(env.iovs.sum()) == plot.iov_count
    width = (x.max() - x.min()) / 97
    for b, (lo, hi) in enumerate(zip(env.start, env.stop, strict=True)):
        inside = slice(int(lo), int(hi))
        # a bucket's IOVs lie within one bucket width of the span
        assert x[int(hi) - 1] - x[int(lo)] <= width * (1 + 1e-9)
        assert env.payloads[b] == len(set(plot.payload_hash[inside].tolist()))  # type: ignore[index]
        for name, series in plot.series.items():
            values = series.values[inside]
            np.testing.assert_equal(env.series[name].low[b], np.nanmin(values))
            np.testing.assert_equal(env.series[name].high[b], np.nanmax(values))


def test_the_kept_iovs_draw_every_bucket_from_its_min_to_its_max() -> None:
    """A step line through the kept IOVs covers, per bucket, the full line's range."""
    plot = _history(20_000, seed=3, spike=12_345)
    x = plot.since.astype(np.float64)
    env = history_envelope(plot, x, 300)
    assert 12_345 in env.keep
    kept_bucket = np.searchsorted(env.start, env.keep, side="right") - 1
    for name, series in plot.series.items():
        for b in range(env.buckets):
            drawn = series.values[env.keep[kept_bucket == b]]
            assert drawn.min() == env.series[name].low[b]
            assert drawn.max() == env.series[name].high[b]
        if series.errors is not None:  # the band too
            lo = series.values - series.errors
            for b in range(env.buckets):
                inside = slice(int(env.start[b]), int(env.stop[b]))
                assert lo[env.keep[kept_bucket == b]].min() == lo[inside].min()
    assert env.keep.size <= env.buckets * (2 + 2 + 4)


def test_a_long_history_is_drawn_as_buckets_and_says_so() -> None:
    plot = _history(100_000)
    assert needs_envelope(plot.iov_count, 900)
    item = json.dumps(json_item(render_history(plot, {"width": 900})))
    assert "100,000 IOVs shown as 900 buckets" in item
    assert '"IOVs"' in item and '"payloads"' in item
    assert len(item) < 400_000  # every IOV would be megabytes
    short = _history(full_detail_limit(900, series=2))  # two series: "a" and "b"
    assert not needs_envelope(short.iov_count, 900, 2)
    assert "shown as" not in json.dumps(json_item(render_history(short, {"width": 900})))
    longer = _history(full_detail_limit(900, series=2) + 1)
    assert "shown as" in json.dumps(json_item(render_history(longer, {"width": 900})))


def test_more_series_draw_fewer_iovs_one_by_one() -> None:
    """The bytes of a full-detail drawing grow with its series: the limit shrinks with them."""
    assert full_detail_limit(900) == IOVS_PER_PIXEL * 900 == 14_400
    assert full_detail_limit(900, 2) == 9_600 and full_detail_limit(900, 3) == 7_200
    assert not needs_envelope(10_500, 900, 1)  # the demo's beam spot x: every IOV, as before
    assert needs_envelope(10_500, 900, 2)


def test_an_empty_or_one_iov_history_has_a_trivial_envelope() -> None:
    plot = _history(1)
    env = history_envelope(plot, plot.since.astype(np.float64), 10)
    assert env.buckets == 1 and env.keep.tolist() == [0]
