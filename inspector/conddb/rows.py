"""Database rows into the conditions model: tags, payloads, runs and IOV lists.

What a query returns, as :mod:`inspector.conddb.models` objects; IOV lists
straight into numpy arrays (no Python object per IOV kept).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    Connection,
    func,
    select,
)

from inspector.conddb import schema as s
from inspector.conddb.iov_columns import IovColumns
from inspector.conddb.models import (
    Iov,
    IovList,
    Payload,
    Tag,
)
from inspector.conddb.runs import RunInfo
from inspector.conddb.timetypes import TimeType
from inspector.distinct import distinct_codes

__all__ = [
    "as_datetime",
    "iov_before",
    "iov_list",
    "optional_datetime",
    "payload_row",
    "run_row",
    "tag_row",
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


def iov_list(tag: Tag, rows: IovColumns, end: int, snapshot: dt.datetime | None) -> IovList:
    """One IOV per since: its latest insertion (ties: the highest hash), all in numpy.

    The rows are put in (since, insertion time, hash) order first, unless
    they came so (checked: SQLite sorts sinces from 2**63 up, stored
    negative, first, and promises no order to an aggregate); then the last
    row of each since is kept.
    """
    since, inserted, hashes = rows.since, rows.inserted, rows.hashes
    if not _in_order(since, inserted, hashes):
        order = np.lexsort((hashes, inserted, since))
        since, inserted, hashes = since[order], inserted[order], hashes[order]
    keep = np.ones(since.size, dtype=bool)
    keep[:-1] = since[:-1] != since[1:]
    if not bool(keep.all()):
        since, inserted, hashes = since[keep], inserted[keep], hashes[keep]
    until = np.empty_like(since)
    until[:-1] = since[1:]
    if until.size:
        until[-1] = np.uint64(end)
    distinct, codes = distinct_codes(hashes)
    return IovList(
        tag.name,
        tag.time_type,
        since,
        until,
        distinct.astype(np.str_),
        codes,
        inserted.astype("datetime64[us]", copy=False),
        snapshot,
    )


def _in_order(
    since: npt.NDArray[np.uint64], inserted: npt.NDArray[np.datetime64], hashes: npt.NDArray[Any]
) -> bool:
    """Whether rows are sorted by since, then insertion time, then hash.

    One pass over the sinces; the (rare) rows sharing a since are checked
    on their insertion time and hash.
    """
    if since.size < 2:
        return True
    step = since[1:] >= since[:-1]
    if not bool(step.all()):
        return False
    tie = np.flatnonzero(since[1:] == since[:-1])
    if tie.size == 0:
        return True
    t0, t1, h0, h1 = inserted[tie], inserted[tie + 1], hashes[tie], hashes[tie + 1]
    return bool(np.all((t1 > t0) | ((t1 == t0) & (h1 >= h0))))
