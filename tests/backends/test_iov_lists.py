"""IOV lists read in packed columns: SQLite, PostgreSQL and the row path agree, and are right.

A tag of a few thousand IOVs written in shuffled order, with re-uploads (one
since inserted up to three times, later ones with another payload), times to
the microsecond and payloads that come back after others, is read on both
backends through the packed columns of :mod:`inspector.conddb.iov_columns`,
through the row path (Oracle's), and computed here from the rows written
(the latest insertion per since, as seen at the snapshot).  All four must be
identical for the whole tag, ranges and snapshots.  A second tag holds
CMSSW-style sinces from 2**63 up, stored negative in SQLite, which SQLite
sorts first: the packed path must put them last.  Two more hold what the
packed columns cannot carry (times of two text widths, hashes that are not
40 characters): read row by row on SQLite, and still right.  Last, a packed
column past SQLite's largest value falls back to the row path.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import pytest
from handmade import T0, beamspot_values
from postgres_server import PostgresServer
from sqlalchemy import event, func, select
from sqlalchemy.exc import DataError

from inspector.conddb import ConditionsDB, IovList, TimeType, open_database
from inspector.conddb import schema as s
from inspector.conddb.iov_columns import row_columns
from inspector.conddb.rows import iov_list
from inspector.conddb.writer import ConditionsWriter
from inspector.config import DatabaseConfig

TIES: Final = "BS_ties"
HIGH: Final = "BS_high"
#: Rows the packed columns cannot carry: times of two widths, hashes not 40 long.
ODD_TIMES: Final = "BS_odd_times"
SHORT_HASHES: Final = "BS_short_hashes"
SINCES: Final = 3000
#: One IOV row as written: (since, payload hash, insertion time).
Row = tuple[int, str, dt.datetime]
#: The SQLite file, the rows of TIES, the payload hashes.
Written = tuple[Path, list[Row], list[str]]


def _rows(hashes: list[str], rng: random.Random) -> list[Row]:
    """Sinces with gaps, payload runs of ~20 IOVs, and every 11th since uploaded again."""
    rows: list[Row] = []
    since = 1000
    for i in range(SINCES):
        since += rng.randint(1, 5)
        when = T0 + dt.timedelta(seconds=i, microseconds=rng.randint(0, 999_999))
        rows.append((since, hashes[(i // 20) % len(hashes)], when))
        if i % 11 == 0:
            for again in range(1, rng.randint(2, 3)):
                later = when + dt.timedelta(hours=again, microseconds=7)
                rows.append((since, hashes[rng.randrange(len(hashes))], later))
    rng.shuffle(rows)
    return rows


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """The SQLite file with both tags, and the rows of TIES."""
    path = tmp_path_factory.mktemp("iovlists") / "iovlists.sqlite"
    writer = ConditionsWriter.create_sqlite(path)
    rng = random.Random(17)
    with writer.engine.begin() as conn:
        hashes = [
            writer.add_payload(
                conn, "BeamSpotObjects", beamspot_values(0.01 * k), insertion_time=T0
            )
            for k in range(1, 13)
        ]
        for name in (TIES, HIGH, ODD_TIMES, SHORT_HASHES):
            writer.add_tag(
                conn, name, time_type=TimeType.RUN, object_type="BeamSpotObjects",
                insertion_time=T0,
            )  # fmt: skip
        rows = _rows(hashes, rng)
        writer.add_iovs(conn, TIES, rows)
    writer.engine.dispose()
    # What CMSSW writes for sinces from 2**63 up: their signed 64-bit value.
    with sqlite3.connect(path) as raw:
        raw.executemany(
            "INSERT INTO payload (hash, object_type, data, streamer_info, version, insertion_time)"
            " VALUES (?, 'BeamSpotObjects', x'00', x'', 'dummy', '2024-01-01 00:00:00.000000')",
            [("abc",), ("abcd",)],
        )
        raw.executemany(
            "INSERT INTO iov (tag_name, since, insertion_time, payload_hash) VALUES (?, ?, ?, ?)",
            [
                (HIGH, since, "2024-01-01 00:00:00.000000", hashes[k % 3])
                for k, since in enumerate([5, -(1 << 63), 7, -2, 1 << 40])
            ]
            + [
                (ODD_TIMES, 1, "2024-01-01 00:00:00", hashes[0]),
                (ODD_TIMES, 2, "2024-01-01 00:00:00.500000", hashes[1]),
                (ODD_TIMES, 2, "2024-01-02 00:00:00", hashes[2]),
                (SHORT_HASHES, 1, "2024-01-01 00:00:00.000000", "abc"),
                (SHORT_HASHES, 3, "2024-01-01 00:00:00.000000", "abcd"),
            ],
        )
    return path, rows, hashes


@pytest.fixture(scope="module")
def both(postgres: PostgresServer, written: Written) -> Iterator[tuple[ConditionsDB, ConditionsDB]]:
    sqlite = open_database(DatabaseConfig("iovlists", f"sqlite:///{written[0]}"))
    server = open_database(postgres.load("iovlists", written[0]))
    yield sqlite, server
    sqlite.close()
    server.close()


def _expected(
    rows: list[Row], end: int, since: int | None, until: int | None, snapshot: dt.datetime | None
) -> list[tuple[int, int, str, dt.datetime]]:
    """The IOV list from the rows by hand: latest insertion per since, then the range."""
    latest: dict[int, tuple[dt.datetime, str]] = {}
    for at, h, when in rows:
        if snapshot is None or when <= snapshot:
            latest[at] = max(latest.get(at, (when, h)), (when, h))
    sinces = sorted(latest)
    lo = max([i for i, at in enumerate(sinces) if since is not None and at <= since], default=0)
    hi = max([i for i, at in enumerate(sinces) if until is None or at <= until], default=-1)
    out = []
    for i in range(lo, hi + 1):
        stop = sinces[i + 1] if i + 1 < len(sinces) else end
        out.append((sinces[i], stop, latest[sinces[i]][1], latest[sinces[i]][0]))
    return out


def _as_tuples(iovs: IovList) -> list[tuple[int, int, str, dt.datetime]]:
    return [(i.since, i.until, i.payload_hash, i.insertion_time) for i in iovs]


def _same(a: IovList, b: IovList) -> None:
    assert (a.tag, a.time_type, a.snapshot, len(a)) == (b.tag, b.time_type, b.snapshot, len(b))
    for name in ("since", "until", "hashes", "codes", "insertion_time"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        assert np.array_equal(left, right), name


def _by_rows(db: ConditionsDB, name: str) -> IovList:
    """The whole tag through the row path (what Oracle reads)."""
    tag = db.tag(name)
    _, conds = db.iov_conditions(name)
    with db.engine.connect() as conn:
        return iov_list(tag, row_columns(conn, conds), tag.end, None)


QUERIES: Final = [
    (None, None, None),
    (1500, 4000, None),
    (1003, 1004, None),  # since between two IOVs: the list starts at the one valid there
    (0, 900, None),  # before every IOV: empty
    (None, None, T0 + dt.timedelta(seconds=1500)),  # half the IOVs, re-uploads hidden
    (2000, 6000, T0 + dt.timedelta(seconds=2000, hours=1)),
    (None, None, T0 - dt.timedelta(days=1)),  # before every insertion: empty
]


@pytest.mark.parametrize(("since", "until", "snapshot"), QUERIES)
def test_sqlite_and_postgresql_give_identical_iov_lists_and_the_right_ones(
    both: tuple[ConditionsDB, ConditionsDB],
    written: Written,
    since: int | None,
    until: int | None,
    snapshot: dt.datetime | None,
) -> None:
    sqlite, server = both
    a = sqlite.iovs(TIES, since=since, until=until, snapshot=snapshot)
    b = server.iovs(TIES, since=since, until=until, snapshot=snapshot)
    _same(a, b)
    assert a.hashes.dtype.kind == "U" and a.codes.dtype == np.int32
    end = sqlite.tag(TIES).end
    assert _as_tuples(a) == _expected(written[1], end, since, until, snapshot)


def test_the_tag_has_what_the_comparison_needs(written: Written) -> None:
    rows = written[1]
    sinces = [at for at, _, _ in rows]
    assert len(set(sinces)) == SINCES and len(rows) > SINCES + 250  # re-uploads
    hidden = [r for r in rows if r[2] > T0 + dt.timedelta(seconds=1500)]
    assert hidden and len(hidden) < len(rows)


@pytest.mark.parametrize("name", [TIES, HIGH])
def test_packed_columns_equal_the_row_path_on_both_backends(
    both: tuple[ConditionsDB, ConditionsDB], name: str
) -> None:
    for db in both:
        _same(db.iovs(name), _by_rows(db, name))


def test_sinces_from_2_to_the_63_come_last_on_both_backends(
    both: tuple[ConditionsDB, ConditionsDB],
) -> None:
    sqlite, server = both
    a, b = sqlite.iovs(HIGH), server.iovs(HIGH)
    _same(a, b)
    assert a.since.tolist() == [5, 7, 1 << 40, 1 << 63, (1 << 64) - 2]


def test_a_packed_column_past_the_largest_value_falls_back_to_the_row_path(
    written: Written,
) -> None:
    """SQLite's value limit lowered to 1 KB for this engine: the hash column no longer fits."""
    db = open_database(DatabaseConfig("iovlists", f"sqlite:///{written[0]}"))

    def small_limit(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1000)

    try:
        whole = db.iovs(TIES)
        db.engine.dispose()
        event.listen(db.engine, "connect", small_limit)
        with db.engine.connect() as conn, pytest.raises(DataError, match="too big"):
            conn.execute(select(func.group_concat(s.iov.c.payload_hash)))
        _same(db.iovs(TIES), whole)
    finally:
        db.close()


def test_rows_the_packed_columns_cannot_carry_are_read_row_by_row(
    both: tuple[ConditionsDB, ConditionsDB], written: Written
) -> None:
    sqlite, server = both
    odd = sqlite.iovs(ODD_TIMES)
    assert odd.since.tolist() == [1, 2]
    assert odd.insertion_time.astype(str).tolist() == [
        "2024-01-01T00:00:00.000000",
        "2024-01-02T00:00:00.000000",
    ]
    assert odd.payload_hash.tolist() == [written[2][0], written[2][2]]
    _same(odd, server.iovs(ODD_TIMES))  # PostgreSQL holds them as timestamps: packed there
    short = sqlite.iovs(SHORT_HASHES)
    assert short.payload_hash.tolist() == ["abc", "abcd"] and short.until.tolist()[0] == 3
    assert server.iovs(SHORT_HASHES).payload_hash.tolist() == ["abc", "abcd"]
