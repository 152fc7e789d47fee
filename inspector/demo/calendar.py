"""A realistic 2024 run calendar: physics runs grouped in LHC fills.

Everything else in the demo hangs off this calendar: IOV boundaries are runs
or lumisections, upload times follow run ends, calibrations jump at the
technical stop and after magnet cycles.  The layout mimics 2024 proton
running: runs of 20 minutes to 16 hours, a few consecutive runs per fill,
hours to days between fills, and a two-week technical stop in the middle.
The period is fixed; fewer runs (a smaller scale) just leave longer gaps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import LUMISECTION_SECONDS
from inspector.demo.model import Times

__all__ = [
    "PERIOD_END",
    "PERIOD_START",
    "TECHNICAL_STOP",
    "RunCalendar",
    "change_points",
    "make_calendar",
    "share",
    "to_datetimes",
]

PERIOD_START: Final = np.datetime64("2024-04-05T06:00:00", "s")
PERIOD_END: Final = np.datetime64("2024-09-30T06:00:00", "s")
TECHNICAL_STOP: Final = (
    np.datetime64("2024-06-17T06:00:00", "s"),
    np.datetime64("2024-07-01T18:00:00", "s"),
)
FIRST_RUN: Final = 379_058
FIRST_FILL: Final = 9_519

MIN_RUN_SECONDS: Final = 20 * 60
MAX_RUN_SECONDS: Final = 16 * 3600
MEDIAN_RUN_SECONDS: Final = 3.5 * 3600
#: At most this fraction of a period is spent in runs (the LHC is not 100 % efficient).
MAX_BUSY_FRACTION: Final = 0.7

INT_DTYPE: Final = np.dtype("<i8")
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class RunCalendar:
    """Physics runs in order, with their fill and start/end times.

    ``after_technical_stop`` and ``magnet_cycles`` index the first run after
    such an event; ``crossing_angle_change`` indexes the first run of the
    fill from which the LHC ran with a different crossing angle.  Contents
    put their jumps there, so that all plots tell one consistent story.
    """

    run: IntArray
    fill: IntArray
    start: Times
    end: Times
    after_technical_stop: int
    magnet_cycles: tuple[int, ...]
    crossing_angle_change: int

    def __len__(self) -> int:
        return int(self.run.size)

    @property
    def lumisections(self) -> IntArray:
        """Lumisections per run: duration / 23.31 s (complete ones only)."""
        seconds = (self.end - self.start).astype(np.int64)
        return (seconds / LUMISECTION_SECONDS).astype(INT_DTYPE)

    @property
    def fill_index(self) -> IntArray:
        """Position (0, 1, ...) of each run's fill among the calendar's fills."""
        first = np.ones(self.run.size, dtype=bool)
        first[1:] = self.fill[1:] != self.fill[:-1]
        return (np.cumsum(first) - 1).astype(INT_DTYPE)

    @property
    def fill_starts(self) -> IntArray:
        """Index of the first run of each fill."""
        first = np.ones(self.run.size, dtype=bool)
        first[1:] = self.fill[1:] != self.fill[:-1]
        return np.flatnonzero(first).astype(INT_DTYPE)

    def fraction(self, when: Times) -> npt.NDArray[np.float64]:
        """Where ``when`` lies in the period: 0 at its start, 1 at its end."""
        span = float((PERIOD_END - PERIOD_START).astype(np.int64))
        return (when - PERIOD_START).astype(np.int64) / span

    def lumi_start(self, index: IntArray, lumisection: IntArray) -> Times:
        """Start time of lumisection ``lumisection`` (from 1) of run ``index``."""
        offset = np.rint((lumisection - 1) * LUMISECTION_SECONDS).astype(np.int64)
        start: Times = self.start[index] + offset.astype("timedelta64[s]")
        return start

    def rows(self) -> list[tuple[int, dt.datetime, dt.datetime]]:
        """RUN_INFO rows ``(run_number, start_time, end_time)``."""
        starts, ends = to_datetimes(self.start), to_datetimes(self.end)
        return [(int(r), a, b) for r, a, b in zip(self.run, starts, ends, strict=True)]

    def fill_rows(self) -> list[tuple[int, int]]:
        """RUN_FILL rows ``(run_number, fill_number)``."""
        return [(int(r), int(f)) for r, f in zip(self.run, self.fill, strict=True)]


def to_datetimes(times: Times) -> list[dt.datetime]:
    """``datetime64`` values → naive UTC ``datetime`` objects (for the database)."""
    values: list[dt.datetime] = np.asarray(times, dtype="datetime64[us]").tolist()
    return values


def make_calendar(rng: np.random.Generator, n_runs: int, n_fills: int) -> RunCalendar:
    """Draw a calendar of ``n_runs`` runs in ``n_fills`` fills (``n_fills >= 4``)."""
    if n_fills < 4 or n_runs < n_fills:
        raise ValueError(f"need at least 4 fills and one run per fill ({n_runs}, {n_fills})")
    sizes = _fill_sizes(rng, n_runs, n_fills)
    fill_of_run = np.repeat(np.arange(n_fills, dtype=INT_DTYPE), sizes)
    first_in_fill = np.r_[True, fill_of_run[1:] != fill_of_run[:-1]]
    duration = np.exp(rng.normal(np.log(MEDIAN_RUN_SECONDS), 0.7, n_runs))
    duration = np.clip(duration, MIN_RUN_SECONDS, MAX_RUN_SECONDS)
    # Minutes between two runs of one fill (stop, reconfigure, start).
    pause = np.where(first_in_fill, 0.0, rng.uniform(120.0, 900.0, n_runs))
    before_stop = n_fills // 2
    start = np.empty(n_runs, dtype=np.float64)
    halves = (
        (0, before_stop, PERIOD_START, TECHNICAL_STOP[0]),
        (before_stop, n_fills, TECHNICAL_STOP[1], PERIOD_END),
    )
    for lo, hi, begin, finish in halves:
        runs = (fill_of_run >= lo) & (fill_of_run < hi)
        start[runs], duration[runs] = _lay_out_half(
            rng, fill_of_run[runs] - lo, duration[runs], pause[runs], begin, finish
        )
    start_s = np.rint(start).astype(np.int64)
    end_s = start_s + np.rint(duration).astype(np.int64)
    after_stop = int(np.flatnonzero(fill_of_run == before_stop)[0])
    fill_starts = np.flatnonzero(first_in_fill)
    return RunCalendar(
        run=_run_numbers(rng, first_in_fill, after_stop),
        fill=_fill_numbers(rng, n_fills, before_stop)[fill_of_run],
        start=PERIOD_START + start_s.astype("timedelta64[s]"),
        end=PERIOD_START + end_s.astype("timedelta64[s]"),
        after_technical_stop=after_stop,
        magnet_cycles=(after_stop, int(fill_starts[_magnet_fill(rng, before_stop, n_fills)])),
        crossing_angle_change=int(fill_starts[rng.integers(1, before_stop)]),
    )


def share(total: int, weights: npt.NDArray[np.float64]) -> IntArray:
    """Split ``total`` in proportion to ``weights`` (largest remainders), exactly."""
    exact = total * weights / weights.sum()
    counts: IntArray = np.floor(exact).astype(np.int64)
    left = total - int(counts.sum())
    counts[np.argsort(counts - exact, kind="stable")[:left]] += 1
    return counts


def change_points(
    rng: np.random.Generator, n_iovs: int, forced: IntArray, n_payloads: int
) -> IntArray:
    """Payload index per IOV (0, 0, 1, 1, 1, 2, ...): how conditions get updated.

    Real tags keep a payload over consecutive IOVs until the calibration
    changes; here a new payload starts at the first IOV, at every ``forced``
    IOV (a new run, the technical stop) and at randomly chosen others, for
    exactly ``n_payloads`` payloads.
    """
    change = np.zeros(n_iovs, dtype=bool)
    change[0] = True
    change[forced] = True
    free = np.flatnonzero(~change)
    extra = n_payloads - int(change.sum())
    if extra < 0 or extra > free.size:
        raise ValueError(f"cannot place {n_payloads} payloads on {n_iovs} IOVs")
    change[rng.choice(free, size=extra, replace=False)] = True
    return (np.cumsum(change) - 1).astype(np.int64)


def _fill_sizes(rng: np.random.Generator, n_runs: int, n_fills: int) -> IntArray:
    """Runs per fill: at least one each, the rest spread unevenly (1 to ~8)."""
    weights = rng.dirichlet(np.full(n_fills, 3.0))
    return (1 + rng.multinomial(n_runs - n_fills, weights)).astype(INT_DTYPE)


def _lay_out_half(
    rng: np.random.Generator,
    fill: IntArray,
    duration: npt.NDArray[np.float64],
    pause: npt.NDArray[np.float64],
    begin: np.datetime64,
    finish: np.datetime64,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Start times (seconds after ``PERIOD_START``) and durations of one half's runs.

    Durations are shrunk if the runs would not fit in the half; the idle
    time left is cut into inter-fill gaps of random relative length.
    """
    available = float((finish - begin).astype(np.int64))
    busy = float(duration.sum() + pause.sum())
    if busy > MAX_BUSY_FRACTION * available:
        shrink = MAX_BUSY_FRACTION * available / busy
        duration *= shrink
        pause *= shrink
        np.maximum(duration, MIN_RUN_SECONDS, out=duration)
        busy = float(duration.sum() + pause.sum())
    n_fills = int(fill[-1]) + 1
    gaps = np.exp(rng.normal(0.0, 0.6, n_fills + 1))
    gaps *= (available - busy) / gaps.sum()
    fill_length = np.bincount(fill, weights=duration + pause, minlength=n_fills)
    fill_start = np.cumsum(gaps[:-1]) + np.r_[0.0, np.cumsum(fill_length)[:-1]]
    elapsed = np.cumsum(duration + pause)
    before_fill = np.r_[0.0, np.cumsum(fill_length)][fill]
    offset = float((begin - PERIOD_START).astype(np.int64))
    return offset + fill_start[fill] + (elapsed - duration) - before_fill, duration


