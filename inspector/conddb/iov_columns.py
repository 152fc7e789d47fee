"""An IOV query's rows as three numpy columns, with no Python object per row.

A tag can hold millions of IOVs; a driver turning each row into a tuple of
Python objects spends seconds on what numpy reads in milliseconds.  So the
database packs each column of the query into *one* value, which numpy
decodes whole:

* **SQLite**: ``group_concat`` of since (decimal, read by
  ``numpy.fromstring``), of insertion time (ISO text, fixed width) and of
  payload hash (40 characters), each separated by commas.  The aggregates of
  one ``SELECT`` see the rows in the same order, so the three columns stay
  aligned; that order is the primary key's index order in practice, but
  SQLite 3.40 promises none (``ORDER BY`` inside an aggregate is 3.44), so
  :func:`inspector.conddb.rows.iov_list` checks it and sorts when needed.
* **PostgreSQL**: ``string_agg`` of ``int8send(since - 2**63)`` (NUMERIC(20)
  does not fit ``int8``; the shift does, and is undone with one XOR),
  ``array_send(array_agg(insertion_time))`` (the binary array: microseconds
  since 2000, no conversion per row on the server) and ``string_agg`` of the
  hashes, over a subquery in primary-key order.  One ``ORDER BY`` per
  aggregate would sort the rows once per column on PostgreSQL 15.
* **anything else** (Oracle): the rows, converted column by column.

A value that does not fit the packed form (a timestamp stored in another
width, a hash that is not 40 characters) sends the query down the row path,
which reads everything; so does a packed column past the backend's largest
value (SQLite's 1e9 bytes, PostgreSQL's 1 GiB: some 24 million IOVs).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Connection,
    LargeBinary,
    Numeric,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.exc import DBAPIError

from inspector.conddb import schema as s
from inspector.conddb.engines import LONG_RESULT
from inspector.conddb.schema import to_unsigned
from inspector.distinct import run_starts

__all__ = ["IovColumns", "fetch_iov_columns", "row_columns", "unsigned_array"]

#: Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's binary timestamp epoch.
_PG_EPOCH_US: Final = 946_684_800_000_000
#: Header of a one-dimensional array in PostgreSQL's binary form (array_send).
_PG_ARRAY_HEADER: Final = np.dtype([("ndim", ">i4"), ("nulls", ">i4"), ("oid", ">i4"),
                                    ("size", ">i4"), ("lower", ">i4")])  # fmt: skip
#: One int8 element of such an array: its length (8) then its value.
_PG_INT8_ITEM: Final = np.dtype([("length", ">i4"), ("value", ">i8")])
_SIGN: Final = np.uint64(1 << 63)
#: PostgreSQL's SQLSTATE for a string buffer past 1 GiB ("out of memory").
_PG_PROGRAM_LIMIT_EXCEEDED: Final = "54000"


@dataclass(frozen=True)
class IovColumns:
    """Every row an IOV query matched, as parallel columns (not yet one per since)."""

    since: npt.NDArray[np.uint64]
    inserted: npt.NDArray[np.datetime64]  # datetime64[us]
    hashes: npt.NDArray[Any]  # bytes (S40) from the packed paths, str from the row path

    def __len__(self) -> int:
        return int(self.since.size)


def fetch_iov_columns(conn: Connection, conds: Sequence[Any]) -> IovColumns:
    """Rows of IOV matching ``conds`` in columns, by the fastest path the backend has."""
    packed = {"sqlite": _sqlite_columns, "postgresql": _postgres_columns}.get(conn.dialect.name)
    columns = None
    if packed is not None:
        try:
            columns = packed(conn, conds)
        except DBAPIError as exc:
            if not _too_big(exc):
                raise
            conn.rollback()  # PostgreSQL: the failed transaction; the session stays read-only
    return columns if columns is not None else row_columns(conn, conds)


def _too_big(exc: DBAPIError) -> bool:
    """Whether a packed column outgrew the largest value the backend holds."""
    cause = exc.orig
    return (
        getattr(cause, "sqlite_errorname", None) == "SQLITE_TOOBIG"
        or getattr(cause, "sqlstate", None) == _PG_PROGRAM_LIMIT_EXCEEDED
    )


def unsigned_array(values: Sequence[Any]) -> npt.NDArray[np.uint64]:
    """Since-like values from the driver as uint64, whole column at once.

    SQLite gives 64-bit signed ints (CMSSW stores 2**63 and above negative):
    their bits are the unsigned value.  PostgreSQL and Oracle give exact
    decimals, up to 2**64 - 1; read one by one (``int``), as ``to_unsigned`` does.
    """
    try:
        return np.fromiter(values, dtype=np.int64, count=len(values)).view(np.uint64)
    except (TypeError, OverflowError, ValueError):
        return np.fromiter((to_unsigned(int(v)) for v in values), np.uint64, count=len(values))


def _sqlite_columns(conn: Connection, conds: Sequence[Any]) -> IovColumns | None:
    """One row of three ``group_concat`` values (see the module docstring); ``None``: not packable.

    No ``ORDER BY``: an ordered subquery costs SQLite half as much again as
    the scan, and :func:`~inspector.conddb.rows.iov_list` checks the order.
    """
    v = s.iov.c
    comma: Any = literal_column("','")
    query = select(
        func.count(),
        _blob(func.group_concat(type_coerce(v.since, BigInteger()), comma)),
        _blob(func.group_concat(s.timestamp_text(v.insertion_time), comma)),
        _blob(func.group_concat(v.payload_hash, comma)),
    ).where(*conds)
    n, since_text, time_text, hash_text = conn.execute(query).one()
    n = int(n)
    since = _decimal_ints(since_text or b"", n)
    times = _fixed_width(time_text or b"", n)
    hashes = _fixed_width(hash_text or b"", n, width=40)
    if since is None or times is None or hashes is None:
        return None
    inserted = _parse_iso(times)
    return None if inserted is None else IovColumns(since.view(np.uint64), inserted, hashes)


def _postgres_columns(conn: Connection, conds: Sequence[Any]) -> IovColumns | None:
    """One row of packed columns over a primary-key-ordered subquery; ``None``: not packable."""
    v = s.iov.c
    shifted = cast(type_coerce(v.since, Numeric()) - literal_column(str(1 << 63)), BigInteger())
    rows = (
        select(shifted.label("since"), v.insertion_time, v.payload_hash)
        .where(*conds)
        .order_by(v.since, v.insertion_time)  # the primary key's order: no sort step
        .subquery()
    )
    query = select(
        func.count(),
        func.string_agg(func.int8send(rows.c.since), literal_column("''")),
        func.array_send(func.array_agg(rows.c.insertion_time)),
        func.string_agg(rows.c.payload_hash, literal_column("','")),
    )
    n, since_bytes, time_bytes, hash_text = conn.execute(query).one()
    n = int(n)
    try:
        hash_bytes = (hash_text or "").encode("ascii")
    except UnicodeEncodeError:
        return None
    hashes = _fixed_width(hash_bytes, n, width=40)
    inserted = _pg_timestamps(bytes(time_bytes or b""), n)
    if hashes is None or inserted is None or len(since_bytes or b"") != 8 * n:
        return None
    since = np.frombuffer(bytes(since_bytes or b""), ">u8") ^ _SIGN
    return IovColumns(since.astype(np.uint64), inserted, hashes)


def row_columns(conn: Connection, conds: Sequence[Any]) -> IovColumns:
    """The general path: one row per IOV from the driver, then a column at a time."""
    v = s.iov.c
    query = (
        select(
            type_coerce(v.since, BigInteger()),
            s.timestamp_text(v.insertion_time).label("insertion_time"),
            v.payload_hash,
        )
        .where(*conds)
        .order_by(v.since, v.insertion_time, v.payload_hash)
    )
    rows = conn.execute(query.execution_options(**{LONG_RESULT: True})).all()
    return IovColumns(
        unsigned_array([r[0] for r in rows]),
        np.array([r[1] for r in rows], dtype="datetime64[us]"),  # ISO text or datetime
        np.array([str(r[2]) for r in rows], dtype=np.str_),
    )


def _blob(value: Any) -> Any:
    """An aggregate as bytes (SQLite: ``CAST(... AS BLOB)``), not decoded to ``str``."""
    return cast(value, LargeBinary())


def _decimal_ints(text: bytes, n: int) -> npt.NDArray[np.int64] | None:
    """``n`` comma-separated integers; ``None`` if the text holds anything else."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns (not raises) on text it cannot read
        try:
            values = np.fromstring(text, dtype=np.int64, sep=",")
        except (ValueError, DeprecationWarning):
            return None
    return values if values.size == n else None


