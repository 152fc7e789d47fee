"""Server engines against a real PostgreSQL: logins from files and variables, read-only
sessions, schema owners, secrets that never show, fetch sizes for long results."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from postgres_server import READER, PostgresServer
from sqlalchemy import event, func, select

from inspector.conddb import ConditionsDB, open_database
from inspector.conddb import schema as s
from inspector.conddb.engines import LONG_RESULT, reader_engine
from inspector.conddb.iov_columns import row_columns
from inspector.config import DatabaseConfig, PoolConfig
from inspector.errors import ConfigError, DatabaseUnavailable


@pytest.fixture
def hand_pg(postgres: PostgresServer, handmade_path: tuple[Path, dict[str, str]]) -> DatabaseConfig:
    return postgres.load("hand", handmade_path[0])


def test_password_from_an_environment_variable(
    hand_pg: DatabaseConfig, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONDDB_TEST_PASSWORD", postgres.password(READER))
    config = dataclasses.replace(hand_pg, password_file=None, password_env="CONDDB_TEST_PASSWORD")
    db = open_database(config)
    try:
        assert [t.name for t in db.search_tags("BS_run").items] == ["BS_run"]
        # Neither the engine's URL nor what is shown of the database holds the password.
        assert db.engine.url.password is None
        assert postgres.password(READER) not in f"{db.location} {db!r} {db.engine.url!r}"
    finally:
        db.close()


def test_a_missing_variable_or_file_names_the_alias_and_where_it_looked(tmp_path: Path) -> None:
    url = "postgresql+psycopg://reader@127.0.0.1:1/conddb"
    with pytest.raises(ConfigError, match=r"'online'.*CONDDB_NOT_SET_ANYWHERE.*not set"):
        open_database(DatabaseConfig("online", url, password_env="CONDDB_NOT_SET_ANYWHERE"))
    missing = tmp_path / "no-such-secret"
    with pytest.raises(ConfigError, match=rf"'online'.*password_file {missing}"):
        open_database(DatabaseConfig("online", url, password_file=missing))


def test_a_wrong_password_is_unavailable_without_showing_it(
    hand_pg: DatabaseConfig, tmp_path: Path
) -> None:
    wrong = "Wr0ng-Secret-Value-42"
    secret = tmp_path / "secret"
    secret.write_text(wrong + "\n")
    db = open_database(dataclasses.replace(hand_pg, password_file=secret))
    try:
        with pytest.raises(DatabaseUnavailable, match="password authentication failed") as caught:
            db.search_tags()
        error = caught.value
        texts = [str(error), error.message, error.public_message, repr(error), db.location]
        assert all(wrong not in t for t in texts), texts
        assert error.__cause__ is None and error.__suppress_context__
    finally:
        db.close()


def test_a_password_rotated_in_its_file_is_used_by_new_connections(
    hand_pg: DatabaseConfig, postgres: PostgresServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("not-yet-the-right-one")
    db = open_database(dataclasses.replace(hand_pg, password_file=secret))
    try:
        with pytest.raises(DatabaseUnavailable):
            db.tag("BS_run")
        secret.write_text(postgres.password(READER))
        assert db.tag("BS_run").name == "BS_run"  # no restart, no new ConditionsDB
    finally:
        db.close()


def test_a_secret_gone_while_serving_is_a_503_until_it_is_back(
    hand_pg: DatabaseConfig, postgres: PostgresServer, tmp_path: Path
) -> None:
    """Not the request's fault, so no 500: the database is unavailable, and recovers."""
    secret = tmp_path / "secret"
    secret.write_text(postgres.password(READER))
    db = open_database(dataclasses.replace(hand_pg, password_file=secret))
    try:
        assert db.tag("BS_run").name == "BS_run"
        secret.unlink()  # the secret goes away while the server runs
        db.engine.dispose()  # and the pooled connections are recycled
        with pytest.raises(DatabaseUnavailable, match=r"password_file") as caught:
            db.tag("BS_run")
        assert caught.value.http_status == 503
        assert str(secret) not in caught.value.public_message
        secret.write_text(postgres.password(READER))
        assert db.tag("BS_run").name == "BS_run"
    finally:
        db.close()


