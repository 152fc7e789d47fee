"""Run readiness against global tags on a hand-built database (known answers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from runs_handmade import build_runs_db, hours

from inspector.conddb import ConditionsDB, RunInfo, TimeType, open_database
from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.config import DatabaseConfig
from inspector.errors import NotFound
from inspector.watch import run_position, run_readiness


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConditionsDB]:
    path = tmp_path_factory.mktemp("ready") / "runs.sqlite"
    build_runs_db(path)
    database = open_database(DatabaseConfig("runs", f"sqlite:///{path}"))
    yield database
    database.close()


def test_run_positions_by_time_type() -> None:
    run = RunInfo(1005, hours(10), hours(14))
    assert run_position(run, TimeType.RUN) == 1005
    assert run_position(run, TimeType.LUMI) == pack_lumi(1005, 1)
    assert run_position(run, TimeType.TIME) == datetime_to_since(hours(10))
    assert run_position(run, TimeType.HASH) is None


def test_every_record_covered_means_ready(db: ConditionsDB) -> None:
    result = run_readiness(db, 1005, "GT_run")
    assert result.ready and result.missing == []
    found = {r.record: r.iov.since for r in result.records if r.iov is not None}
    assert found == {
        "RunRcd": 1005,
        "LumiRcd": pack_lumi(1005, 0),
        "TimeRcd": datetime_to_since(hours(0)),
    }


def test_a_record_before_its_first_iov_is_not_ready(db: ConditionsDB) -> None:
    result = run_readiness(db, 1000, "GT_closed")
    assert result.ready
    assert not run_readiness(db, 1005, "GT_closed").ready  # past the tag's end of validity


def test_the_global_tag_snapshot_hides_later_insertions(db: ConditionsDB) -> None:
    (record,) = run_readiness(db, 1005, "GT_frozen").records
    assert record.iov is not None and (record.iov.since, record.iov.insertion_time) == (
        1000,
        hours(2),
    )


def test_unknown_run_or_global_tag_is_not_found(db: ConditionsDB) -> None:
    with pytest.raises(NotFound, match="run 999"):
        run_readiness(db, 999, "GT_run")
    with pytest.raises(NotFound, match="global tag 'GT_nope'"):
        run_readiness(db, 1000, "GT_nope")
