"""Database rows into the conditions model: tags, payloads, runs and IOV lists.

What a query returns, as :mod:`inspector.conddb.models` objects; IOV lists
straight into numpy arrays (no Python object per IOV kept).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    Connection,
    func,
    select,
)

from inspector.conddb import schema as s
from inspector.conddb.models import (
    Iov,
    IovList,
    Payload,
    Tag,
)
from inspector.conddb.runs import RunInfo
from inspector.conddb.schema import to_unsigned
from inspector.conddb.timetypes import TimeType

__all__ = [
    "as_datetime",
    "iov_before",
    "iov_list",
    "optional_datetime",
    "payload_row",
    "run_row",
    "tag_row",
    "unsigned_array",
]


def as_datetime(value: Any) -> dt.datetime:
    """A datetime column or aggregate: SQLite may return ``max()`` of dates as text."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def optional_datetime(value: Any) -> dt.datetime | None:
    return None if value is None else as_datetime(value)


def run_row(row: Any) -> RunInfo:
    """A ``(run_number, start_time, end_time, fill_number)`` row."""
    fill = row[3]
    return RunInfo(
        int(row[0]),
        as_datetime(row[1]),
        as_datetime(row[2]),
        None if fill is None else int(fill),
    )


def iov_before(
    conn: Connection, tag: Tag, since: int | None, snapshot: dt.datetime | None
) -> Iov | None:
    """The IOV of ``tag`` valid at ``since`` (``None``: the newest), as seen at ``snapshot``."""
    v = s.iov.c
    base: list[Any] = [v.tag_name == tag.name]
    if snapshot is not None:
        base.append(v.insertion_time <= snapshot)
    at = [v.since <= since] if since is not None else []
    query = (
        select(v.since, v.insertion_time, v.payload_hash)
        .where(*base, *at)
        .order_by(v.since.desc(), v.insertion_time.desc(), v.payload_hash.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    found = int(row[0])
    nxt = conn.scalar(select(func.min(v.since)).where(*base, v.since > found))
    until = tag.end if nxt is None else int(nxt)
    return Iov(found, until, str(row[2]), as_datetime(row[1]))


def payload_row(m: Any) -> Payload:
    return Payload(
        hash=m["hash"],
        object_type=m["object_type"],
        version=str(m["version"]),
        data=bytes(m["data"]),
        streamer_info=bytes(m["streamer_info"] or b""),
        insertion_time=m["insertion_time"],
    )


def tag_row(m: Any) -> Tag:
    return Tag(
        name=m["name"],
        time_type=TimeType.parse(m["time_type"]),
        object_type=m["object_type"],
        synchronization=m["synchronization"],
        end_of_validity=int(m["end_of_validity"]),
        description=m["description"],
        last_validated_time=int(m["last_validated_time"]),
        insertion_time=m["insertion_time"],
        modification_time=m["modification_time"],
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


def iov_list(tag: Tag, rows: Sequence[Any], end: int, snapshot: dt.datetime | None) -> IovList:
    """Keep the latest insertion per since: rows come sorted by since, then insertion
    time and hash ascending, so it is the last row of each since."""
    since = unsigned_array([r[0] for r in rows])
    if since.size > 1 and bool(np.any(since[1:] < since[:-1])):
        # SQLite sorted sinces from 2**63 up, stored negative, first: put them
        # last (a stable sort keeps the insertion order within a since).
        order = np.argsort(since, kind="stable")
        since, rows = since[order], [rows[int(i)] for i in order]
    keep = np.ones(since.size, dtype=bool)
    keep[:-1] = since[:-1] != since[1:]
    idx = np.flatnonzero(keep)
    since = since[idx]
    until = np.empty_like(since)
    until[:-1] = since[1:]
    if until.size:
        until[-1] = np.uint64(end)
    kept = [rows[int(i)] for i in idx]
    hashes = np.array([r[2] for r in kept], dtype="<U40")
    times = np.array([r[1] for r in kept], dtype="datetime64[us]")  # str or datetime
    return IovList(tag.name, tag.time_type, since, until, hashes, times, snapshot)
