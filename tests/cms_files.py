"""Conditions files as CMSSW writes them: the real ones, and small look-alikes built here.

The real files (``../shared/data/cms-conditions/jer/*.db``, beside the
repository, never copied into it) are located by :data:`REAL_CMS_DIR`.

:func:`build_cms_like` writes a file with the same traits, row by row, for
exact tests: CMSSW's table layout (declared types ``ULONGLONG``,
``TIMESTAMP``, ``TEXT``; the ``coral_sqlite_fk`` table; ``TAG_LOG`` and
``TAG_AUTHORIZATION``; ``TAG.PROTECTION_CODE`` when asked), no
``RUN_INFO`` and no fill table, ``END_OF_VALIDITY`` stored as -1, the
version ``'dummy'`` for archive payloads, and a Time since past 2**63
stored as the negative number with the same 64 bits.  Besides a
``JME::JetResolutionObject`` tag it holds beam-spot tags whose payloads the
built-in flat layout decodes, so plots can be drawn from such a file too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Final

from handmade import beamspot_values

from inspector.conddb.timetypes import datetime_to_since
from inspector.conddb.writer import payload_hash
from inspector.payload import SchemaRegistry, encode

__all__ = [
    "CMS_LIKE_TAGS",
    "FAR_SINCE",
    "REAL_CMS_DIR",
    "REAL_CMS_FILES",
    "build_cms_like",
    "real_cms_config",
]

#: The real CMS files, beside the repository (``<repo>/../shared/...``).
REAL_CMS_DIR: Final = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cms-conditions" / "jer"
)
REAL_CMS_FILES: Final = sorted(REAL_CMS_DIR.glob("*.db"))

#: Tags of :func:`build_cms_like` by role.
CMS_LIKE_TAGS: Final = {
    "jer": "JR_Test_MC_SF_AK4PF",
    "run": "BeamSpot_cms_byRun",
    "time": "BeamSpot_cms_byTime",
}
#: A Time since in 2040: past 2**63, so SQLite holds it as a negative number.
FAR_SINCE: Final = datetime_to_since(dt.datetime(2040, 1, 1))
T0: Final = dt.datetime(2024, 4, 9, 12, 33, 31, 144893)

_TABLES: Final = (
    'CREATE TABLE "TAG" ( "NAME" TEXT ,"TIME_TYPE" TEXT  NOT NULL,"OBJECT_TYPE" TEXT  NOT NULL,'
    '"SYNCHRONIZATION" TEXT  NOT NULL,"END_OF_VALIDITY" ULONGLONG  NOT NULL,'
    '"DESCRIPTION" TEXT  NOT NULL,"LAST_VALIDATED_TIME" ULONGLONG  NOT NULL,'
    '"INSERTION_TIME" TIMESTAMP  NOT NULL,"MODIFICATION_TIME" TIMESTAMP  NOT NULL'
    '{protection}, PRIMARY KEY("NAME") )',
    "CREATE TABLE coral_sqlite_fk(id TEXT NOT NULL, name TEXT, tablename TEXT NOT NULL)",
    'CREATE TABLE "PAYLOAD" ( "HASH" TEXT ,"OBJECT_TYPE" TEXT  NOT NULL,"DATA" BLOB  NOT NULL,'
    '"STREAMER_INFO" BLOB  NOT NULL,"VERSION" TEXT  NOT NULL,'
    '"INSERTION_TIME" TIMESTAMP  NOT NULL, PRIMARY KEY("HASH") )',
    'CREATE TABLE "IOV" ( "TAG_NAME" TEXT  NOT NULL,"SINCE" ULONGLONG  NOT NULL,'
    '"PAYLOAD_HASH" TEXT  NOT NULL,"INSERTION_TIME" TIMESTAMP  NOT NULL, '
    'PRIMARY KEY("TAG_NAME","SINCE","INSERTION_TIME"), '
    'FOREIGN KEY("TAG_NAME") REFERENCES TAG("NAME"), '
    'FOREIGN KEY("PAYLOAD_HASH") REFERENCES PAYLOAD("HASH") )',
    'CREATE TABLE "TAG_LOG" ( "TAG_NAME" TEXT  NOT NULL,"EVENT_TIME" TIMESTAMP  NOT NULL,'
    '"USER_NAME" TEXT  NOT NULL,"HOST_NAME" TEXT  NOT NULL,"COMMAND" TEXT  NOT NULL,'
    '"ACTION" TEXT  NOT NULL,"USER_TEXT" TEXT  NOT NULL, '
    'PRIMARY KEY("TAG_NAME","EVENT_TIME","ACTION"), '
    'FOREIGN KEY("TAG_NAME") REFERENCES TAG("NAME") )',
    'CREATE TABLE "GLOBAL_TAG" ( "NAME" TEXT ,"VALIDITY" ULONGLONG  NOT NULL,'
    '"DESCRIPTION" TEXT  NOT NULL,"RELEASE" TEXT  NOT NULL,'
    '"SNAPSHOT_TIME" TIMESTAMP  NOT NULL,"INSERTION_TIME" TIMESTAMP  NOT NULL, '
    'PRIMARY KEY("NAME") )',
    'CREATE TABLE "GLOBAL_TAG_MAP" ( "GLOBAL_TAG_NAME" TEXT  NOT NULL,"RECORD" TEXT  NOT NULL,'
    '"LABEL" TEXT  NOT NULL,"TAG_NAME" TEXT  NOT NULL, '
    'PRIMARY KEY("GLOBAL_TAG_NAME","RECORD","LABEL") )',
)
_AUTHORIZATION: Final = (
    'CREATE TABLE "TAG_AUTHORIZATION" ( "TAG_NAME" TEXT  NOT NULL,"ACCESS_TYPE" INT  NOT NULL,'
    '"CREDENTIAL" TEXT  NOT NULL,"CREDENTIAL_TYPE" INT  NOT NULL, '
    'PRIMARY KEY("TAG_NAME","CREDENTIAL","CREDENTIAL_TYPE"), '
    'FOREIGN KEY("TAG_NAME") REFERENCES TAG("NAME") )'
)
_STREAMER: Final = (
    b' {\n"CMSSW_version": "CMSSW_12_4_11_patch3",\n"architecture": "slc7_amd64_gcc10",\n'
    b'"technology": "boost/serialization",\n"tech_version": "1_78"\n }\n'
)


def _text(when: dt.datetime) -> str:
    """A time as CMSSW's SQLite files hold it: ``2024-04-09 12:33:31.144893``."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


