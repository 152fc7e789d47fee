"""Files as CMSSW writes them: no RUN_INFO, extra tables, -1 as "forever", since past 2**63.

Built row by row by :func:`cms_files.build_cms_like` (with and without
``TAG.PROTECTION_CODE``), read on SQLite and, loaded by the product's own
copy, on PostgreSQL.  The real files are read in ``test_real_cms_conddb.py``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cms_files import CMS_LIKE_TAGS, FAR_SINCE, build_cms_like
from handmade import build_handmade
from postgres_server import PostgresServer
from sqlalchemy import event

from inspector.conddb import ConditionsDB, format_since, open_database
from inspector.conddb.database import OPTIONAL_TABLES
from inspector.conddb.schema import to_unsigned
from inspector.conddb.timetypes import TimeType, datetime_to_since
from inspector.config import DatabaseConfig
from inspector.errors import NotFound

MAX = (1 << 64) - 1
EXTRA = {"coral_sqlite_fk", "tag_log"}


@pytest.fixture(scope="module", params=[True, False], ids=["protection_code", "no_protection"])
def cms_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cms") / "cms.db"
    build_cms_like(path, protection_code=request.param, global_tag=True)
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cms_config(request: pytest.FixtureRequest, cms_path: Path) -> DatabaseConfig:
    if request.param == "sqlite":
        return DatabaseConfig("cms", f"sqlite:///{cms_path}")
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"cms_{cms_path.parent.name.replace('-', '_').lower()}"
    fresh = name not in server.loaded
    config = server.load(name, cms_path)
    if fresh:  # copy-db copies the CondDB tables only: add CMSSW's extra ones by hand
        server.sql(
            name,
            "CREATE TABLE coral_sqlite_fk (id TEXT NOT NULL, name TEXT, tablename TEXT NOT NULL)",
            "CREATE TABLE tag_log (tag_name TEXT NOT NULL, event_time TIMESTAMP NOT NULL)",
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader",
        )
    return config


@pytest.fixture
def cms_db(cms_config: DatabaseConfig) -> Iterator[ConditionsDB]:
    db = open_database(cms_config)
    yield db
    db.close()


def test_tables_are_read_and_optional_ones_are_missing(cms_db: ConditionsDB) -> None:
    tables = cms_db.tables()
    assert {"tag", "iov", "payload", "global_tag", "global_tag_map"} | EXTRA <= tables
    assert not tables & OPTIONAL_TABLES
    assert cms_db.has_runs() is False and cms_db.has_fills() is False


def test_the_catalogue_is_read_once(cms_config: DatabaseConfig) -> None:
    db = open_database(cms_config)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            db.has_runs(), db.has_fills(), db.runs(), db.newest_run(), db.fills_of_runs(1, 2)
            db.search_tags()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        db.close()
    catalogue = [s for s in statements if "sqlite_master" in s or "pg_class" in s]
    assert len(catalogue) == 1, catalogue


def test_run_questions_answer_as_for_no_runs(cms_db: ConditionsDB) -> None:
    page = cms_db.runs()
    assert (list(page.items), page.total, page.pages) == ([], 0, 1)
    assert cms_db.runs(fill=9000, first=1).total == 0
    no_runs = r"run 380000: database '\w+' has no run information \(no RUN_INFO table\)"
    with pytest.raises(NotFound, match=no_runs):
        cms_db.run(380000)
    assert cms_db.neighbour_runs(380000) == (None, None)
    assert cms_db.newest_run() is None and cms_db.latest_run_end() is None
    waiting = cms_db.waiting_runs(ended_by=dt.datetime(2030, 1, 1))
    assert (waiting.count, waiting.first_run, waiting.earliest_end) == (0, None, None)
    assert len(cms_db.run_timeline()) == 0
    assert cms_db.fills_of_runs(1, 400000) == []
    assert cms_db.fills_between(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1)) == []
    with pytest.raises(NotFound, match="fill 1"):
        cms_db.fill(1)


def test_summary_leaves_out_the_missing_tables(cms_db: ConditionsDB) -> None:
    counts = cms_db.summary()
    assert "run_info" not in counts and "run_fill" not in counts
    assert (counts["tag"], counts["iov"], counts["payload"], counts["global_tag"]) == (3, 7, 4, 1)


def test_end_of_validity_minus_one_is_forever(cms_db: ConditionsDB) -> None:
    for role in ("jer", "run", "time"):
        tag = cms_db.tag(CMS_LIKE_TAGS[role])
        assert tag.end_of_validity == MAX
        assert tag.end == tag.time_type.max_since
        assert format_since(tag.end, tag.time_type) == "inf"
    iovs = cms_db.iovs(CMS_LIKE_TAGS["run"])
    assert iovs.since.tolist() == [1, 380000, 381000]
    assert int(iovs.until[-1]) == TimeType.RUN.max_since


def test_a_since_past_2_63_reads_unsigned_and_sorts_last(
    cms_db: ConditionsDB, hashes_cms: dict[str, str]
) -> None:
    iovs = cms_db.iovs(CMS_LIKE_TAGS["time"])
    jan, jun = (
        datetime_to_since(dt.datetime(2024, 1, 1)),
        datetime_to_since(dt.datetime(2024, 6, 1)),
    )
    assert iovs.since.tolist() == [jan, jun, FAR_SINCE]
    assert iovs.until.tolist() == [jun, FAR_SINCE, MAX]
    assert iovs.payload_hash.tolist() == [
        hashes_cms["x=0.1"],
        hashes_cms["x=0.2"],
        hashes_cms["x=0.3"],
    ]
    assert format_since(FAR_SINCE, TimeType.TIME).startswith("2040-01-01T00:00:00")
    # The largest since is a bound every backend takes, not an overflow.
    assert cms_db.iovs(CMS_LIKE_TAGS["time"], until=MAX).since.tolist() == [jan, jun, FAR_SINCE]
    tag = cms_db.tag(CMS_LIKE_TAGS["time"])
    found = cms_db.iov_at(tag, jun + 1)
    # (Its until is FAR_SINCE on PostgreSQL; SQLite cannot compare values from
    # 2**63 as unsigned, see docs/databases.md#column-types.)
    assert found is not None and found.since == jun


@pytest.fixture(scope="module")
def hashes_cms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The payload hashes (the same for every variant of the file)."""
    return build_cms_like(tmp_path_factory.mktemp("hashes") / "h.db")


