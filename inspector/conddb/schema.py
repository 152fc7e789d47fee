"""SQLAlchemy Core tables of the CMS CondDB v2 schema.

Names are lower case on purpose: SQLAlchemy then emits them unquoted, so they
match the upper-case ``TAG``/``IOV``/... tables of CMS Oracle accounts and CMS
SQLite files (both case-insensitive for unquoted names) as well as lower-case
PostgreSQL tables.  Column names and meanings are those of CondDB v2.

``run_fill`` is not part of CondDB v2: an optional table of this product
mapping each run to its LHC fill.  Readers never require it (a CMS database
without it simply has no fill information); writers create it with the rest.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

__all__ = [
    "global_tag",
    "global_tag_map",
    "iov",
    "metadata",
    "payload",
    "run_fill",
    "run_info",
    "tag",
]

metadata = MetaData()

tag = Table(
    "tag",
    metadata,
    Column("name", String(4000), primary_key=True),
    Column("time_type", String(4000), nullable=False),
    Column("object_type", String(4000), nullable=False),
    Column("synchronization", String(4000), nullable=False),
    Column("end_of_validity", BigInteger, nullable=False),
    Column("description", String(4000), nullable=False),
    Column("last_validated_time", BigInteger, nullable=False),
    Column("insertion_time", DateTime, nullable=False),
    Column("modification_time", DateTime, nullable=False),
)

payload = Table(
    "payload",
    metadata,
    Column("hash", String(40), primary_key=True),
    Column("object_type", String(4000), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("streamer_info", LargeBinary, nullable=False),
    Column("version", String(4000), nullable=False),
    Column("insertion_time", DateTime, nullable=False),
)

iov = Table(
    "iov",
    metadata,
    Column("tag_name", String(4000), ForeignKey("tag.name"), primary_key=True),
    Column("since", BigInteger, primary_key=True),
    Column("insertion_time", DateTime, primary_key=True),
    Column("payload_hash", String(40), ForeignKey("payload.hash"), nullable=False),
)
Index("iov_payload_hash_idx", iov.c.payload_hash)

global_tag = Table(
    "global_tag",
    metadata,
    Column("name", String(4000), primary_key=True),
    Column("validity", BigInteger, nullable=False),
    Column("description", String(4000), nullable=False),
    Column("release", String(4000), nullable=False),
    Column("insertion_time", DateTime, nullable=False),
    Column("snapshot_time", DateTime, nullable=False),
)

global_tag_map = Table(
    "global_tag_map",
    metadata,
    Column("global_tag_name", String(4000), ForeignKey("global_tag.name"), primary_key=True),
    Column("record", String(4000), primary_key=True),
    Column("label", String(4000), primary_key=True),
    Column("tag_name", String(4000), ForeignKey("tag.name"), nullable=False),
)

run_info = Table(
    "run_info",
    metadata,
    Column("run_number", Integer, primary_key=True),
    Column("start_time", DateTime, nullable=False),
    Column("end_time", DateTime, nullable=False),
)

#: Optional (not CondDB v2): the LHC fill of each run, e.g. copied from the
#: Run Registry.  A fill's span is that of its runs in ``run_info``.
run_fill = Table(
    "run_fill",
    metadata,
    Column("run_number", Integer, primary_key=True),
    Column("fill_number", Integer, nullable=False),
)
Index("run_fill_fill_number_idx", run_fill.c.fill_number)
