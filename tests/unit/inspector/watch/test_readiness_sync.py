"""Readiness follows the tag's synchronization: the rule per type, then on a real database.

Express, prompt and PCL tags of a global tag that sees every upload make a
run wait until an IOV at or after it arrived; HLT, offline and the other
types (and every tag of a frozen global tag) are ready wherever an IOV is
valid.  The database part checks that one run's readiness and the table
across runs are the same computation, and that a waiting run is exactly a
run the calibration watch counts as waiting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from handmade import beamspot_values, hours

from inspector.conddb import ConditionsDB, GlobalTag, RunInfo, Tag, TimeType, open_database
from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.conddb.writer import ConditionsWriter
from inspector.config import DatabaseConfig
from inspector.payload import SchemaRegistry, encode
from inspector.watch import (
    RecordSpan,
    RecordState,
    needs_upload,
    readiness_table,
    record_state,
    run_readiness,
    watch_report,
)
from inspector.watch.settings import WatchedTag

OPEN: Final = GlobalTag("GT", 0, "", "", hours(0), dt.datetime(2999, 12, 31, 23, 59, 59))
FROZEN: Final = GlobalTag("GT", 0, "", "", hours(0), hours(100))
WAITS_FOR_UPLOAD: Final = ("express", "prompt", "pcl", "Prompt", "Pcl", " express ")
AS_VALID: Final = ("hlt", "HLT", "offline", "any", "validation", "mc", "runmc", "", "unknown")


def _tag(synchronization: str, time_type: TimeType = TimeType.RUN, eov: int = 0) -> Tag:
    return Tag("T", time_type, "BeamSpotObjects", synchronization, eov, "", 0, hours(0), hours(0))


def _span(tag: Tag, gt: GlobalTag, first: int = 1000, newest: int = 1005) -> RecordSpan:
    return RecordSpan("Rcd", "", tag, (first, newest), needs_upload(tag, gt))


@pytest.mark.parametrize("synchronization", WAITS_FOR_UPLOAD)
def test_a_run_after_the_newest_iov_waits_for_express_prompt_and_pcl(synchronization: str) -> None:
    record = _span(_tag(synchronization), OPEN)
    assert record.needs_upload
    assert record_state(record, 1006) is RecordState.WAITING  # only the old open-ended IOV
    assert record_state(record, 1005) is RecordState.READY  # its own upload
    assert record_state(record, 1003) is RecordState.READY  # a later run's upload closed it
    assert record_state(record, 999) is RecordState.MISSING  # before the first IOV


@pytest.mark.parametrize("synchronization", AS_VALID)
def test_hlt_offline_and_the_others_are_ready_wherever_an_iov_is_valid(
    synchronization: str,
) -> None:
    record = _span(_tag(synchronization), OPEN)
    assert not record.needs_upload
    assert record_state(record, 1006) is RecordState.READY
    assert record_state(record, 10**6) is RecordState.READY
    assert record_state(record, 999) is RecordState.MISSING


@pytest.mark.parametrize("synchronization", WAITS_FOR_UPLOAD)
def test_a_frozen_global_tag_awaits_nothing(synchronization: str) -> None:
    record = _span(_tag(synchronization), FROZEN)
    assert not record.needs_upload
    assert record_state(record, 1006) is RecordState.READY


def test_hash_and_user_tags_never_wait_and_are_ready_with_any_iov() -> None:
    for time_type in (TimeType.HASH, TimeType.USER):
        tag = _tag("prompt", time_type)
        assert not needs_upload(tag, OPEN)
        assert record_state(_span(tag, OPEN), None) is RecordState.READY
        assert record_state(RecordSpan("Rcd", "", tag, None, False), None) is RecordState.MISSING


def test_past_the_end_of_validity_nothing_is_valid_whatever_the_synchronization() -> None:
    for synchronization in ("prompt", "offline"):
        record = _span(_tag(synchronization, eov=1004), OPEN, newest=1003)
        assert record_state(record, 1003) is RecordState.READY
        assert record_state(record, 1004) is RecordState.MISSING


def test_a_lumi_iov_at_lumisection_0_does_not_count_as_the_runs_upload() -> None:
    tag = _tag("pcl", TimeType.LUMI)
    record = _span(tag, OPEN, first=pack_lumi(1000, 1), newest=pack_lumi(1005, 0))
    assert record_state(record, pack_lumi(1005, 1)) is RecordState.WAITING
    assert record_state(record, pack_lumi(1004, 1)) is RecordState.READY


# --------------------------------------------------------------------------- database

#: Run number → (start, end) in hours after T0.
RUNS: Final = {1000: (0.0, 1.0), 1001: (2.0, 3.0), 1002: (5.0, 6.0), 1003: (8.0, 9.0)}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConditionsDB]:
    """Prompt (Run), PCL (Lumi), express (Time) and HLT tags uploaded up to run 1001."""
    path: Path = tmp_path_factory.mktemp("sync") / "sync.sqlite"
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects")
    with writer.engine.begin() as conn:
        payload = writer.add_payload(
            conn, "BeamSpotObjects", encode(schema, beamspot_values(0.1)), insertion_time=hours(0)
        )
        tags = {
            "Prompt_run": (TimeType.RUN, "prompt", [1000, 1001]),
            "Pcl_lumi": (TimeType.LUMI, "pcl", [pack_lumi(1000, 1), pack_lumi(1001, 7)]),
            "Express_time": (
                TimeType.TIME,
                "express",
                [datetime_to_since(hours(0)), datetime_to_since(hours(2.5))],
            ),
            "Hlt_run": (TimeType.RUN, "hlt", [1000]),
        }
        for name, (time_type, synchronization, sinces) in tags.items():
            writer.add_tag(
                conn,
                name,
                time_type=time_type,
                object_type="BeamSpotObjects",
                synchronization=synchronization,
                insertion_time=hours(0),
            )
            writer.add_iovs(conn, name, [(since, payload, hours(4)) for since in sinces])
        entries = [(f"{name}Rcd", "", name) for name in tags]
        writer.add_global_tag(
            conn, "GT_open", entries, insertion_time=hours(0), snapshot_time=OPEN.snapshot_time
        )
        writer.add_global_tag(
            conn, "GT_frozen", entries, insertion_time=hours(10), snapshot_time=hours(10)
        )
        writer.add_runs(conn, [(r, hours(a), hours(b)) for r, (a, b) in RUNS.items()])
    writer.close()
    database = open_database(DatabaseConfig("sync", f"sqlite:///{path}"))
    yield database
    database.close()


def _runs(db: ConditionsDB) -> list[RunInfo]:
    return list(db.runs().items)


def test_runs_after_the_uploads_wait_in_a_global_tag_that_sees_every_upload(
    db: ConditionsDB,
) -> None:
    table = readiness_table(db, "GT_open", _runs(db))
    states = {row.run.run_number: row.states for row in table.rows}
    names = [r.record for r in table.records]
    assert names == ["Express_timeRcd", "Hlt_runRcd", "Pcl_lumiRcd", "Prompt_runRcd"]
    waiting, ready = RecordState.WAITING, RecordState.READY
    assert states[1000] == (ready, ready, ready, ready)
    assert states[1001] == (ready, ready, ready, ready)  # PCL at 1001:7 is after 1001:1
    assert states[1002] == (waiting, ready, waiting, waiting)  # HLT: final once started
    assert [row.ready for row in table.rows] == [True, True, False, False]


def test_the_frozen_global_tag_has_every_run_ready(db: ConditionsDB) -> None:
    table = readiness_table(db, "GT_frozen", _runs(db))
    assert all(row.ready for row in table.rows)
    assert not any(r.needs_upload for r in table.records)


def test_one_run_and_the_table_are_the_same_computation(db: ConditionsDB) -> None:
    table = readiness_table(db, "GT_open", _runs(db))
    for row in table.rows:
        one = run_readiness(db, row.run.run_number, "GT_open")
        assert tuple(r.state for r in one.records) == row.states
        assert one.ready is row.ready
        assert all(r.covered for r in one.records)  # an IOV is valid: the old one
        assert [r.record for r in one.missing] == [
            r.record
            for r, s in zip(table.records, row.states, strict=True)
            if s is not RecordState.READY
        ]


@pytest.mark.parametrize("tag", ["Prompt_run", "Pcl_lumi", "Express_time"])
def test_a_waiting_run_is_a_run_the_watch_counts_as_waiting(db: ConditionsDB, tag: str) -> None:
    runs = _runs(db)
    table = readiness_table(db, "GT_open", runs)
    column = next(i for i, r in enumerate(table.records) if r.tag.name == tag)
    waiting = [r.run.run_number for r in table.rows if r.states[column] is RecordState.WAITING]
    report = watch_report(db, WatchedTag("sync", tag, 48.0), hours(100))
    assert report.waiting is not None
    assert (report.waiting.count, report.waiting.first_run) == (len(waiting), waiting[0])
