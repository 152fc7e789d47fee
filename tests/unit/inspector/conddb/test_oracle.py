"""Oracle (``oracle+oracledb``, thin mode) without a server: the SQL the product would send.

No Oracle server runs here.  Every query is captured as the product builds
it for a server backend (from a real PostgreSQL run, so the statements are
the non-SQLite ones), then compiled for the Oracle dialect of an engine made
from an Oracle alias with a schema owner, and compared with the expected
text: owner prefix on every table, ``OFFSET .. FETCH FIRST`` paging, BLOB
sizes through ``dbms_lob.getlength``, payloads batched in one ``IN`` list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import oracledb
import pytest
from handmade import hours
from postgres_server import PostgresServer
from sqlalchemy import Engine, LargeBinary, event
from sqlalchemy.sql import ClauseElement

from inspector.conddb import ConditionsDB, open_database
from inspector.conddb import schema as s
from inspector.conddb.engines import reader_engine
from inspector.conddb.iov_columns import IovColumns, row_columns
from inspector.database_config import parse_database

T = "cms_conditions"
TAG_COLUMNS = ", ".join(
    f"{T}.tag.{c}"
    for c in [
        "name",
        "time_type",
        "object_type",
        "synchronization",
        "end_of_validity",
        "description",
        "last_validated_time",
        "insertion_time",
        "modification_time",
    ]
)
GT_COLUMNS = ", ".join(
    f"{T}.global_tag.{c}"
    for c in ["name", "validity", "description", "release", "insertion_time", "snapshot_time"]
)
SEARCH_WHERE = (
    f"WHERE lower({T}.tag.name) LIKE :lower_1 ESCAPE '\\' AND {T}.tag.object_type = "
    f":object_type_1 AND {T}.tag.time_type = :time_type_1"
)
IOV_BASE = f"{T}.iov.tag_name = :tag_name_1 AND {T}.iov.insertion_time <= :insertion_time_1"

#: query name → (what the product is asked, the Oracle SQL of each statement it runs).
EXPECTED: dict[str, tuple[Callable[[ConditionsDB, list[str]], object], list[str]]] = {
    "tag search, page 2 of 2, newest first": (
        lambda db, h: db.search_tags(
            "bs_*",
            object_type="BeamSpotObjects",
            time_type="run",
            page=2,
            page_size=2,
            sort="-insertion_time",
        ),
        [
            f"SELECT count(*) AS count_1 FROM {T}.tag {SEARCH_WHERE}",
            f"SELECT {TAG_COLUMNS} FROM {T}.tag {SEARCH_WHERE} "
            f"ORDER BY {T}.tag.insertion_time DESC, {T}.tag.name ASC "
            "OFFSET 2 ROWS FETCH FIRST 2 ROWS ONLY",
        ],
    ),
    "IOVs in a range at a snapshot": (
        lambda db, h: _iovs_by_rows(db),
        [
            f"SELECT {T}.iov.since AS since, {T}.iov.insertion_time AS insertion_time, "
            f"{T}.iov.payload_hash "
            f"FROM {T}.iov WHERE {IOV_BASE} AND {T}.iov.since >= coalesce("
            f"(SELECT max({T}.iov.since) AS max_1 FROM {T}.iov WHERE {IOV_BASE} "
            f"AND {T}.iov.since <= :since_1), :param_1) AND {T}.iov.since <= :since_2 "
            f"ORDER BY {T}.iov.since, {T}.iov.insertion_time, {T}.iov.payload_hash",
        ],
    ),
    "payloads batched": (
        lambda db, h: db.payloads(h[:3]),
        [
            f"SELECT {T}.payload.hash, {T}.payload.object_type, {T}.payload.version, "
            f"{T}.payload.data, {T}.payload.streamer_info, "
            f"{T}.payload.insertion_time AS timestamp_text_1 "
            f"FROM {T}.payload WHERE {T}.payload.hash IN (:hash_1_1, :hash_1_2, :hash_1_3)"
        ],
    ),
    "payload size without the blob": (
        lambda db, h: db.payload_info(h[0]),
        [
            f"SELECT {T}.payload.hash, {T}.payload.object_type, {T}.payload.version, "
            f"dbms_lob.getlength({T}.payload.data) AS blob_length_1, "
            f"{T}.payload.insertion_time, {T}.payload.streamer_info "
            f"FROM {T}.payload WHERE {T}.payload.hash = :hash_1"
        ],
    ),
    "global tags and one map": (
        lambda db, h: (db.global_tags("GT", page_size=10), db.global_tag_map("GT_v1")),
        [
            f"SELECT count(*) AS count_1 FROM {T}.global_tag "
            f"WHERE lower({T}.global_tag.name) LIKE :lower_1 ESCAPE '\\'",
            f"SELECT {GT_COLUMNS} FROM {T}.global_tag "
            f"WHERE lower({T}.global_tag.name) LIKE :lower_1 ESCAPE '\\' "
            f"ORDER BY {T}.global_tag.insertion_time DESC, {T}.global_tag.name "
            "OFFSET 0 ROWS FETCH FIRST 10 ROWS ONLY",
            f"SELECT {GT_COLUMNS} FROM {T}.global_tag WHERE {T}.global_tag.name = :name_1",
            f"SELECT {T}.global_tag_map.record, {T}.global_tag_map.label, "
            f"{T}.global_tag_map.tag_name FROM {T}.global_tag_map "
            f"WHERE {T}.global_tag_map.global_tag_name = :global_tag_name_1 "
            f"ORDER BY {T}.global_tag_map.record, {T}.global_tag_map.label",
        ],
    ),
    "runs": (
        lambda db, h: db.run_timeline(100, 200),
        [
            f"SELECT {T}.run_info.run_number, {T}.run_info.start_time, {T}.run_info.end_time "
            f"FROM {T}.run_info WHERE {T}.run_info.run_number >= :run_number_1 AND "
            f"{T}.run_info.run_number <= :run_number_2 ORDER BY {T}.run_info.run_number"
        ],
    ),
}


def _iovs_by_rows(db: ConditionsDB) -> IovColumns:
    """What ``db.iovs`` reads on Oracle: the row path (PostgreSQL and SQLite pack columns)."""
    _, conds = db.iov_conditions("BS_run", since=150, until=350, snapshot=hours(5))
    with db.engine.connect() as conn:
        return row_columns(conn, conds)


@pytest.fixture(scope="module")
def oracle(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The engine of an Oracle alias as a user would configure it (never connected)."""
    monkeypatch_module.setenv("CONDDB_ORACLE_TEST_PASSWORD", "unused")
    config = parse_database(
        "prod",
        {
            "dsn": "cmsr-s.example.org:10121/cms_orcon_adg",
            "user": "cms_cond_general_r",
            "password_env": "CONDDB_ORACLE_TEST_PASSWORD",
            "schema": "CMS_CONDITIONS",
            "arraysize": 500,
        },
        Path.cwd(),
        "test",
    )
    engine = reader_engine(config)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def server_db(
    postgres: PostgresServer, handmade_path: tuple[Path, dict[str, str]]
) -> Iterator[ConditionsDB]:
    db = open_database(postgres.load("hand", handmade_path[0]))
    db.tag("BS_run")  # the first use checks the catalogue (backend-specific); not captured
    yield db
    db.close()


