"""Run, fill and single-IOV queries of ConditionsDB on hand-built databases (known answers)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from runs_handmade import build_runs_db, hours

from inspector.conddb import ConditionsDB, open_database
from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.config import DatabaseConfig
from inspector.errors import InvalidParameter, NotFound


def _open(path: Path, alias: str) -> ConditionsDB:
    return open_database(DatabaseConfig(alias, f"sqlite:///{path}"))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConditionsDB]:
    path = tmp_path_factory.mktemp("runs") / "runs.sqlite"
    build_runs_db(path)
    database = _open(path, "runs")
    yield database
    database.close()


@pytest.fixture(scope="module")
def cms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConditionsDB]:
    """The same runs without the optional run_fill table, as in a CMS database."""
    path = tmp_path_factory.mktemp("cms") / "cms.sqlite"
    build_runs_db(path, fills=False)
    database = _open(path, "cms")
    yield database
    database.close()


def _numbers(page: object) -> list[int]:
    return [r.run_number for r in page.items]  # type: ignore[attr-defined]


def test_runs_are_paged_by_the_database_with_totals(db: ConditionsDB) -> None:
    first = db.runs(page_size=2)
    assert _numbers(first) == [1000, 1001] and first.total == 5 and first.pages == 3
    assert _numbers(db.runs(page=3, page_size=2)) == [1011]
    assert [r.fill_number for r in db.runs().items] == [7, 7, 8, None, 9]


def test_runs_filter_by_number_fill_and_start_time(db: ConditionsDB) -> None:
    assert _numbers(db.runs(first=1001, last=1010)) == [1001, 1005, 1010]
    assert _numbers(db.runs(fill=7)) == [1000, 1001]
    assert db.runs(fill=12).total == 0
    assert _numbers(db.runs(started_from=hours(10), started_to=hours(30))) == [1005, 1010]
    combined = db.runs(fill=7, started_from=hours(1))
    assert _numbers(combined) == [1001] and combined.total == 1


def test_bad_paging_is_named(db: ConditionsDB) -> None:
    with pytest.raises(InvalidParameter, match="page_size"):
        db.runs(page_size=0)


def test_one_run_with_fill_and_neighbours(db: ConditionsDB) -> None:
    run = db.run(1001)
    assert (run.start_time, run.end_time, run.fill_number) == (hours(1.5), hours(3), 7)
    assert run.duration == dt.timedelta(hours=1.5)
    assert db.run(1010).fill_number is None
    assert db.neighbour_runs(1001) == (1000, 1005)
    assert db.neighbour_runs(1000) == (None, 1001)
    assert db.neighbour_runs(1011) == (1010, None)
    with pytest.raises(NotFound, match="run 999 is not in RUN_INFO"):
        db.run(999)


def test_fills_with_their_runs_and_span(db: ConditionsDB) -> None:
    fill = db.fill(7)
    assert [r.run_number for r in fill.runs] == [1000, 1001]
    assert (fill.first_run, fill.last_run) == (1000, 1001)
    assert (fill.start, fill.end) == (hours(0), hours(3))
    with pytest.raises(NotFound, match="fill 12"):
        db.fill(12)


def test_fills_over_a_run_range_include_their_runs_outside_it(db: ConditionsDB) -> None:
    fills = db.fills_of_runs(1001, 1010)
    assert [(f.number, f.first_run, f.last_run) for f in fills] == [
        (7, 1000, 1001),
        (8, 1005, 1005),
    ]
    assert db.fills_of_runs(1006, 1010) == []


def test_fills_over_a_time_range_are_those_whose_runs_overlap_it(db: ConditionsDB) -> None:
    assert [f.number for f in db.fills_between(hours(2), hours(12))] == [7, 8]
    assert [f.number for f in db.fills_between(hours(45), hours(46))] == [9]
    assert db.fills_between(hours(20), hours(29)) == []


def test_without_the_fill_table_runs_work_and_fills_are_absent(cms: ConditionsDB) -> None:
    assert not cms.has_fills()
    assert [r.fill_number for r in cms.runs().items] == [None] * 5
    assert cms.runs(fill=7).total == 0
    assert cms.run(1001).fill_number is None
    assert cms.fills_of_runs(0, 2000) == [] and cms.fills_between(hours(0), hours(99)) == []
    with pytest.raises(NotFound, match="fill 7"):
        cms.fill(7)


def test_newest_run_and_latest_end(db: ConditionsDB) -> None:
    newest = db.newest_run()
    assert newest is not None and newest.run_number == 1011 and newest.fill_number == 9
    ended = db.newest_run(ended_by=hours(45))
    assert ended is not None and ended.run_number == 1010
    assert db.newest_run(ended_by=hours(0.5)) is None
    assert db.latest_run_end() == hours(50)


def test_waiting_runs_beyond_a_run_or_a_time(db: ConditionsDB) -> None:
    after = db.waiting_runs(ended_by=hours(60), after_run=1001)
    assert (after.count, after.first_run, after.earliest_end) == (3, 1005, hours(14))
    not_ended = db.waiting_runs(ended_by=hours(45), after_run=1005)
    assert (not_ended.count, not_ended.first_run) == (1, 1010)
    by_time = db.waiting_runs(ended_by=hours(60), started_after=hours(10))
    assert (by_time.count, by_time.first_run) == (2, 1010)
    none = db.waiting_runs(ended_by=hours(60), after_run=1011)
    assert (none.count, none.first_run, none.earliest_end) == (0, None, None)


def test_newest_iov_honours_the_snapshot(db: ConditionsDB) -> None:
    tag = db.tag("Prompt_run")
    newest = db.newest_iov(tag)
    assert newest is not None and (newest.since, newest.insertion_time) == (1005, hours(20))
    earlier = db.newest_iov(tag, snapshot=hours(19))
    assert earlier is not None and (earlier.since, earlier.until) == (1001, tag.end)
    assert db.newest_iov(tag, snapshot=hours(1)) is None
    assert db.newest_iov(db.tag("Empty_run")) is None


def test_iov_at_a_point_with_its_end(db: ConditionsDB) -> None:
    tag = db.tag("Prompt_run")
    iov = db.iov_at(tag, 1003)
    assert iov is not None and (iov.since, iov.until, iov.insertion_time) == (1001, 1005, hours(4))
    assert db.iov_at(tag, 999) is None
    frozen = db.iov_at(tag, 1005, snapshot=hours(3))
    assert frozen is not None and (frozen.since, frozen.until) == (1000, tag.end)
    closed = db.tag("Closed_run")
    assert db.iov_at(closed, 1002) is not None and db.iov_at(closed, 1003) is None
    lumi = db.iov_at(db.tag("Prompt_lumi"), pack_lumi(1005, 1))
    assert lumi is not None and lumi.since == pack_lumi(1005, 0)
    time = db.iov_at(db.tag("Prompt_time"), datetime_to_since(hours(10)))
    assert time is not None and time.since == datetime_to_since(hours(0))


def test_recent_global_tags_newest_first(db: ConditionsDB) -> None:
    assert [g.name for g in db.recent_global_tags()] == ["GT_closed", "GT_frozen", "GT_run"]
    assert [g.name for g in db.recent_global_tags(1)] == ["GT_closed"]


def test_several_points_and_tags_in_one_go(db: ConditionsDB) -> None:
    tags = db.tags_named(["Prompt_run", "Closed_run", "Prompt_run"])
    assert sorted(tags) == ["Closed_run", "Prompt_run"]
    found = db.iovs_at(
        [(tags["Prompt_run"], 1003), (tags["Closed_run"], 1005), (tags["Prompt_run"], None)]
    )
    assert [None if i is None else i.since for i in found] == [1001, None, 1005]
    with pytest.raises(NotFound, match="tag 'Nope'"):
        db.tags_named(["Prompt_run", "Nope"])


def test_a_replaced_file_is_read_with_or_without_its_fills(tmp_path: Path) -> None:
    """Swapping the database file for one without RUN_FILL (and back) needs no restart."""
    build_runs_db(tmp_path / "fills.sqlite")
    build_runs_db(tmp_path / "cms.sqlite", fills=False)
    live = tmp_path / "live.sqlite"
    shutil.copy(tmp_path / "fills.sqlite", live)
    db = _open(live, "live")
    try:
        assert db.run(1001).fill_number == 7
        shutil.copy(tmp_path / "cms.sqlite", tmp_path / "next.sqlite")
        (tmp_path / "next.sqlite").replace(live)
        assert db.run(1001).fill_number is None and db.fills_of_runs(0, 2000) == []
        assert not db.has_fills() and db.runs(fill=7).total == 0
        shutil.copy(tmp_path / "fills.sqlite", tmp_path / "next.sqlite")
        (tmp_path / "next.sqlite").replace(live)
        assert db.runs(fill=7).total == 2 and db.fill(7).last_run == 1001
    finally:
        db.close()
