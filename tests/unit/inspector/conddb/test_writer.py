"""ConditionsWriter: a SQLite file with the CMS schema, filled with payloads of one's own type."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from inspector.conddb import ConditionsWriter, TimeType, open_database, payload_hash
from inspector.config import DatabaseConfig
from inspector.errors import PayloadEncodeError
from inspector.payload import ArchiveLayout, SchemaRegistry, decode, parse_streamer_info
from inspector.payload.archive.values import plain

ARCHIVE = """
encoding = "cmssw-archive"
object_type = "MyCalib"
[classes.MyCalib]
members = [
  { name = "gains", type = "std::vector<float>" },
  { name = "label", type = "std::string" },
]
"""
FLAT = """
object_type = "MyFlat"
version = 3
[[fields]]
name = "values"
kind = "array"
dtype = "f4"
count = "u4"
"""
VALUES = {"gains": [1.0, 1.5], "label": "first"}


@pytest.fixture
def registry() -> SchemaRegistry:
    schemas = SchemaRegistry()
    schemas.add_document(ARCHIVE, source="MyCalib.archive.toml")
    schemas.add_document(FLAT, source="MyFlat.v3.toml")
    return schemas


def _rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as con:
        return con.execute(query).fetchall()


def test_values_of_an_archive_layout_are_written_as_cmssw_writes_them(
    tmp_path: Path, registry: SchemaRegistry
) -> None:
    path = tmp_path / "sub" / "mine.sqlite"
    with ConditionsWriter.create_sqlite(path, schemas=registry) as writer, writer.begin() as conn:
        writer.add_tag(conn, "MyCalib_v1", time_type="run", object_type="MyCalib")
        digest = writer.add_payload(conn, "MyCalib", VALUES)
        again = writer.add_payload(conn, "MyCalib", VALUES)  # the same payload: one row
        writer.add_iovs(conn, "MyCalib_v1", [(1, digest), (500, again)])
    assert again == digest
    ((object_type, data, info, version),) = _rows(
        path, "select OBJECT_TYPE, DATA, STREAMER_INFO, VERSION from PAYLOAD"
    )
    assert (object_type, version) == ("MyCalib", "dummy")
    assert digest == payload_hash("MyCalib", data)
    streamer = parse_streamer_info(info)
    assert streamer.technology == "boost/serialization" and streamer.tech_version == "1_78"
    assert streamer.release == "CMSSW_13_0_17"
    assert data[:3] == b"\x7f\x01\x13"  # boost 1.78 writes library version 19
    layout = registry.get("MyCalib")
    assert isinstance(layout, ArchiveLayout)
    assert decode(data, layout, streamer_info=info).plain() == plain(VALUES)
    # what a reader sees
    db = open_database(DatabaseConfig("mine", f"sqlite:///{path}"))
    try:
        assert db.tag("MyCalib_v1").time_type is TimeType.RUN
        assert [i.since for i in db.iovs("MyCalib_v1")] == [1, 500]
        assert db.payload(digest).data == data
    finally:
        db.close()


def test_an_older_boost_and_another_release(tmp_path: Path, registry: SchemaRegistry) -> None:
    writer = ConditionsWriter.create_sqlite(tmp_path / "old.sqlite", schemas=registry)
    with writer, writer.begin() as conn:
        digest = writer.add_payload(
            conn,
            "MyCalib",
            VALUES,
            library_version=11,
            release="CMSSW_7_6_3_patch2",
            architecture="slc6_amd64_gcc493",
        )
        with pytest.raises(PayloadEncodeError, match="library version 12 is not one CMSSW"):
            writer.add_payload(conn, "MyCalib", VALUES, library_version=12)
        custom = writer.add_payload(
            conn, "MyCalib", VALUES, library_version=12, streamer_info='{"x": 1}'
        )
    rows = dict(_rows(tmp_path / "old.sqlite", "select HASH, STREAMER_INFO from PAYLOAD"))
    info = parse_streamer_info(rows[digest])
    assert (info.release, info.tech_version) == ("CMSSW_7_6_3_patch2", "1_57")
    assert rows[custom] == b'{"x": 1}'


def test_values_of_a_flat_layout_carry_its_version(
    tmp_path: Path, registry: SchemaRegistry
) -> None:
    writer = ConditionsWriter.create_sqlite(tmp_path / "f.sqlite", schemas=registry)
    with writer, writer.begin() as conn:
        digest = writer.add_payload(conn, "MyFlat", {"values": [1.0, 2.0]})
    ((version, info, data),) = _rows(
        tmp_path / "f.sqlite", "select VERSION, STREAMER_INFO, DATA from PAYLOAD"
    )
    assert version == "3" and json.loads(info) == {"schema": "MyFlat.v3"}
    assert digest == payload_hash("MyFlat", data)
    assert decode(data, registry.get("MyFlat", 3))["values"].tolist() == [1.0, 2.0]


def test_bytes_need_no_layout_when_their_version_is_given(tmp_path: Path) -> None:
    w = ConditionsWriter.create_sqlite(tmp_path / "b.sqlite", schemas=SchemaRegistry())
    with w, w.begin() as conn:
        w.add_payload(
            conn, "Opaque", b"\x01\x02", version="7", insertion_time=dt.datetime(2024, 1, 1)
        )
        with pytest.raises(PayloadEncodeError, match="no layout of Opaque is registered: give"):
            w.add_payload(conn, "Opaque", b"\x01\x02")
        with pytest.raises(PayloadEncodeError, match="to encode its values: pass layout="):
            w.add_payload(conn, "Opaque", {"x": 1})
    assert _rows(tmp_path / "b.sqlite", "select VERSION, STREAMER_INFO from PAYLOAD") == [
        ("7", b"")
    ]  # fmt: skip


def test_a_layout_given_explicitly_must_be_of_the_object_type(
    tmp_path: Path, registry: SchemaRegistry
) -> None:
    layout = registry.get("MyCalib")
    w = ConditionsWriter.create_sqlite(tmp_path / "x.sqlite", schemas=SchemaRegistry())
    with w, w.begin() as conn:
        assert w.add_payload(conn, "MyCalib", VALUES, layout=layout)
        with pytest.raises(PayloadEncodeError, match="that of MyCalib, not of Other"):
            w.add_payload(conn, "Other", VALUES, layout=layout)
        with pytest.raises(PayloadEncodeError, match="MyCalib: gains: expected numbers"):
            w.add_payload(conn, "MyCalib", {"gains": ["a"], "label": ""}, layout=layout)


def test_the_default_layouts_are_the_installed_plugins(tmp_path: Path) -> None:
    writer = ConditionsWriter.create_sqlite(tmp_path / "d.sqlite")
    with writer, writer.begin() as conn:
        assert "JME::JetResolutionObject" in writer.schemas.object_types()
        nothing = {"m_bins_name": [], "m_variables_name": [], "m_formula_str": ""}
        values = {"m_definition": nothing, "m_records": [], "m_valid": True}
        assert writer.add_payload(conn, "JME::JetResolutionObject", values)


def test_sinces_as_text_and_times(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    with ConditionsWriter.create_sqlite(path, schemas=SchemaRegistry()) as w, w.begin() as conn:
        h = w.add_payload(conn, "Opaque", b"x", version="1")
        w.add_tag(conn, "lumi", time_type=TimeType.LUMI, object_type="Opaque")
        w.add_tag(conn, "time", time_type="Time", object_type="Opaque")
        w.add_iovs(conn, "lumi", [("380000:12", h), (5, h)])
        when = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
        inserted = dt.datetime(2024, 6, 1)
        w.add_iovs(conn, "time", [(when, h), ("2024-05-02T00:00:00Z", h, inserted)])
        with pytest.raises(PayloadEncodeError, match="tag 'nope' does not exist"):
            w.add_iovs(conn, "nope", [("1:1", h)])
    rows = _rows(path, "select TAG_NAME, SINCE, INSERTION_TIME from IOV order by TAG_NAME, SINCE")
    assert [r[1] for r in rows if r[0] == "lumi"] == [5, (380000 << 32) | 12]
    times = [r[1] >> 32 for r in rows if r[0] == "time"]
    assert times == [int(when.timestamp()), int(when.timestamp()) + 12 * 3600]
    assert rows[-1][2].startswith("2024-06-01")
