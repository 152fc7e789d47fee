"""Tests of the demo run calendar (pure numpy, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.conddb.timetypes import LUMISECTION_SECONDS
from inspector.demo.calendar import (
    PERIOD_END,
    PERIOD_START,
    TECHNICAL_STOP,
    RunCalendar,
    change_points,
    make_calendar,
    share,
)
from inspector.demo.model import content_rng


@pytest.fixture(scope="module")
def calendar() -> RunCalendar:
    return make_calendar(content_rng(7, "calendar"), 300, 80)


def test_runs_are_ordered_and_inside_the_period(calendar: RunCalendar) -> None:
    assert len(calendar) == 300
    assert np.all(np.diff(calendar.run) > 0) and calendar.run[0] >= 379_000
    assert np.all(calendar.start[1:] > calendar.end[:-1])
    assert calendar.start[0] >= PERIOD_START and calendar.end[-1] <= PERIOD_END


def test_run_durations_span_twenty_minutes_to_sixteen_hours(calendar: RunCalendar) -> None:
    seconds = (calendar.end - calendar.start).astype(np.int64)
    assert seconds.min() >= 20 * 60 and seconds.max() <= 16 * 3600
    assert 2 * 3600 < np.median(seconds) < 6 * 3600


def test_lumisections_follow_the_run_length(calendar: RunCalendar) -> None:
    seconds = (calendar.end - calendar.start).astype(np.int64)
    np.testing.assert_array_equal(
        calendar.lumisections, np.floor(seconds / LUMISECTION_SECONDS).astype(np.int64)
    )


def test_fills_group_consecutive_runs(calendar: RunCalendar) -> None:
    assert np.all(np.diff(calendar.fill) >= 0)
    assert np.unique(calendar.fill).size == 80
    assert calendar.fill_starts.size == 80 and calendar.fill_index[-1] == 79
    gaps = (calendar.start[1:] - calendar.end[:-1]).astype(np.int64)
    new_fill = np.diff(calendar.fill) > 0
    assert gaps[~new_fill].max() < 3600  # runs of a fill follow each other
    assert np.median(gaps[new_fill]) > 2 * 3600  # fills are hours apart


def test_the_technical_stop_has_no_runs(calendar: RunCalendar) -> None:
    stop = calendar.after_technical_stop
    assert calendar.end[stop - 1] <= TECHNICAL_STOP[0]
    assert calendar.start[stop] >= TECHNICAL_STOP[1]
    inside = (calendar.start < TECHNICAL_STOP[1]) & (calendar.end > TECHNICAL_STOP[0])
    assert not inside.any()
    assert calendar.magnet_cycles[0] == stop
    assert 0 < calendar.crossing_angle_change < stop


def test_same_stream_same_calendar() -> None:
    a = make_calendar(content_rng(3, "calendar"), 40, 10)
    b = make_calendar(content_rng(3, "calendar"), 40, 10)
    assert a.rows() == b.rows()
    c = make_calendar(content_rng(4, "calendar"), 40, 10)
    assert a.rows() != c.rows()


def test_many_runs_are_squeezed_into_the_period() -> None:
    dense = make_calendar(content_rng(1, "calendar"), 1200, 320)
    assert np.all(dense.start[1:] > dense.end[:-1]) and dense.end[-1] <= PERIOD_END


def test_too_few_fills_are_refused() -> None:
    with pytest.raises(ValueError, match="4 fills"):
        make_calendar(content_rng(1, "calendar"), 10, 3)


def test_share_is_exact_and_proportional() -> None:
    counts = share(10, np.array([1.0, 1.0, 2.0]))
    assert counts.sum() == 10 and counts.tolist() in ([2, 3, 5], [3, 2, 5], [3, 3, 4])


def test_change_points_number_payloads_consecutively() -> None:
    payload = change_points(np.random.default_rng(0), 50, np.array([10, 20]), 7)
    assert payload[0] == 0 and payload[-1] == 6
    assert set(np.diff(payload).tolist()) <= {0, 1}
    assert payload[10] == payload[9] + 1 and payload[20] == payload[19] + 1