def _fixed_width(text: bytes, n: int, width: int | None = None) -> npt.NDArray[np.bytes_] | None:
    """``n`` comma-separated values of one width, as a zero-copy ``S<width>`` view.

    ``None`` unless every value has that width (a comma every ``width + 1`` bytes).
    """
    if n == 0:
        return np.zeros(0, dtype="S1" if width is None else f"S{width}")
    step = (len(text) + 1) // n
    if step * n - 1 != len(text) or step < 2 or (width is not None and step != width + 1):
        return None
    raw = np.frombuffer(text, dtype=np.uint8)
    if not bool(np.all(raw[step - 1 :: step] == ord(","))):
        return None
    return np.ndarray((n,), dtype=f"S{step - 1}", buffer=text, strides=(step,))


def _parse_iso(text: npt.NDArray[np.bytes_]) -> npt.NDArray[np.datetime64] | None:
    """ISO timestamps to datetime64[us], parsing each run of equal values once."""
    starts = run_starts(text)
    try:
        parsed = text[starts].astype("datetime64[us]")
    except ValueError:
        return None
    return np.repeat(parsed, np.diff(np.r_[starts, text.size]))


def _pg_timestamps(data: bytes, n: int) -> npt.NDArray[np.datetime64] | None:
    """An ``array_send`` of ``n`` timestamps (int8 microseconds since 2000) as datetime64[us]."""
    if n == 0:
        return np.zeros(0, dtype="datetime64[us]")
    header_size = _PG_ARRAY_HEADER.itemsize
    if len(data) != header_size + n * _PG_INT8_ITEM.itemsize:
        return None
    header = np.frombuffer(data, _PG_ARRAY_HEADER, count=1)[0]
    items = np.frombuffer(data, _PG_INT8_ITEM, offset=header_size)
    if int(header["ndim"]) != 1 or int(header["size"]) != n or np.any(items["length"] != 8):
        return None
    return (items["value"].astype(np.int64) + _PG_EPOCH_US).view("datetime64[us]")
