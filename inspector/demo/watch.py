"""Prompt-style tags for the calibration watch: one keeps up, two fall behind.

The watch (``/watch``) compares each watched tag's newest IOV with the runs
that have ended.  The demo's own prompt tags keep up (uploads a few hours
after each run); these two tags fall behind in the two ways a watch exists
to catch, in a way that holds for every seed and scale:

- :data:`EXPRESS_TAG`: one IOV per run, uploaded 1-6 h after the run,
  except for the newest run, whose upload never came;
- :data:`HLT_TAG`: one IOV per run until the technical stop, after which
  the upload workflow was never restarted.

Both hold one beam-spot fit per run of the same true beam as the other
beam-spot tags (a few hundred bytes each), so their plots agree with them.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from inspector.conddb.timetypes import TimeType
from inspector.demo import beamspot
from inspector.demo.beamspot import BeamTruth
from inspector.demo.calendar import RunCalendar
from inspector.demo.model import DemoTag, IovTable, TagInfo

__all__ = ["EXPRESS_TAG", "HLT_TAG", "express_tag", "hlt_tag"]

EXPRESS_TAG: Final = "BeamSpotObjects_Express_byRun_v1"
HLT_TAG: Final = "BeamSpotObjects_HLT_byRun_v1"


def express_tag(rng: np.random.Generator, calendar: RunCalendar, truth: BeamTruth) -> DemoTag:
    """Every run but the newest, uploaded 1-6 h after each run's end."""
    info = _info(
        EXPRESS_TAG,
        "express",
        "Beam spot per run from the express stream; the upload for the newest run is "
        "overdue (a LATE tag on the calibration watch)",
    )
    return _per_run_tag(info, rng, calendar, truth, len(calendar) - 1, (1.0, 6.0))


def hlt_tag(rng: np.random.Generator, calendar: RunCalendar, truth: BeamTruth) -> DemoTag:
    """Every run before the technical stop, uploaded 0.2-1 h after each run."""
    info = _info(
        HLT_TAG,
        "hlt",
        "Beam spot per run for the HLT; its upload was not restarted after the technical "
        "stop (a STALE tag on the calibration watch)",
    )
    return _per_run_tag(info, rng, calendar, truth, calendar.after_technical_stop, (0.2, 1.0))


def _info(name: str, synchronization: str, description: str) -> TagInfo:
    """A run-based BeamSpotObjects v2 tag."""
    return TagInfo(
        name=name,
        time_type=TimeType.RUN,
        object_type=beamspot.OBJECT_TYPE,
        version=0,
        synchronization=synchronization,
        description=description,
    )


def _per_run_tag(
    info: TagInfo,
    rng: np.random.Generator,
    calendar: RunCalendar,
    truth: BeamTruth,
    covered: int,
    delay_hours: tuple[float, float],
) -> DemoTag:
    """One IOV and one payload for each of the first ``covered`` runs."""
    runs = np.arange(covered, dtype=np.int64)
    delay = rng.uniform(*delay_hours, covered) * 3600
    uploaded = calendar.end[:covered] + delay.astype("timedelta64[s]")
    return DemoTag(
        info,
        IovTable(calendar.run[:covered].astype(np.uint64), runs, uploaded),
        covered,
        beamspot.per_run_payloads(rng, calendar, truth, runs),
    )
