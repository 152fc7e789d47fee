"""Watch statuses from facts: boundaries, missing thresholds, waiting points."""

from __future__ import annotations

import datetime as dt

import pytest

from inspector.conddb import Iov, TimeType
from inspector.conddb.runs import WaitingRuns
from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.config import WatchedTag
from inspector.watch import Status, WatchReport, classify, waiting_point

RULE = WatchedTag("demo", "T", max_latency_hours=48, stale_after_hours=168)
NOW = dt.datetime(2024, 10, 1, 12, 0, 0)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("lag_hours", "status"),
    [
        (0, Status.OK),
        (48, Status.OK),  # exactly the expected latency: still on time
        (48.001, Status.LATE),
        (168, Status.LATE),  # exactly the stale limit: still LATE
        (168.001, Status.STALE),
        (5000, Status.STALE),
    ],
)
def test_classify_boundaries_belong_to_the_better_status(lag_hours: float, status: Status) -> None:
    assert classify(RULE, lag_hours * H) is status


def test_without_a_stale_limit_a_tag_is_never_stale() -> None:
    rule = WatchedTag("demo", "T", max_latency_hours=2)
    assert classify(rule, 10_000 * H) is Status.LATE


def _iov(since: int) -> Iov:
    return Iov(since, since + 1, "0" * 40, NOW)


def test_waiting_points_by_time_type() -> None:
    assert waiting_point(TimeType.RUN, _iov(1005)).after_run == 1005
    assert waiting_point(TimeType.LUMI, _iov(pack_lumi(1005, 3))).after_run == 1005
    # Lumisection 0 lies before a run's first lumisection: that run still waits.
    assert waiting_point(TimeType.LUMI, _iov(pack_lumi(1005, 0))).after_run == 1004
    point = waiting_point(TimeType.TIME, _iov(datetime_to_since(NOW)))
    assert (point.after_run, point.started_after) == (None, NOW)
    none = waiting_point(TimeType.RUN, None)
    assert (none.after_run, none.started_after) == (None, None)
    with pytest.raises(ValueError, match="Hash IOVs"):
        waiting_point(TimeType.HASH, _iov(1))


def test_report_lag_is_measured_from_the_oldest_waiting_run() -> None:
    waiting = WaitingRuns(3, 1005, NOW - 50 * H)
    report = WatchReport.measured(RULE, NOW, TimeType.RUN, _iov(1001), None, waiting)
    assert report.status is Status.LATE
    assert (report.lag_runs, report.lag_hours) == (3, 50.0)
    assert report.reason == (
        "3 runs waiting; the oldest (run 1005) ended 2 d 2 h ago, more than the expected 48 h"
    )


def test_nothing_waiting_is_ok_with_zero_lag() -> None:
    report = WatchReport.measured(
        RULE, NOW, TimeType.RUN, _iov(1), None, WaitingRuns(0, None, None)
    )
    assert (report.status, report.lag_hours, report.lag_runs) == (Status.OK, 0.0, 0)
    assert report.reason == "every ended run is covered"


def test_unknown_reports_have_no_facts() -> None:
    report = WatchReport.unknown(RULE, NOW, "tag 'T' does not exist")
    assert report.status is Status.UNKNOWN
    assert (report.lag, report.lag_hours, report.lag_runs) == (None, None, None)