def _oracle_sql(statement: ClauseElement, engine: Engine) -> str:
    compiled = statement.compile(
        dialect=engine.dialect,
        schema_translate_map=engine.get_execution_options()["schema_translate_map"],
        render_schema_translate=True,
        compile_kwargs={"render_postcompile": True},
    )
    return re.sub(r"\s+", " ", str(compiled)).strip()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_query_compiles_to_the_expected_oracle_sql(
    name: str, oracle: Engine, server_db: ConditionsDB, hashes: dict[str, str]
) -> None:
    captured: list[ClauseElement] = []

    def capture(conn: Any, element: Any, *args: Any) -> None:
        captured.append(element)

    ask, expected = EXPECTED[name]
    event.listen(server_db.engine, "before_execute", capture)
    try:
        ask(server_db, sorted(hashes.values()))
    finally:
        event.remove(server_db.engine, "before_execute", capture)
    assert [_oracle_sql(c, oracle) for c in captured] == expected


def test_the_alias_is_an_oracledb_thin_engine_with_lobs_as_bytes(oracle: Engine) -> None:
    assert (oracle.dialect.name, oracle.dialect.driver) == ("oracle", "oracledb")
    assert oracle.dialect.dbapi is oracledb and oracledb.is_thin_mode()
    assert oracle.dialect.arraysize == 500
    # BLOB columns come back as bytes, not LOB locators that need a round trip each.
    assert oracle.dialect.auto_convert_lobs is True  # type: ignore[attr-defined]
    data = s.payload.c.data.type
    assert isinstance(data, LargeBinary)
    assert data.compile(dialect=oracle.dialect) == "BLOB"
    assert s.iov.c.since.type.compile(dialect=oracle.dialect) == "NUMERIC(38, 0)"
    # The owner is upper case in Oracle's catalogue; unquoted lower case reaches it.
    assert oracle.get_execution_options()["schema_translate_map"][None] == "cms_conditions"
    assert oracle.url.password is None and oracle.url.username == "cms_cond_general_r"
    assert oracle.url.query["dsn"] == "cmsr-s.example.org:10121/cms_orcon_adg"
    assert (oracle.pool.size(), oracle.pool._pre_ping) == (5, True)  # type: ignore[attr-defined]


def test_every_statement_is_a_select_on_oracle_too(
    oracle: Engine, server_db: ConditionsDB, hashes: dict[str, str]
) -> None:
    captured: list[ClauseElement] = []

    def capture(conn: Any, element: Any, *args: Any) -> None:
        captured.append(element)

    event.listen(server_db.engine, "before_execute", capture)
    try:
        for ask, _ in EXPECTED.values():
            ask(server_db, sorted(hashes.values()))
        server_db.summary()
        server_db.object_types()
    finally:
        event.remove(server_db.engine, "before_execute", capture)
    assert len(captured) >= 15
    for statement in captured:
        compiled = statement.compile(dialect=oracle.dialect)
        assert statement.is_select  # type: ignore[attr-defined]
        assert not (compiled.isinsert or compiled.isupdate or compiled.isdelete)  # type: ignore[attr-defined]
        assert str(compiled).lstrip().startswith("SELECT")
