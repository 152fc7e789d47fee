"""Queries of inspector.conddb.database against a hand-built database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from handmade import T0, hours

from inspector.conddb import ConditionsDB, TimeType, open_database
from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.config import DatabaseConfig
from inspector.errors import DatabaseUnavailable, InvalidParameter, NotFound


def test_search_tags_by_substring_glob_and_filters(handmade_db: ConditionsDB) -> None:
    names = [t.name for t in handmade_db.search_tags("bs_").items]
    assert names == ["BS_lumi", "BS_run", "BS_time"]
    assert [t.name for t in handmade_db.search_tags("*_run").items] == ["BS_run"]
    assert [t.name for t in handmade_db.search_tags(object_type="SiStripNoises").items] == [
        "Empty_tag"
    ]
    lumi = handmade_db.search_tags(time_type="lumi")
    assert [t.name for t in lumi.items] == ["BS_lumi"]
    assert lumi.items[0].time_type is TimeType.LUMI


def test_search_tags_underscore_is_literal_not_wildcard(handmade_db: ConditionsDB) -> None:
    # "S_r" must not match "BS_lumi" via LIKE's single-character wildcard.
    assert [t.name for t in handmade_db.search_tags("S_r").items] == ["BS_run"]
    assert handmade_db.search_tags("%").total == 0


def test_search_tags_pages_state_the_total(handmade_db: ConditionsDB) -> None:
    first = handmade_db.search_tags(page=1, page_size=3)
    second = handmade_db.search_tags(page=2, page_size=3)
    assert first.total == second.total == 4
    assert first.pages == 2
    assert len(first.items) == 3 and len(second.items) == 1
    with pytest.raises(InvalidParameter, match="page_size"):
        handmade_db.search_tags(page_size=0)
    with pytest.raises(NotFound, match="past the last page"):
        handmade_db.search_tags(page=9).require_exists("tags")


def test_search_tags_sorts_in_the_database_with_name_as_tie_break(
    handmade_db: ConditionsDB,
) -> None:
    def names(sort: str, **kw: int) -> list[str]:
        return [t.name for t in handmade_db.search_tags(sort=sort, **kw).items]

    assert names("-name") == ["Empty_tag", "BS_time", "BS_run", "BS_lumi"]
    assert names("object_type") == ["BS_lumi", "BS_run", "BS_time", "Empty_tag"]
    assert names("-object_type") == ["Empty_tag", "BS_lumi", "BS_run", "BS_time"]
    # Every tag has the same insertion time: the name decides, in both directions.
    assert names("-insertion_time") == names("insertion_time") == names("name")
    # Sorting happens before paging: page 2 continues page 1.
    assert names("-name", page=2, page_size=3) == ["BS_lumi"]
    with pytest.raises(InvalidParameter, match=r"'sort'.*'size' is not one of name, -name"):
        handmade_db.search_tags(sort="size")


def test_tag_metadata_and_unknown_tag(handmade_db: ConditionsDB) -> None:
    tag = handmade_db.tag("BS_run")
    assert tag.object_type == "BeamSpotObjects"
    assert tag.description == "run based <b>test</b>"
    assert tag.end == TimeType.RUN.max_since
    assert handmade_db.tag("BS_lumi").end == pack_lumi(500, 1)
    with pytest.raises(NotFound, match="'nope' does not exist"):
        handmade_db.tag("nope")


def test_latest_insertion_wins_and_iovs_end_at_next_since(
    handmade_db: ConditionsDB, hashes: dict[str, str]
) -> None:
    iovs = handmade_db.iovs("BS_run")
    assert iovs.since.tolist() == [100, 200, 300, 400]
    assert iovs.until.tolist() == [200, 300, 400, TimeType.RUN.max_since]
    assert list(iovs.payload_hash) == [
        hashes["x=0.1"],
        hashes["x=0.4"],
        hashes["x=0.3"],
        hashes["x=0.5"],
    ]


def test_snapshot_ignores_later_insertions(
    handmade_db: ConditionsDB, hashes: dict[str, str]
) -> None:
    iovs = handmade_db.iovs("BS_run", snapshot=hours(5))
    assert iovs.since.tolist() == [100, 200, 300]
    assert iovs.payload_hash[1] == hashes["x=0.2"]
    assert iovs.until[-1] == TimeType.RUN.max_since
    assert len(handmade_db.iovs("BS_run", snapshot=T0)) == 0


def test_range_includes_the_iov_covering_since(handmade_db: ConditionsDB) -> None:
    iovs = handmade_db.iovs("BS_run", since=250, until=300)
    assert iovs.since.tolist() == [200, 300]
    # The last IOV ends where the next one, outside the range, begins.
    assert iovs.until.tolist() == [300, 400]
    assert handmade_db.iovs("BS_run", since=50, until=99).since.tolist() == []
    assert handmade_db.iovs("BS_run", since=50, until=150).since.tolist() == [100]
    with pytest.raises(InvalidParameter, match="before since"):
        handmade_db.iovs("BS_run", since=300, until=200)


def test_lumi_and_time_tags(handmade_db: ConditionsDB) -> None:
    lumi = handmade_db.iovs("BS_lumi")
    assert lumi.since.tolist() == [pack_lumi(100, 1), pack_lumi(100, 50), pack_lumi(101, 1)]
    assert int(lumi.until[-1]) == pack_lumi(500, 1)
    assert lumi.covering(pack_lumi(100, 70)).since == pack_lumi(100, 50)
    time = handmade_db.iovs("BS_time", since=datetime_to_since(hours(2)))
    assert time.since.tolist() == [datetime_to_since(hours(0)), datetime_to_since(hours(5))]


def test_covering_before_first_iov_is_not_found(handmade_db: ConditionsDB) -> None:
    iovs = handmade_db.iovs("BS_run")
    assert iovs.covering(399).payload_hash == str(iovs.payload_hash[2])
    with pytest.raises(NotFound, match="no IOV valid at 99"):
        iovs.covering(99)


def test_distinct_hashes_map_back_to_every_iov(handmade_db: ConditionsDB) -> None:
    iovs = handmade_db.iovs("BS_lumi")
    unique, inverse = iovs.distinct_hashes()
    assert len(unique) == 2
    assert np.array_equal(unique[inverse], iovs.payload_hash)


def test_payload_and_payload_info(handmade_db: ConditionsDB, hashes: dict[str, str]) -> None:
    payload = handmade_db.payload(hashes["x=0.1"])
    info = handmade_db.payload_info(hashes["x=0.1"])
    assert payload.object_type == info.object_type == "BeamSpotObjects"
    assert info.size == len(payload.data) > 200  # a BeamSpotObjects archive
    assert info.streamer_info == payload.streamer_info
    with pytest.raises(NotFound):
        handmade_db.payload("0" * 40)


def test_global_tags_and_their_map(handmade_db: ConditionsDB) -> None:
    # Newest (last inserted) first: "which is the current one" is the question.
    listed = handmade_db.global_tags().items
    assert [g.name for g in listed] == ["GT_v2", "GT_v1"]
    assert listed[0].insertion_time > listed[1].insertion_time
    assert handmade_db.global_tag("GT_v1").release == "CMSSW_14_0_0"
    entries = handmade_db.global_tag_map("GT_v1")
    assert [(e.record, e.label, e.tag_name) for e in entries] == [
        ("BeamSpotObjectsRcd", "", "BS_run"),
        ("BeamSpotObjectsRcd", "byLumi", "BS_lumi"),
    ]
    with pytest.raises(NotFound, match="global tag 'GT_v9'"):
        handmade_db.global_tag_map("GT_v9")


def test_runs_and_summary(handmade_db: ConditionsDB) -> None:
    timeline = handmade_db.run_timeline()
    assert timeline.run.tolist() == [100, 101, 200]
    assert handmade_db.run(200).duration == dt.timedelta(hours=4)
    with pytest.raises(NotFound, match="run 150"):
        handmade_db.run(150)
    counts = handmade_db.summary()
    assert counts["tag"] == 4 and counts["iov"] == 10 and counts["run_info"] == 3
    assert counts["payload_bytes"] > 0


def test_readers_cannot_write(handmade_path: tuple[Path, dict[str, str]]) -> None:
    db = open_database(DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}"))
    with db.engine.connect() as conn, pytest.raises(Exception, match="readonly"):
        conn.exec_driver_sql("DELETE FROM iov")
    db.close()


def test_missing_file_is_unavailable_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="inspector demo-db"):
        open_database(DatabaseConfig("gone", f"sqlite:///{tmp_path / 'gone.sqlite'}"))


def test_file_that_is_not_a_conditions_database(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE something (x)").connection.close()
    db = open_database(DatabaseConfig("other", f"sqlite:///{path}"))
    with pytest.raises(DatabaseUnavailable, match="missing table"):
        db.search_tags()


def test_garbage_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "garbage.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    db = open_database(DatabaseConfig("junk", f"sqlite:///{path}"))
    with pytest.raises(DatabaseUnavailable, match="junk"):
        db.tag("x")
