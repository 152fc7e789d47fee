"""Wall-clock conversion of IOV timelines through RUN_INFO."""

from __future__ import annotations

import datetime as dt

import numpy as np
from handmade import hours

from inspector.conddb import RunInfo, RunTimeline, TimeType
from inspector.conddb.timetypes import LUMISECTION_SECONDS, datetime_to_since, pack_lumi

TIMELINE = RunTimeline.from_runs(
    [
        RunInfo(200, hours(4), hours(8)),
        RunInfo(100, hours(0), hours(1)),
    ]
)


def test_run_since_maps_to_run_start_and_unknown_runs_to_nat() -> None:
    times = TIMELINE.since_to_time([100, 150, 200], TimeType.RUN)
    assert times[0] == np.datetime64(hours(0))
    assert np.isnat(times[1])
    assert times[2] == np.datetime64(hours(4))


def test_lumi_since_adds_lumisections_capped_at_run_end() -> None:
    times = TIMELINE.since_to_time(
        [pack_lumi(200, 1), pack_lumi(200, 11), pack_lumi(100, 99999)], TimeType.LUMI
    )
    assert times[0] == np.datetime64(hours(4))
    step = (times[1] - times[0]) / np.timedelta64(1, "us") / 1e6
    assert abs(step - 10 * LUMISECTION_SECONDS) < 1e-3
    assert times[2] == np.datetime64(hours(1))


def test_time_since_needs_no_runs() -> None:
    when = dt.datetime(2024, 6, 1, 12, 30, 15, 250000)
    assert RunTimeline.from_runs([]).since_to_time([datetime_to_since(when)], TimeType.TIME)[
        0
    ] == np.datetime64(when)


def test_run_at_finds_the_running_run() -> None:
    assert TIMELINE.run_at(hours(5)) == 200
    assert TIMELINE.run_at(hours(2)) is None
    assert TIMELINE.find(100).duration == dt.timedelta(hours=1)
