"""Writing conditions databases: used by the demo builder and by tests only.

The server never imports this module; readers open databases read-only.  A
writer creates the CondDB v2 tables and inserts tags, payloads (hashed as
CondDB does: sha1 of object type and data), IOVs, global tags and runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert, select

from inspector.conddb import schema as s
from inspector.conddb.timetypes import TimeType

__all__ = ["ConditionsWriter", "payload_hash"]


def payload_hash(object_type: str, data: bytes) -> str:
    """The CondDB payload hash: sha1 hex of the object type then the data."""
    digest = hashlib.sha1(object_type.encode("utf-8"), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


class ConditionsWriter:
    """Creates and fills a conditions database (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def create_sqlite(cls, path: Path) -> ConditionsWriter:
        """A new, empty SQLite conditions database at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls.create(f"sqlite:///{path}")

    @classmethod
    def create(cls, url: str) -> ConditionsWriter:
        """Create the CondDB v2 tables (if absent) in the database at ``url``."""
        engine = create_engine(url)
        s.metadata.create_all(engine)
        return cls(engine)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def add_tag(
        self,
        conn: Connection,
        name: str,
        *,
        time_type: TimeType,
        object_type: str,
        synchronization: str = "any",
        description: str = "",
        end_of_validity: int = 0,
        insertion_time: dt.datetime,
    ) -> None:
        """Insert one tag."""
        conn.execute(
            insert(s.tag).values(
                name=name,
                time_type=time_type.value,
                object_type=object_type,
                synchronization=synchronization,
                end_of_validity=end_of_validity,
                description=description,
                last_validated_time=0,
                insertion_time=insertion_time,
                modification_time=insertion_time,
            )
        )

    def add_payload(
        self,
        conn: Connection,
        object_type: str,
        data: bytes,
        *,
        version: str,
        insertion_time: dt.datetime,
        streamer_info: bytes = b"",
    ) -> str:
        """Insert a payload unless its hash exists; return the hash."""
        digest = payload_hash(object_type, data)
        exists = conn.scalar(select(s.payload.c.hash).where(s.payload.c.hash == digest))
        if exists is None:
            conn.execute(
                insert(s.payload).values(
                    hash=digest,
                    object_type=object_type,
                    data=data,
                    streamer_info=streamer_info,
                    version=version,
                    insertion_time=insertion_time,
                )
            )
        return digest

    def add_iovs(
        self, conn: Connection, tag_name: str, rows: Iterable[tuple[int, str, dt.datetime]]
    ) -> int:
        """Insert ``(since, payload_hash, insertion_time)`` rows; return how many."""
        values = [
            {"tag_name": tag_name, "since": since, "payload_hash": h, "insertion_time": t}
            for since, h, t in rows
        ]
        if values:
            conn.execute(insert(s.iov), values)
        return len(values)

    def add_global_tag(
        self,
        conn: Connection,
        name: str,
        entries: Sequence[tuple[str, str, str]],
        *,
        description: str = "",
        release: str = "",
        insertion_time: dt.datetime,
        snapshot_time: dt.datetime | None = None,
    ) -> None:
        """Insert a global tag and its ``(record, label, tag)`` entries."""
        conn.execute(
            insert(s.global_tag).values(
                name=name,
                validity=0,
                description=description,
                release=release,
                insertion_time=insertion_time,
                snapshot_time=snapshot_time or insertion_time,
            )
        )
        rows: list[dict[str, Any]] = [
            {"global_tag_name": name, "record": rec, "label": label, "tag_name": tag}
            for rec, label, tag in entries
        ]
        conn.execute(insert(s.global_tag_map), rows)

    def add_runs(
        self, conn: Connection, runs: Iterable[tuple[int, dt.datetime, dt.datetime]]
    ) -> None:
        """Insert RUN_INFO rows ``(run_number, start_time, end_time)``."""
        rows = [{"run_number": r, "start_time": a, "end_time": b} for r, a, b in runs]
        if rows:
            conn.execute(insert(s.run_info), rows)

    def add_run_fills(self, conn: Connection, rows: Iterable[tuple[int, int]]) -> None:
        """Insert RUN_FILL rows ``(run_number, fill_number)`` (the optional fill table)."""
        values = [{"run_number": r, "fill_number": f} for r, f in rows]
        if values:
            conn.execute(insert(s.run_fill), values)
