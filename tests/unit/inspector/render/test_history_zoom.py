"""A zoomed history drawing: the IOVs of the range, at the detail it needs, and its values."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pytest

from inspector.plots import History, Series
from inspector.plots.history import hash_columns
from inspector.render.history import decoded_sources, history_values, render_history

N: Final = 100_000
#: The one IOV whose value stands out (a single-IOV outlier in "b").
OUTLIER: Final = 61_234
SPIKE: Final = 1e3


def _history(n: int = N) -> History:
    """A run-based history with an error band on "a", reused payloads and one outlier in "b"."""
    rng = np.random.default_rng(11)
    since = np.cumsum(rng.integers(1, 50, size=n)).astype(np.uint64) + np.uint64(300_000)
    b = rng.normal(size=n) * 3
    b[OUTLIER] = SPIKE
    return History(
        title="t",
        since=since,
        until=np.r_[since[1:], np.uint64(2**32 - 1)],
        time_type="Run",
        series={
            "a": Series(rng.normal(size=n), np.abs(rng.normal(size=n)) * 0.1, unit="cm"),
            "b": Series(b),
        },
        **hash_columns(np.array([f"h{p:03d}" for p in rng.integers(0, 300, size=n)])),
    )


def _values(plot: History, **options: Any) -> dict[str, Any]:
    values = history_values(render_history(plot, {"width": 900, **options}))
    values["columns"] = {
        (source, name): column
        for source, columns in decoded_sources(values).items()
        for name, column in columns.items()
    }
    return values


@pytest.fixture(scope="module")
def plot() -> History:
    return _history()


def test_the_whole_history_is_buckets_and_keeps_the_outlier_in_its_bucket(plot: History) -> None:
    values = _values(plot)
    columns = values["columns"]
    assert columns["history_iovs", "x"].size == 0  # the per-IOV hover is there, empty
    highs = columns["history_buckets", "hi1"]
    assert highs.size == 900 and float(np.nanmax(highs)) == SPIKE
    assert int(columns["history_buckets", "n"].sum()) == N  # every IOV in some bucket
    assert SPIKE in columns["history_steps_1", "y"]  # and the drawn line reaches it
    assert values["caption"] == f"{N:,} IOVs shown as 900 buckets " + (
        "(first, last, min and max of each); zoom in for every IOV"
    )


def test_a_zoom_draws_every_iov_of_the_range_with_its_own_hover(plot: History) -> None:
    x = plot.since.astype(np.float64)
    first, last = OUTLIER - 300, OUTLIER + 300
    values = _values(plot, zoom=(x[first] + 0.5, x[last] + 0.5))
    columns = values["columns"]
    rows = last - first + 1  # from the IOV valid at the start to the one valid at the end
    assert values["range"] == [x[first] + 0.5, x[last] + 0.5]
    assert columns["history_buckets", "x"].size == 0
    np.testing.assert_array_equal(columns["history_iovs", "s_n"], x[first : last + 1])
    np.testing.assert_array_equal(
        columns["history_iovs", "v1"], plot.series["b"].values[first : last + 1]
    )
    np.testing.assert_array_equal(
        columns["history_iovs", "e0"],
        plot.series["a"].errors[first : last + 1],  # type: ignore[index]
    )
    assert columns["history_iovs", "v1"][OUTLIER - first] == SPIKE
    assert columns["history_steps_1", "y"].size == rows + 1  # every IOV, then where it ends
    hashes = columns["history_hashes", "hash"]
    named = [hashes[h] for h in columns["history_iovs", "h"].tolist()]
    assert named == plot.payload_hash[first : last + 1].tolist()  # type: ignore[index]
    assert values["caption"] == f"{rows:,} IOVs, each drawn"
    assert values["extent"][1] == SPIKE  # the hover spans reach the outlier


def test_a_wide_zoom_is_still_an_envelope_of_that_range(plot: History) -> None:
    x = plot.since.astype(np.float64)
    values = _values(plot, zoom=(x[10_000], x[60_000]), width=500)
    columns = values["columns"]
    assert columns["history_iovs", "x"].size == 0
    assert columns["history_buckets", "x"].size == 500
    assert int(columns["history_buckets", "n"].sum()) == 50_000  # the one starting at the end: no
    assert float(np.nanmax(columns["history_buckets", "hi1"])) < SPIKE  # outside the range
    assert values["caption"].startswith("50,000 IOVs shown as 500 buckets")


def test_the_figure_opens_on_the_zoom_and_resets_to_the_whole_history(plot: History) -> None:
    fig = render_history(plot, {"zoom": (400_000.0, 410_000.0)})
    x_range = fig.select_one({"name": "history_x"})
    assert (x_range.start, x_range.end) == (400_000.0, 410_000.0)
    whole = render_history(plot, {}).select_one({"name": "history_x"})
    assert (x_range.reset_start, x_range.reset_end) == (whole.start, whole.end)
    assert whole.start < float(plot.since[0]) and whole.end > float(plot.since[-1])


def test_a_zoom_beside_the_history_draws_nothing_and_says_so(plot: History) -> None:
    values = _values(plot, zoom=(1.0, 2.0))
    assert all(column.size == 0 for column in values["columns"].values())
    assert values["caption"] == "0 IOVs, each drawn"


def test_columns_are_sent_compressed_when_that_is_smaller(plot: History) -> None:
    wire = history_values(render_history(plot, {"width": 900}))["sources"]
    assert wire["history_buckets"]["n"].get("gzip") is True  # small counts: compress well
    assert "gzip" not in wire["history_iovs"]["x"]  # empty: nothing to gain


def test_a_column_sent_already_is_referred_to(plot: History) -> None:
    """The series share their drawn x (the envelope's IOVs): sent once, in name order."""
    wire = history_values(render_history(plot, {"width": 900}))["sources"]
    first = ["history_band_0", "x"]
    assert "data" in wire["history_band_0"]["x"]
    assert wire["history_steps_0"]["x"] == wire["history_steps_1"]["x"] == {"same_as": first}
    decoded = decoded_sources({"sources": wire})
    assert decoded["history_steps_1"]["x"].size == decoded["history_steps_1"]["y"].size > 900
    assert decoded["history_steps_1"]["x"] is decoded["history_band_0"]["x"]


def test_a_zoom_past_the_end_shows_the_open_last_iov(plot: History) -> None:
    values = _values(plot, zoom=(1e12, 2e12))
    assert values["columns"]["history_iovs", "s_n"].tolist() == [float(plot.since[-1])]