def _run_numbers(
    rng: np.random.Generator, first_in_fill: npt.NDArray[np.bool_], after_stop: int
) -> IntArray:
    """Consecutive physics runs differ by a few (short test runs in between),
    runs of different fills by tens (cosmics, calibration), the technical
    stop by hundreds."""
    n = first_in_fill.size
    step = rng.geometric(0.55, n).astype(INT_DTYPE)
    step = np.where(first_in_fill, rng.integers(4, 120, n), step)
    step[after_stop] = rng.integers(300, 700)
    step[0] = 0
    return (FIRST_RUN + np.cumsum(step)).astype(INT_DTYPE)


def _fill_numbers(rng: np.random.Generator, n_fills: int, before_stop: int) -> IntArray:
    """LHC fill numbers: aborted or non-physics fills leave holes."""
    step = rng.geometric(0.45, n_fills).astype(INT_DTYPE)
    step[before_stop] += 25
    step[0] = 0
    return (FIRST_FILL + np.cumsum(step)).astype(INT_DTYPE)


def _magnet_fill(rng: np.random.Generator, before_stop: int, n_fills: int) -> int:
    """A fill after an unscheduled magnet ramp-down (not the one after the stop)."""
    if n_fills - before_stop >= 2:
        return int(rng.integers(before_stop + 1, n_fills))
    return int(rng.integers(1, before_stop))