def test_to_unsigned_is_the_one_conversion() -> None:
    assert to_unsigned(-1) == MAX
    assert to_unsigned(-(1 << 63)) == 1 << 63
    assert to_unsigned(0) == 0 and to_unsigned(42) == 42 and to_unsigned(MAX) == MAX


def test_until_infinity_on_sqlite_is_not_an_overflow(handmade_db: ConditionsDB) -> None:
    everything = handmade_db.iovs("BS_time")
    assert len(handmade_db.iovs("BS_time", until=MAX)) == len(everything)
    assert len(handmade_db.iovs("BS_time", since=MAX - 1, until=MAX)) == 1
    lumi = handmade_db.tag("BS_lumi")
    assert handmade_db.iovs_at([(lumi, MAX - 1)]) == [None]  # past the end of validity


def test_a_replaced_file_is_looked_at_again(tmp_path: Path) -> None:
    path = tmp_path / "current.db"
    build_cms_like(tmp_path / "cms.db")
    build_handmade(tmp_path / "hand.db")
    shutil.copy(tmp_path / "cms.db", path)
    db = open_database(DatabaseConfig("live", f"sqlite:///{path}"))
    try:
        assert db.has_runs() is False and db.runs().total == 0
        replacement = tmp_path / "next.db"
        shutil.copy(tmp_path / "hand.db", replacement)
        replacement.replace(path)  # a new inode: pooled connections are dropped
        assert db.has_runs() is True and db.has_fills() is True
        assert db.runs().total == 3
    finally:
        db.close()
