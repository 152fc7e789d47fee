"""The watch measured on a hand-built database at pinned "now"s (known answers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cms_files import CMS_LIKE_TAGS, build_cms_like
from runs_handmade import build_runs_db, hours

from inspector.conddb import ConditionsDB, open_database
from inspector.config import DatabaseConfig, WatchConfig, WatchedTag
from inspector.errors import DatabaseUnavailable
from inspector.watch import Status, watch_now, watch_report, watch_reports


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConditionsDB]:
    path = tmp_path_factory.mktemp("watch") / "runs.sqlite"
    build_runs_db(path)
    database = open_database(DatabaseConfig("runs", f"sqlite:///{path}"))
    yield database
    database.close()


def rule(tag: str, latency: float = 12, stale: float | None = 24) -> WatchedTag:
    return WatchedTag("runs", tag, latency, stale)


@pytest.mark.parametrize(
    ("latency", "stale", "status"),
    [(30, 40, Status.OK), (20, 40, Status.LATE), (12, 24, Status.STALE), (12, None, Status.LATE)],
)
def test_run_tag_status_depends_on_the_thresholds(
    db: ConditionsDB, latency: float, stale: float | None, status: Status
) -> None:
    # Newest IOV 1005; runs 1010 (ended h31) and 1011 (ended h50) wait: lag 29 h at h60.
    report = watch_report(db, rule("Prompt_run", latency, stale), hours(60))
    assert report.status is status
    assert (report.lag_runs, report.lag_hours) == (2, 29.0)
    assert report.newest_iov is not None and report.newest_iov.since == 1005
    assert report.newest_run is not None and report.newest_run.run_number == 1011
    assert report.waiting is not None and report.waiting.first_run == 1010


def test_exactly_the_latency_is_ok_and_unended_runs_do_not_wait(db: ConditionsDB) -> None:
    # At h43 run 1010 (ended h31) has waited exactly 12 h; run 1011 is still going.
    report = watch_report(db, rule("Prompt_run"), hours(43))
    assert (report.status, report.lag_runs, report.lag_hours) == (Status.OK, 1, 12.0)
    assert report.newest_run is not None and report.newest_run.run_number == 1010


def test_iovs_inserted_after_now_are_not_seen(db: ConditionsDB) -> None:
    # At h18 the IOV of run 1005 (inserted h20) has not arrived: 1005 (ended h14) waits 4 h.
    report = watch_report(db, rule("Prompt_run"), hours(18))
    assert report.newest_iov is not None and report.newest_iov.since == 1001
    assert (report.status, report.lag_runs, report.lag_hours) == (Status.OK, 1, 4.0)


def test_lumi_tag_at_lumisection_zero_leaves_its_run_waiting(db: ConditionsDB) -> None:
    report = watch_report(db, rule("Prompt_lumi", 50, 60), hours(60))
    assert (report.lag_runs, report.lag_hours, report.status) == (3, 46.0, Status.OK)
    assert report.waiting is not None and report.waiting.first_run == 1005


def test_time_tag_covers_runs_that_started_before_its_newest_since(db: ConditionsDB) -> None:
    report = watch_report(db, rule("Prompt_time", 30, 40), hours(60))
    assert report.waiting is not None and report.waiting.first_run == 1010
    assert (report.lag_runs, report.status) == (2, Status.OK)


def test_a_tag_without_iovs_has_every_ended_run_waiting(db: ConditionsDB) -> None:
    report = watch_report(db, rule("Empty_run"), hours(60))
    assert (report.lag_runs, report.lag_hours, report.status) == (5, 59.0, Status.STALE)
    assert report.newest_iov is None


def test_unknown_for_a_missing_tag_and_for_hash_iovs(db: ConditionsDB) -> None:
    missing = watch_report(db, rule("Nope"), hours(60))
    assert missing.status is Status.UNKNOWN and "'Nope' does not exist" in missing.reason
    hashed = watch_report(db, rule("Hash_tag"), hours(60))
    assert (hashed.status, hashed.reason) == (
        Status.UNKNOWN,
        "Hash IOVs cannot be compared with runs",
    )


def test_now_is_the_clock_or_a_time_after_the_newest_run(db: ConditionsDB) -> None:
    fixed = dt.datetime(2030, 1, 1)
    assert watch_now(db, WatchConfig(), lambda: fixed) == fixed
    assert watch_now(db, WatchConfig(after_newest_run_hours=72), lambda: fixed) == hours(50 + 72)


def test_reports_in_configuration_order_and_unreachable_databases(db: ConditionsDB) -> None:
    def open_db(alias: str) -> ConditionsDB:
        if alias == "gone":
            raise DatabaseUnavailable("no such file", alias="gone")
        return db

    config = WatchConfig(
        (rule("Prompt_run", 20, 40), WatchedTag("gone", "X", 1), rule("Prompt_time", 30, 40)),
        after_newest_run_hours=10,
    )
    reports = watch_reports(open_db, config, lambda: hours(999))
    assert [r.status for r in reports] == [Status.LATE, Status.UNKNOWN, Status.OK]
    assert reports[0].now == hours(60) and reports[1].reason.startswith("database 'gone'")


def test_a_database_without_run_information_is_unknown_and_says_why(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cms.db"
    build_cms_like(path)
    cms = open_database(DatabaseConfig("cms", f"sqlite:///{path}"))
    try:
        watched = WatchedTag("cms", CMS_LIKE_TAGS["run"], 12, 24)
        config = WatchConfig((watched,), after_newest_run_hours=72)
        clock = lambda: dt.datetime(2024, 6, 1)  # noqa: E731
        (report,) = watch_reports(lambda alias: cms, config, clock)
    finally:
        cms.close()
    assert report.status is Status.UNKNOWN
    assert report.reason == (
        "database 'cms' has no run information (no RUN_INFO table): no runs to compare with"
    )
    assert report.now == dt.datetime(2024, 6, 1)  # no newest run: the clock itself
    assert report.newest_iov is not None and report.newest_iov.since == 381000
    assert report.lag_runs is None and report.lag_hours is None and report.newest_run is None
