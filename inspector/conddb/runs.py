"""Run context: mapping runs and lumisections to wall-clock time via RUN_INFO.

Pure and vectorised: built once from the RUN_INFO rows, then converts whole
IOV timelines with ``searchsorted``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import LUMISECTION_SECONDS, TimeType
from inspector.errors import NotFound

__all__ = ["Fill", "RunInfo", "RunTimeline", "WaitingRuns"]

_US_PER_LS = round(LUMISECTION_SECONDS * 1e6)


@dataclass(frozen=True)
class RunInfo:
    """One run with its start and end time (UTC) and, when known, its LHC fill.

    ``fill_number`` is ``None`` when the database has no fill table or the
    table does not list the run (see :meth:`ConditionsDB.has_fills
    <inspector.conddb.ConditionsDB.has_fills>` to tell the two apart).
    """

    run_number: int
    start_time: dt.datetime
    end_time: dt.datetime
    fill_number: int | None = None

    @property
    def duration(self) -> dt.timedelta:
        """How long the run lasted."""
        return self.end_time - self.start_time


@dataclass(frozen=True)
class WaitingRuns:
    """Runs that ended but lie beyond a tag's newest IOV (see the calibration watch)."""

    count: int
    first_run: int | None
    earliest_end: dt.datetime | None


@dataclass(frozen=True)
class Fill:
    """An LHC fill and its runs (in run order, at least one).

    Its span is that of its runs: from the first run's start to the last
    run's end.  That is what the run context needs (which runs belong
    together, where to shade a plot), and it cannot disagree with RUN_INFO.
    """

    number: int
    runs: tuple[RunInfo, ...]

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError(f"fill {self.number} has no runs")

    @property
    def first_run(self) -> int:
        """The fill's lowest run number."""
        return self.runs[0].run_number

    @property
    def last_run(self) -> int:
        """The fill's highest run number."""
        return self.runs[-1].run_number

    @property
    def start(self) -> dt.datetime:
        """Start of the fill's first run."""
        return min(r.start_time for r in self.runs)

    @property
    def end(self) -> dt.datetime:
        """End of the fill's last run."""
        return max(r.end_time for r in self.runs)

    @property
    def duration(self) -> dt.timedelta:
        """From the first run's start to the last run's end."""
        return self.end - self.start


@dataclass(frozen=True)
class RunTimeline:
    """Runs sorted by number with start/end times as ``datetime64[us]``."""

    run: npt.NDArray[np.int64]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]

    @classmethod
    def from_runs(cls, runs: list[RunInfo]) -> RunTimeline:
        """Build from RUN_INFO rows in any order."""
        ordered = sorted(runs, key=lambda r: r.run_number)
        return cls(
            run=np.array([r.run_number for r in ordered], dtype=np.int64),
            start=np.array([r.start_time for r in ordered], dtype="datetime64[us]"),
            end=np.array([r.end_time for r in ordered], dtype="datetime64[us]"),
        )

    def __len__(self) -> int:
        return int(self.run.size)

    def __getitem__(self, i: int) -> RunInfo:
        return RunInfo(
            int(self.run[i]),
            self.start[i].astype(dt.datetime),
            self.end[i].astype(dt.datetime),
        )

    def find(self, run_number: int) -> RunInfo:
        """The run ``run_number``; :class:`NotFound` if RUN_INFO lacks it."""
        i = int(np.searchsorted(self.run, run_number))
        if i >= len(self) or self.run[i] != run_number:
            raise NotFound(f"run {run_number} is not in RUN_INFO")
        return self[i]

    def run_at(self, when: dt.datetime) -> int | None:
        """The run that was going on at ``when`` (UTC), or ``None``."""
        t = np.datetime64(when.replace(tzinfo=None), "us")
        i = int(np.searchsorted(self.start, t, side="right")) - 1
        if i < 0 or t > self.end[i]:
            return None
        return int(self.run[i])

    def since_to_time(
        self, since: npt.ArrayLike, time_type: TimeType
    ) -> npt.NDArray[np.datetime64]:
        """Wall-clock start of each ``since`` (``NaT`` for runs RUN_INFO lacks).

        Run: the run's start; Lumi: the run's start plus one lumisection
        length per lumisection, capped at the run's end; Time: the time itself.
        """
        values = np.asarray(since, dtype=np.uint64)
        if time_type is TimeType.TIME:
            seconds = (values >> np.uint64(32)).astype(np.int64)
            micros = (values & np.uint64(0xFFFFFFFF)).astype(np.int64) // 1000
            return (seconds * 1_000_000 + micros).astype("datetime64[us]")
        if time_type is TimeType.RUN:
            runs, lumis = values.astype(np.int64), np.zeros(values.shape, np.int64)
        elif time_type is TimeType.LUMI:
            runs = (values >> np.uint64(32)).astype(np.int64)
            lumis = (values & np.uint64(0xFFFFFFFF)).astype(np.int64)
        else:
            raise NotFound(f"{time_type.value} IOVs have no wall-clock time")
        return self._lumi_times(runs, lumis)

    def _lumi_times(
        self, runs: npt.NDArray[np.int64], lumis: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.datetime64]:
        out = np.full(runs.shape, np.datetime64("NaT"), dtype="datetime64[us]")
        if len(self) == 0:
            return out
        idx = np.clip(np.searchsorted(self.run, runs), 0, len(self) - 1)
        known = self.run[idx] == runs
        offset = np.maximum(lumis - 1, 0) * _US_PER_LS
        start = self.start[idx] + offset.astype("timedelta64[us]")
        out[known] = np.minimum(start, self.end[idx])[known]
        return out
