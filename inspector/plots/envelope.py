"""What the eye must see of a long history: its envelope per horizontal bucket (M4).

A screen shows a history of a million IOVs in about a thousand pixel columns.
Sending every IOV costs tens of megabytes and seconds of drawing, and shows
nothing more: in each column the eye sees where the line enters, where it
leaves, and how low and high it goes.  :func:`history_envelope` splits the x
axis into equal buckets and keeps, per bucket and per series, the IOVs
holding the first, last, minimum and maximum value (the M4 aggregation of
Jugel et al., VLDB 2014), plus the lowest and highest edge of the error band.
A step line through the kept IOVs covers, in each column, exactly the range
the full line covers: a spike of one IOV stays visible.

Each bucket also counts its IOVs and distinct payloads, and gives the
min..max of each series, for the hover.  Everything is vectorised (no Python
loop over IOVs): a million IOVs and three series take tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.plots.history import History

__all__ = [
    "IOVS_PER_PIXEL",
    "BucketRange",
    "HistoryEnvelope",
    "full_detail_limit",
    "history_envelope",
    "needs_envelope",
]

#: Above this many IOVs per horizontal pixel a one-series history is sent as
#: its envelope.  Below it every IOV is drawn (10,500 IOVs on 900 pixels draw
#: in about 0.5 s) and the hover names the IOV under the pointer.
IOVS_PER_PIXEL: Final = 16

Index = npt.NDArray[np.intp]
Floats = npt.NDArray[np.float64]


def full_detail_limit(pixels: int, series: int = 1) -> int:
    """The most IOVs drawn one by one on ``pixels`` columns with ``series`` series.

    :data:`IOVS_PER_PIXEL` for one series, fewer for more: each IOV sends
    its x, edges and hover cells (about 9 bytes gzip) plus about 6 per series,
    so the limit scales as 2 / (1 + series) to keep a full-detail drawing
    under 300 kB as sent whatever the series (measured at 14,000 IOVs: one
    series 211 kB, two 293 kB; at the limit now two series are 9,600 IOVs).
    """
    return IOVS_PER_PIXEL * max(pixels, 1) * 2 // (1 + max(series, 1))


def needs_envelope(iov_count: int, pixels: int, series: int = 1) -> bool:
    """Whether ``iov_count`` IOVs of ``series`` series are more than ``pixels`` columns show."""
    return iov_count > full_detail_limit(pixels, series)


@dataclass(frozen=True)
class BucketRange:
    """The min..max of one series in each bucket (NaN where the bucket has no value)."""

    low: Floats
    high: Floats


@dataclass(frozen=True)
class HistoryEnvelope:
    """A history reduced to buckets of equal x width; only non-empty buckets are kept.

    ``keep`` are the indices (increasing) of the IOVs to draw; ``start`` and
    ``stop`` the first and one-past-last IOV of each bucket, so IOV counts,
    since of the first and until of the last IOV follow from them.
    """

    keep: Index
    start: Index
    stop: Index
    payloads: npt.NDArray[np.int64]
    series: Mapping[str, BucketRange]

    @property
    def buckets(self) -> int:
        """Number of non-empty buckets."""
        return int(self.start.size)

    @property
    def iovs(self) -> npt.NDArray[np.int64]:
        """IOVs in each bucket."""
        return (self.stop - self.start).astype(np.int64)


def history_envelope(plot: History, x: Floats, buckets: int) -> HistoryEnvelope:
    """The M4 envelope of ``plot`` drawn at ``x`` (increasing, one per IOV) in ``buckets``."""
    n = plot.iov_count
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        nothing = BucketRange(np.zeros(0), np.zeros(0))
        return HistoryEnvelope(
            empty, empty, empty, np.zeros(0, np.int64), dict.fromkeys(plot.series, nothing)
        )
    bucket = _bucket_of(x, max(int(buckets), 1))
    start = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    stop = np.r_[start[1:], n]
    rank = np.repeat(np.arange(start.size), stop - start)  # bucket number of each IOV
    keep = [start, stop - 1]
    ranges: dict[str, BucketRange] = {}
    for name, series in plot.series.items():
        low, low_at = _extreme(series.values, start, rank, np.fmin)
        high, high_at = _extreme(series.values, start, rank, np.fmax)
        keep += [low_at, high_at]
        if series.errors is not None:
            keep += [
                _extreme(series.values - series.errors, start, rank, np.fmin)[1],
                _extreme(series.values + series.errors, start, rank, np.fmax)[1],
            ]
        ranges[name] = BucketRange(low, high)
    return HistoryEnvelope(
        keep=np.unique(np.concatenate(keep)),
        start=start,
        stop=stop,
        payloads=_distinct_payloads(plot, rank, start.size),
        series=ranges,
    )


def _bucket_of(x: Floats, buckets: int) -> npt.NDArray[np.int64]:
    """Bucket number (0..buckets-1) of each x, equal widths over the span."""
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return np.zeros(x.size, dtype=np.int64)
    lo, hi = float(finite.min()), float(finite.max())
    width = (hi - lo) / buckets or 1.0
    raw = np.floor((np.nan_to_num(x, nan=lo) - lo) / width)
    return np.clip(raw, 0, buckets - 1).astype(np.int64)


def _extreme(values: Floats, start: Index, rank: Index, pick: np.ufunc) -> tuple[Floats, Index]:
    """Per bucket, the extreme value (``np.fmin``/``np.fmax``, NaN ignored) and where it is.

    The position is the first IOV of the bucket holding it (a bucket of NaN
    only gives its first IOV and NaN).
    """
    extreme = pick.reduceat(values, start)
    hit = values == extreme[rank]
    rows = np.flatnonzero(hit)
    at = start.copy()
    first = np.unique(rank[rows], return_index=True)
    at[first[0]] = rows[first[1]]
    return extreme.astype(np.float64), at


def _distinct_payloads(plot: History, rank: Index, buckets: int) -> npt.NDArray[np.int64]:
    """How many distinct payloads each bucket's IOVs use (0 when the plot has no hashes)."""
    if plot.payload_codes is None:
        return np.zeros(buckets, dtype=np.int64)
    code = plot.payload_codes.astype(np.int64)
    width = int(code.max()) + 1
    pairs = np.unique(rank.astype(np.int64) * width + code)
    return np.bincount(pairs // width, minlength=buckets).astype(np.int64)
