"""The same demo database on SQLite and on PostgreSQL gives the same answer to every query.

The demo database (all real modules, few IOVs) is loaded once into the
session's PostgreSQL server with the product's own copy; then every query
the product issues is asked of both and the answers compared exactly:
numbers (64-bit since values), times (UTC, microseconds), strings, blobs
(bytes, byte for byte).  Then what only a server backend can hold: Time-type
since values from 2**63 up, which PostgreSQL keeps exactly (NUMERIC(20)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from handmade import T0
from postgres_server import PostgresServer

from inspector.conddb import ConditionsDB, IovList, TimeType, open_database
from inspector.conddb import schema as s
from inspector.conddb.database import TAG_SORT_KEYS
from inspector.conddb.timetypes import datetime_to_since
from inspector.conddb.writer import ConditionsWriter
from inspector.config import DatabaseConfig


@pytest.fixture(scope="module")
def both(postgres: PostgresServer, demo_path: Path) -> Iterator[tuple[ConditionsDB, ConditionsDB]]:
    sqlite = open_database(DatabaseConfig("demo", f"sqlite:///{demo_path}"))
    server = open_database(postgres.load("demo", demo_path))
    yield sqlite, server
    sqlite.close()
    server.close()


def _same_iovs(a: IovList, b: IovList) -> None:
    assert (a.tag, a.time_type, a.snapshot) == (b.tag, b.time_type, b.snapshot)
    for name in ("since", "until", "hashes", "codes", "insertion_time"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        assert np.array_equal(left, right), name


def test_tags_sorted_every_way_and_object_types(both: tuple[ConditionsDB, ConditionsDB]) -> None:
    sqlite, server = both
    for key in TAG_SORT_KEYS:
        for sort in (key, f"-{key}"):
            assert sqlite.search_tags(sort=sort, page_size=1000) == server.search_tags(
                sort=sort, page_size=1000
            ), sort
    assert sqlite.search_tags("*beam*", page=2, page_size=2) == server.search_tags(
        "*beam*", page=2, page_size=2
    )
    assert sqlite.object_types() == server.object_types()


def test_every_tag_and_its_iovs_whole_ranged_and_at_a_snapshot(
    both: tuple[ConditionsDB, ConditionsDB],
) -> None:
    sqlite, server = both
    tags = sqlite.search_tags(page_size=1000).items
    assert tags
    for tag in tags:
        assert sqlite.tag(tag.name) == server.tag(tag.name)
        whole = sqlite.iovs(tag.name)
        _same_iovs(whole, server.iovs(tag.name))
        if len(whole) >= 3:
            lo, hi = int(whole.since[1]) + 1, int(whole.since[-1]) - 1
            _same_iovs(
                sqlite.iovs(tag.name, since=lo, until=hi), server.iovs(tag.name, since=lo, until=hi)
            )
            middle = whole.insertion_time[len(whole) // 2].astype(dt.datetime)
            _same_iovs(
                sqlite.iovs(tag.name, snapshot=middle), server.iovs(tag.name, snapshot=middle)
            )


def test_payloads_byte_for_byte_and_their_sizes(both: tuple[ConditionsDB, ConditionsDB]) -> None:
    sqlite, server = both
    hashes: set[str] = set()
    for tag in sqlite.search_tags(page_size=1000).items:
        hashes.update(str(h) for h in sqlite.iovs(tag.name).payload_hash)
    left, right = sqlite.payloads(sorted(hashes)), server.payloads(sorted(hashes))
    assert left.keys() == right.keys() == hashes
    for h in hashes:
        assert type(right[h].data) is bytes
        assert left[h] == right[h]
    some = sorted(hashes)[:20]
    assert [sqlite.payload_info(h) for h in some] == [server.payload_info(h) for h in some]


def test_global_tags_runs_and_counts(both: tuple[ConditionsDB, ConditionsDB]) -> None:
    sqlite, server = both
    gts = sqlite.global_tags(page_size=1000)
    assert gts == server.global_tags(page_size=1000) and gts.items
    for gt in gts.items:
        assert sqlite.global_tag(gt.name) == server.global_tag(gt.name)
        assert sqlite.global_tag_map(gt.name) == server.global_tag_map(gt.name)
    a, b = sqlite.run_timeline(), server.run_timeline()
    assert len(a) > 0
    assert all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("run", "start", "end"))
    first, last = int(a.run[1]), int(a.run[-2])
    assert (
        sqlite.run_timeline(first, last).run.tolist()
        == server.run_timeline(first, last).run.tolist()
    )
    assert sqlite.summary() == server.summary()


# -- what SQLite cannot hold -------------------------------------------------------------------

#: Time-type since values past 2**63 (January 2038 onwards) and "forever".
BEYOND_2038 = dt.datetime(2040, 6, 1, 12, 0, 0)
FOREVER = (1 << 64) - 1


def test_time_since_values_from_2_to_the_63_round_trip_on_postgresql(
    postgres: PostgresServer,
) -> None:
    if "bigsince" not in postgres.loaded:
        postgres.sql("postgres", "CREATE DATABASE bigsince")
        admin = postgres.admin_engine("bigsince")
        s.metadata.create_all(admin)
        writer = ConditionsWriter(admin)
        with admin.begin() as conn:
            digest = writer.add_payload(
                conn, "BeamSpotObjects", b"\x01" * 8, version="2", insertion_time=T0
            )
            writer.add_tag(
                conn, "BS_2040", time_type=TimeType.TIME, object_type="BeamSpotObjects",
                end_of_validity=FOREVER, insertion_time=T0,
            )  # fmt: skip
            writer.add_iovs(
                conn,
                "BS_2040",
                [
                    ((1 << 63) - (1 << 32), digest, T0),
                    (datetime_to_since(BEYOND_2038), digest, T0),
                    (FOREVER - 1, digest, T0),
                    (5 << 32, digest, T0),
                ],
            )
        admin.dispose()
        postgres.sql("bigsince", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
        postgres.loaded["bigsince"] = postgres.config("bigsince", "bigsince")
    db = open_database(postgres.loaded["bigsince"])
    try:
        beyond = datetime_to_since(BEYOND_2038)
        assert beyond > 1 << 63
        iovs = db.iovs("BS_2040")
        # Numeric order, not the order of signed 64-bit bit patterns.
        assert iovs.since.tolist() == [5 << 32, (1 << 63) - (1 << 32), beyond, FOREVER - 1]
        assert iovs.until.tolist() == [(1 << 63) - (1 << 32), beyond, FOREVER - 1, FOREVER]
        assert db.tag("BS_2040").end_of_validity == FOREVER
        assert db.iovs("BS_2040", since=beyond + 1, until=beyond + 2).since.tolist() == [beyond]
        assert iovs.covering(beyond + 7).since == beyond
    finally:
        db.close()