def _signed(value: int) -> int:
    """The signed 64-bit number with the bits of an unsigned one (how CMSSW stores it)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def build_cms_like(
    path: Path, *, protection_code: bool = True, global_tag: bool = False
) -> dict[str, str]:
    """Write the file (see the module docstring); return payload hashes by label.

    ``global_tag`` adds one global tag mapping the beam-spot record to the
    run tag (real files have an empty GLOBAL_TAG).
    """
    schema = SchemaRegistry.builtin().get("BeamSpotObjects", 2)
    con = sqlite3.connect(path)
    with con:
        for ddl in _TABLES:
            con.execute(
                ddl.replace(
                    "{protection}", ',"PROTECTION_CODE" INT  NOT NULL' if protection_code else ""
                )
            )
        if protection_code:
            con.execute(_AUTHORIZATION)
        hashes: dict[str, str] = {}
        blobs = {
            "jer": ("JME::JetResolutionObject", b"\x7f\x01\x13\x00\x00", "dummy"),
            **{
                f"x={x}": ("BeamSpotObjects", encode(schema, beamspot_values(x)), "2")
                for x in (0.1, 0.2, 0.3)
            },
        }
        for label, (object_type, data, version) in blobs.items():
            digest = payload_hash(object_type, data)
            hashes[label] = digest
            con.execute(
                "INSERT INTO PAYLOAD VALUES (?, ?, ?, ?, ?, ?)",
                (digest, object_type, data, _STREAMER, version, _text(T0)),
            )
        tags = [
            (CMS_LIKE_TAGS["jer"], "Run", "JME::JetResolutionObject"),
            (CMS_LIKE_TAGS["run"], "Run", "BeamSpotObjects"),
            (CMS_LIKE_TAGS["time"], "Time", "BeamSpotObjects"),
        ]
        for name, time_type, object_type in tags:
            row = [name, time_type, object_type, "any", -1, "New Tag", 0, _text(T0), _text(T0)]
            if protection_code:
                row.append(0)
            con.execute(f"INSERT INTO TAG VALUES ({', '.join('?' * len(row))})", row)
            con.execute(
                "INSERT INTO TAG_LOG VALUES (?, ?, 'tester', 'host.example.org', "
                "'cmsRun createDB.py', 'New tag created.', '-')",
                (name, _text(T0)),
            )
            if protection_code:
                con.execute("INSERT INTO TAG_AUTHORIZATION VALUES (?, 0, 'cms', 0)", (name,))
        iovs = [
            (CMS_LIKE_TAGS["jer"], 1, hashes["jer"]),
            (CMS_LIKE_TAGS["run"], 1, hashes["x=0.1"]),
            (CMS_LIKE_TAGS["run"], 380000, hashes["x=0.2"]),
            (CMS_LIKE_TAGS["run"], 381000, hashes["x=0.3"]),
            (CMS_LIKE_TAGS["time"], datetime_to_since(dt.datetime(2024, 1, 1)), hashes["x=0.1"]),
            (CMS_LIKE_TAGS["time"], FAR_SINCE, hashes["x=0.3"]),
            (CMS_LIKE_TAGS["time"], datetime_to_since(dt.datetime(2024, 6, 1)), hashes["x=0.2"]),
        ]
        for i, (name, since, digest) in enumerate(iovs):
            inserted = T0 + dt.timedelta(seconds=i)
            con.execute(
                "INSERT INTO IOV VALUES (?, ?, ?, ?)",
                (name, _signed(since), digest, _text(inserted)),
            )
        con.executemany(
            "INSERT INTO coral_sqlite_fk VALUES (?, ?, ?)",
            [("IOV_TAG_NAME_FK", None, "IOV"), ("IOV_PAYLOAD_HASH_FK", None, "IOV")],
        )
        if global_tag:
            con.execute(
                "INSERT INTO GLOBAL_TAG VALUES ('GT_cms', 0, '', 'CMSSW_14_0_0', ?, ?)",
                (_text(T0 + dt.timedelta(days=1)), _text(T0)),
            )
            con.execute(
                "INSERT INTO GLOBAL_TAG_MAP VALUES ('GT_cms', 'BeamSpotObjectsRcd', '', ?)",
                (CMS_LIKE_TAGS["run"],),
            )
    con.close()
    return hashes


def real_cms_config(folder: Path) -> Path:
    """A configuration with one alias per real file (named by its stem), written in ``folder``."""
    path = folder / "real.toml"
    path.write_text(
        "".join(f'[databases.{f.stem}]\npath = "{f.resolve()}"\n\n' for f in REAL_CMS_FILES)
    )
    return path