def test_sessions_are_read_only_even_for_a_login_that_may_write(
    postgres: PostgresServer, handmade_path: tuple[Path, dict[str, str]]
) -> None:
    postgres.load("hand", handmade_path[0])
    superuser = postgres.config("hand_admin", "hand", user="admin")
    db = open_database(superuser)
    try:
        with db.engine.connect() as conn, pytest.raises(Exception, match="read-only transaction"):
            conn.exec_driver_sql("DELETE FROM iov")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
        assert db.summary()["iov"] == 10  # nothing was deleted
    finally:
        db.close()


def test_every_statement_the_readers_issue_is_a_select(
    handmade_db: ConditionsDB, hashes: dict[str, str]
) -> None:
    """Whatever the backend, the product only reads (what an Oracle read-only account allows)."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(handmade_db.engine, "before_cursor_execute", record)
    try:
        handmade_db.search_tags("bs", page_size=2, sort="-insertion_time")
        handmade_db.object_types()
        handmade_db.iovs("BS_run", since=150, until=350, snapshot=None)
        handmade_db.payloads(list(hashes.values()))
        handmade_db.payload_info(hashes["x=0.1"])
        handmade_db.global_tags("GT")
        handmade_db.global_tag_map("GT_v1")
        handmade_db.run_timeline(100, 200)
        handmade_db.summary()
    finally:
        event.remove(handmade_db.engine, "before_cursor_execute", record)
    assert len(statements) >= 12
    verbs = {s.lstrip().split(None, 1)[0].upper() for s in statements}
    assert verbs <= {"SELECT", "PRAGMA", "WITH"}, verbs
    writes = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE")
    assert not [s for s in statements if s.lstrip().upper().startswith(writes)]


def test_long_results_fetch_many_rows_per_round_trip(hand_pg: DatabaseConfig) -> None:
    """The row path of IOV lists (Oracle's; PostgreSQL packs columns) sets the fetch size."""
    config = dataclasses.replace(hand_pg, iov_arraysize=4321)
    db = open_database(config)
    sizes: dict[str, int] = {}

    def after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        kind = "iov" if context.execution_options.get(LONG_RESULT) else "other"
        sizes[kind] = cursor.arraysize

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        with db.engine.connect() as conn:
            rows = row_columns(conn, [s.iov.c.tag_name == "BS_run"])
            conn.scalar(select(func.count()).select_from(s.tag))
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
        db.close()
    assert len(rows) > 0
    assert sizes["iov"] == 4321
    assert sizes["other"] != 4321


def test_schema_owner_prefixes_every_table(
    postgres: PostgresServer, handmade_path: tuple[Path, dict[str, str]]
) -> None:
    """Tables under an owner (not in the search path) are found through ``schema``."""
    if "owned" not in postgres.loaded:
        postgres.sql("postgres", "CREATE DATABASE owned")
        postgres.sql(
            "owned", "CREATE SCHEMA cms_conditions", "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
        )
        admin = postgres.admin_engine("owned")
        source = open_database(DatabaseConfig("src", f"sqlite:///{handmade_path[0]}"))
        try:
            from inspector.conddb.copy import copy_database

            copy_database(source, admin, target_schema="cms_conditions")
        finally:
            source.close()
            admin.dispose()
        postgres.sql(
            "owned",
            f"GRANT USAGE ON SCHEMA cms_conditions TO {READER}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA cms_conditions TO {READER}",
        )
        postgres.loaded["owned"] = postgres.config("owned", "owned")
    plain = open_database(postgres.loaded["owned"])
    owned = open_database(dataclasses.replace(postgres.loaded["owned"], schema="cms_conditions"))
    try:
        with pytest.raises(DatabaseUnavailable, match="missing table"):
            plain.search_tags()  # nothing in public
        assert owned.iovs("BS_run").since.tolist() == [100, 200, 300, 400]
        assert owned.summary()["iov"] == 10
    finally:
        plain.close()
        owned.close()


def test_pool_settings_reach_the_engine() -> None:
    pool = PoolConfig(size=3, max_overflow=2, recycle=600.0, timeout=4.0, pre_ping=False)
    engine = reader_engine(
        DatabaseConfig("p", "postgresql+psycopg://reader@127.0.0.1:1/conddb", pool=pool)
    )
    try:
        assert engine.pool.size() == 3
        assert engine.pool._max_overflow == 2  # type: ignore[attr-defined]
        assert engine.pool._recycle == 600.0  # type: ignore[attr-defined]
        assert engine.pool._timeout == 4.0  # type: ignore[attr-defined]
        assert engine.pool._pre_ping is False  # type: ignore[attr-defined]
    finally:
        engine.dispose()
