"""SQLAlchemy Core tables of the CMS CondDB v2 schema.

Names are lower case on purpose: SQLAlchemy then emits them unquoted, so they
match the upper-case ``TAG``/``IOV``/... tables of CMS Oracle accounts and CMS
SQLite files (both case-insensitive for unquoted names) as well as lower-case
PostgreSQL tables.  Column names and meanings are those of CondDB v2.

Every ``since``-like number (IOV since, end of validity, last validated
time, global tag validity) is an *unsigned* 64-bit integer in CondDB: a
Time-type since is ``unix_seconds << 32``, which passes 2**63 in 2038, and
"forever" is 2**64 - 1.  :class:`UnsignedBigInteger` stores them as
``NUMERIC(20)`` on PostgreSQL and ``NUMBER(38)`` on Oracle (what CMS
accounts use), so every value round-trips exactly; SQLite keeps its
``BIGINT`` (signed 64-bit), so values from 2**63 up cannot be written there.
CMSSW writes them into SQLite all the same, as the signed number with the
same 64 bits: ``TAG.END_OF_VALIDITY`` "forever" is stored as -1.  Reading
turns every negative value back into its unsigned number (``v + 2**64``),
on every backend, so -1 reads as 2**64 - 1.

Payload sizes are measured with :class:`blob_length`, which each backend
spells its own way (Oracle's ``LENGTH`` does not take a BLOB).
``run_fill`` is not part of CondDB v2: an optional table of this product
mapping each run to its LHC fill.  Readers never require it (a CMS database
without it simply has no fill information); writers create it with the rest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

__all__ = [
    "UnsignedBigInteger",
    "blob_length",
    "global_tag",
    "global_tag_map",
    "iov",
    "metadata",
    "payload",
    "run_fill",
    "run_info",
    "tag",
    "timestamp_text",
    "to_unsigned",
]


class UnsignedBigInteger(TypeDecorator[int]):
    """An unsigned 64-bit CondDB number, exact on every backend (see the module docstring)."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``NUMERIC(20)`` (PostgreSQL) / ``NUMBER(38)`` (Oracle) hold all of 0 .. 2**64 - 1."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(20, 0))
        if dialect.name == "oracle":
            return dialect.type_descriptor(Numeric(38, 0))
        return dialect.type_descriptor(BigInteger())

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        """Python ``int`` whatever the driver returned (``Decimal`` for NUMERIC).

        A negative value is an unsigned one stored as a signed 64-bit integer
        (how CMSSW writes SQLite files: -1 is 2**64 - 1): its two's complement.
        """
        return None if value is None else to_unsigned(int(value))


#: 2**64: where a signed 64-bit value wraps round to its unsigned reading.
_WRAP = 1 << 64


def to_unsigned(value: int) -> int:
    """The unsigned 64-bit number whose bits the signed ``value`` holds (-1 → 2**64 - 1).

    The one conversion of every since-like column (since, end of validity,
    last validated time, validity); non-negative values are unchanged.
    """
    return value + _WRAP if value < 0 else value


class blob_length(FunctionElement[int]):
    """Size in bytes of a BLOB column: ``length``, ``octet_length`` or ``dbms_lob.getlength``."""

    type = BigInteger()
    name = "blob_length"
    inherit_cache = True


@compiles(blob_length)
def _blob_length(element: blob_length, compiler: SQLCompiler, **kw: Any) -> str:
    return f"length({compiler.process(element.clauses, **kw)})"


@compiles(blob_length, "postgresql")
def _blob_length_postgresql(element: blob_length, compiler: SQLCompiler, **kw: Any) -> str:
    return f"octet_length({compiler.process(element.clauses, **kw)})"


@compiles(blob_length, "oracle")
def _blob_length_oracle(element: blob_length, compiler: SQLCompiler, **kw: Any) -> str:
    return f"dbms_lob.getlength({compiler.process(element.clauses, **kw)})"


class timestamp_text(FunctionElement[str]):
    """A timestamp column as ISO text where that is cheap, for bulk conversion by numpy.

    SQLite already stores ISO text (read as is); PostgreSQL casts to text
    (ISO: sessions run with ``DateStyle=ISO``); other backends return their
    datetime objects unchanged.  Either way ``numpy.array(..., "datetime64[us]")``
    takes the values.
    """

    type = String()
    name = "timestamp_text"
    inherit_cache = True


@compiles(timestamp_text)
def _timestamp_text(element: timestamp_text, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(timestamp_text, "postgresql")
def _timestamp_text_postgresql(element: timestamp_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


metadata = MetaData()

tag = Table(
    "tag",
    metadata,
    Column("name", String(4000), primary_key=True),
    Column("time_type", String(4000), nullable=False),
    Column("object_type", String(4000), nullable=False),
    Column("synchronization", String(4000), nullable=False),
    Column("end_of_validity", UnsignedBigInteger, nullable=False),
    Column("description", String(4000), nullable=False),
    Column("last_validated_time", UnsignedBigInteger, nullable=False),
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
    Column("since", UnsignedBigInteger, primary_key=True),
    Column("insertion_time", DateTime, primary_key=True),
    Column("payload_hash", String(40), ForeignKey("payload.hash"), nullable=False),
)
Index("iov_payload_hash_idx", iov.c.payload_hash)

global_tag = Table(
    "global_tag",
    metadata,
    Column("name", String(4000), primary_key=True),
    Column("validity", UnsignedBigInteger, nullable=False),
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
