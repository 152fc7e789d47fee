"""``inspector copy-db`` and ``inspector demo-db --url`` into a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from postgres_server import ADMIN, PostgresServer

from inspector.cli.main import cli
from inspector.conddb import open_database
from inspector.config import DatabaseConfig


def run(*args: str, config: Path | None = None) -> Result:
    prefix = ["--config", str(config)] if config else []
    return CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=False)


@pytest.fixture
def empty_database(postgres: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A new, empty database named after the test."""
    name = "copy_" + request.node.name.removeprefix("test_")[:40].lower()
    postgres.sql("postgres", f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    return name


def _as_admin(postgres: PostgresServer, database: str) -> list[str]:
    """The target options of the superuser (who may create tables)."""
    return [
        "--url",
        postgres.url(database, user=ADMIN),
        "--password-file",
        str(postgres.secret_file(ADMIN)),
    ]


def test_copy_refuses_a_filled_target_unless_forced(
    postgres: PostgresServer, empty_database: str, handmade_path: tuple[Path, dict[str, str]]
) -> None:
    source = str(handmade_path[0])
    first = run("copy-db", source, *_as_admin(postgres, empty_database), "--batch-size", "3")
    # tag, iov, payload, global_tag, global_tag_map, run_info and run_fill (empty here)
    assert first.exit_code == 0, first.output
    assert "copied 27 rows in 7 tables" in first.stdout
    assert "iov: 10/10" in first.stderr and "payload: 5/5" in first.stderr
    assert postgres.password(ADMIN) not in first.output
    target = open_database(postgres.config("t", empty_database, user=ADMIN))
    here = open_database(DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}"))
    try:
        assert target.summary() == here.summary()
        assert target.iovs("BS_run").since.tolist() == here.iovs("BS_run").since.tolist()
    finally:
        target.close()
        here.close()
    again = run("copy-db", source, *_as_admin(postgres, empty_database))
    assert again.exit_code == 2
    assert "already holds conditions data: " in again.stderr
    assert "tag (4 rows)" in again.stderr and "iov (10 rows)" in again.stderr
    assert "--force" in again.stderr and "Traceback" not in again.output
    forced = run("copy-db", source, *_as_admin(postgres, empty_database), "--force")
    assert forced.exit_code == 0, forced.output


def test_tables_absent_from_the_source_are_skipped(
    postgres: PostgresServer,
    empty_database: str,
    handmade_path: tuple[Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    """A CondDB file without global tags or runs still copies, and says what it lacked."""
    minimal = tmp_path / "minimal.sqlite"
    with sqlite3.connect(handmade_path[0]) as src, sqlite3.connect(minimal) as dst:
        src.backup(dst)
        dst.executescript(
            "DROP TABLE global_tag_map; DROP TABLE global_tag; DROP TABLE run_info; "
            "DROP TABLE run_fill;"
        )
    result = run("copy-db", str(minimal), *_as_admin(postgres, empty_database))
    assert result.exit_code == 0, result.output
    assert "in 3 tables" in result.stdout
    skipped = result.stdout.rsplit("absent from the source: ", 1)[1].strip()
    assert sorted(skipped.split(", ")) == ["global_tag", "global_tag_map", "run_fill", "run_info"]


def test_copy_from_a_configured_server_alias_back_to_a_sqlite_file(
    postgres: PostgresServer, handmade_path: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    hand = postgres.load("hand", handmade_path[0])
    config = tmp_path / "inspector.toml"
    config.write_text(
        f'[databases.server]\nurl = "{hand.url}"\npassword_file = "{hand.password_file}"\n'
    )
    copy = tmp_path / "copy.sqlite"
    result = run("copy-db", "server", "--url", f"sqlite:///{copy}", config=config)
    assert result.exit_code == 0, result.output
    a = open_database(DatabaseConfig("a", f"sqlite:///{copy}"))
    b = open_database(DatabaseConfig("b", f"sqlite:///{handmade_path[0]}"))
    try:
        assert a.summary() == b.summary()
        assert a.search_tags() == b.search_tags()
        assert a.global_tag_map("GT_v1") == b.global_tag_map("GT_v1")
    finally:
        a.close()
        b.close()


def test_bad_sources_and_targets_are_one_line_errors(tmp_path: Path) -> None:
    config = tmp_path / "inspector.toml"
    config.write_text('[databases.a]\npath = "a.sqlite"\n')
    unknown = run("copy-db", "nowhere", "--url", "sqlite:///x.sqlite", config=config)
    assert unknown.exit_code == 2
    assert "'nowhere' is neither a configured alias (a) nor a SQLite file" in unknown.stderr
    source = tmp_path / "s.sqlite"
    source.touch()
    secret = "hunter2-not-here"
    leaky = run("copy-db", str(source), "--url", f"postgresql+psycopg://u:{secret}@h/db")
    assert leaky.exit_code == 2
    assert "carries a password" in leaky.stderr and "password_env" in leaky.stderr
    assert secret not in leaky.output


def test_demo_db_into_a_server(postgres: PostgresServer, empty_database: str) -> None:
    result = run("demo-db", "--scale", "0.01", "--seed", "2", *_as_admin(postgres, empty_database))
    assert result.exit_code == 0, result.output
    assert "copying to the target" in result.stdout
    db = open_database(postgres.config("d", empty_database, user=ADMIN))
    try:
        counts = db.summary()
        assert counts["tag"] >= 8 and counts["iov"] > 40 and counts["payload_bytes"] > 0
    finally:
        db.close()
    neither = run("demo-db")
    assert neither.exit_code == 2 and "either PATH" in neither.stderr
