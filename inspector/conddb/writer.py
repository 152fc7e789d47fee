"""Writing conditions databases: the demo builder, the tests, and payloads of your own type.

The server never writes: it opens databases read-only.  A writer creates the
CondDB v2 tables and inserts tags, payloads (hashed as CondDB does: sha1 of
object type and data), IOVs, global tags and runs, each in the transaction
of the connection it is given::

    from inspector.conddb import ConditionsWriter

    with ConditionsWriter.create_sqlite(Path("mine.sqlite"), schemas=registry) as writer:
        with writer.begin() as conn:
            writer.add_tag(conn, "MyCalib_v1", time_type="Run", object_type="MyCalib")
            first = writer.add_payload(conn, "MyCalib", {"gains": [1.0, 1.1]})
            writer.add_iovs(conn, "MyCalib_v1", [(1, first)])

:meth:`ConditionsWriter.add_payload` takes the blob itself or the values of
a registered layout, which it encodes: a CMSSW archive layout as CMSSW
writes the payload (PAYLOAD.VERSION ``dummy``, a STREAMER_INFO naming the
release and its boost version), a flat layout with its version number.
``docs/payload-schemas.md`` ("Writing payloads of your own type") gives the
values each C++ type takes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, insert, select

from inspector.conddb import schema as s
from inspector.conddb.timetypes import TimeType, datetime_to_since, parse_since
from inspector.errors import InspectorError, PayloadEncodeError
from inspector.payload import (
    ArchiveLayout,
    Layout,
    PayloadSchema,
    SchemaRegistry,
    encode,
    streamer_info_text,
)
from inspector.payload.archive.writer import DEFAULT_LIBRARY_VERSION

__all__ = [
    "BOOST_VERSIONS",
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_RELEASE",
    "ConditionsWriter",
    "payload_hash",
]

#: What :meth:`ConditionsWriter.add_payload` says wrote an archive payload, by default.
DEFAULT_RELEASE: Final = "CMSSW_13_0_17"
DEFAULT_ARCHITECTURE: Final = "el8_amd64_gcc11"
#: boost library version (the archive header) → boost release, as real CMS files pair them
BOOST_VERSIONS: Final = {11: "1_57", 14: "1_63", 19: "1_78"}

#: A ``since``: the stored integer, its text form (``run:ls``, an ISO date-time), or a time.
Since = int | str | dt.datetime


def payload_hash(object_type: str, data: bytes) -> str:
    """The CondDB payload hash: sha1 hex of the object type then the data."""
    digest = hashlib.sha1(object_type.encode("utf-8"), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


def _now() -> dt.datetime:
    """The current UTC time, naive, as the CondDB tables hold times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ConditionsWriter:
    """Creates and fills a conditions database (see the module docstring).

    ``schemas`` is where :meth:`add_payload` finds the layout of an object
    type it is given values of; by default, every layout the installed
    plugins register (the built-in ones included).
    """

    def __init__(self, engine: Engine, *, schemas: SchemaRegistry | None = None) -> None:
        self.engine = engine
        self._schemas = schemas

    @classmethod
    def create_sqlite(
        cls, path: Path, *, schemas: SchemaRegistry | None = None
    ) -> ConditionsWriter:
        """A new, empty SQLite conditions database at ``path`` (the CMS CondDB v2 tables)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls.create(f"sqlite:///{path}", schemas=schemas)

    @classmethod
    def create(cls, url: str, *, schemas: SchemaRegistry | None = None) -> ConditionsWriter:
        """Create the CondDB v2 tables (if absent) in the database at ``url``."""
        engine = create_engine(url)
        s.metadata.create_all(engine)
        return cls(engine, schemas=schemas)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> ConditionsWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def begin(self) -> Any:
        """A connection in a transaction: ``with writer.begin() as conn:`` commits at the end."""
        return self.engine.begin()

    @property
    def schemas(self) -> SchemaRegistry:
        """The layouts :meth:`add_payload` encodes with (loaded on first use)."""
        if self._schemas is None:
            from inspector.plugin import load_plugins

            self._schemas = load_plugins().schemas
        return self._schemas

    def add_tag(
        self,
        conn: Connection,
        name: str,
        *,
        time_type: TimeType | str,
        object_type: str,
        synchronization: str = "any",
        description: str = "",
        end_of_validity: int = 0,
        insertion_time: dt.datetime | None = None,
    ) -> None:
        """Insert one tag (``time_type``: ``Run``, ``Lumi``, ``Time`` or ``Hash``)."""
        when = insertion_time or _now()
        kind = time_type if isinstance(time_type, TimeType) else TimeType.parse(time_type)
        conn.execute(
            insert(s.tag).values(
                name=name,
                time_type=kind.value,
                object_type=object_type,
                synchronization=synchronization,
                end_of_validity=end_of_validity,
                description=description,
                last_validated_time=0,
                insertion_time=when,
                modification_time=when,
            )
        )

    def add_payload(
        self,
        conn: Connection,
        object_type: str,
        data: bytes | Mapping[str, Any],
        *,
        version: str | None = None,
        insertion_time: dt.datetime | None = None,
        streamer_info: bytes | str | None = None,
        layout: Layout | None = None,
        library_version: int = DEFAULT_LIBRARY_VERSION,
        release: str = DEFAULT_RELEASE,
        architecture: str = DEFAULT_ARCHITECTURE,
    ) -> str:
        """Insert a payload unless its hash exists; return the hash.

        ``data`` is the blob, or the values of the layout of ``object_type``
        (``layout``, else the one :attr:`schemas` holds), which are encoded
        here.  What is left out is filled in as the payload's writer would:
        for an archive layout, VERSION ``dummy`` and the STREAMER_INFO of
        ``release`` / ``architecture`` with the boost of ``library_version``
        (:data:`BOOST_VERSIONS`), which also goes into the archive header;
        for a flat layout, its version number.
        """
        if layout is None and (not isinstance(data, bytes) or version is None):
            layout = self._layout(object_type, data)
        if layout is not None and layout.object_type != object_type:
            raise PayloadEncodeError(
                f"the layout given is that of {layout.object_type}, not of {object_type}"
            )
        if not isinstance(data, bytes):
            assert layout is not None
            data = encode(layout, data, library_version=library_version)
        if version is None:
            assert layout is not None  # looked up above
            version = "dummy" if isinstance(layout, ArchiveLayout) else str(layout.version)
        if streamer_info is None:
            streamer_info = (
                b""  # bytes of an unknown layout: nothing to say
                if layout is None
                else self._streamer_info(layout, library_version, release, architecture)
            )
        info = streamer_info.encode("utf-8") if isinstance(streamer_info, str) else streamer_info
        digest = payload_hash(object_type, data)
        exists = conn.scalar(select(s.payload.c.hash).where(s.payload.c.hash == digest))
        if exists is None:
            conn.execute(
                insert(s.payload).values(
                    hash=digest,
                    object_type=object_type,
                    data=data,
                    streamer_info=info,
                    version=version,
                    insertion_time=insertion_time or _now(),
                )
            )
        return digest

    def _layout(self, object_type: str, data: bytes | Mapping[str, Any]) -> Layout:
        try:
            return self.schemas.get(object_type)
        except InspectorError:
            if isinstance(data, bytes):
                raise PayloadEncodeError(
                    f"no layout of {object_type} is registered: give the payload's version= "
                    "(and streamer_info=) with its bytes"
                ) from None
            raise PayloadEncodeError(
                f"no layout of {object_type} is registered to encode its values: pass layout=, "
                "or writer schemas= holding it (SchemaRegistry.add_document / load_directory)"
            ) from None

    @staticmethod
    def _streamer_info(
        layout: Layout, library_version: int, release: str, architecture: str
    ) -> bytes:
        if isinstance(layout, PayloadSchema):
            return json.dumps({"schema": f"{layout.object_type}.v{layout.version}"}).encode()
        if library_version not in BOOST_VERSIONS:
            known = ", ".join(f"{k} (boost {v})" for k, v in sorted(BOOST_VERSIONS.items()))
            raise PayloadEncodeError(
                f"boost library version {library_version} is not one CMSSW is known to write "
                f"({known}): give streamer_info= yourself"
            )
        return streamer_info_text(release, architecture, BOOST_VERSIONS[library_version])

    def add_iovs(
        self,
        conn: Connection,
        tag_name: str,
        rows: Iterable[tuple[Since, str] | tuple[Since, str, dt.datetime]],
    ) -> int:
        """Insert ``(since, payload_hash[, insertion_time])`` rows; return how many.

        A since is the stored integer, or for the tag's time type its text
        (``"380000:12"`` for Lumi, an ISO date-time for Time) or a datetime
        (Time tags).  Rows without a time are inserted now.
        """
        values = []
        time_type: TimeType | None = None
        now = _now()
        for row in rows:
            since, digest, *rest = row
            when = rest[0] if rest else now
            if isinstance(since, dt.datetime):
                since = datetime_to_since(since)
            elif isinstance(since, str):
                time_type = time_type or self._time_type(conn, tag_name)
                since = parse_since(since, time_type)
            values.append(
                {
                    "tag_name": tag_name,
                    "since": since,
                    "payload_hash": digest,
                    "insertion_time": when,
                }
            )
        if values:
            conn.execute(insert(s.iov), values)
        return len(values)

    @staticmethod
    def _time_type(conn: Connection, tag_name: str) -> TimeType:
        stored = conn.scalar(select(s.tag.c.time_type).where(s.tag.c.name == tag_name))
        if stored is None:
            raise PayloadEncodeError(f"tag {tag_name!r} does not exist: add it before its IOVs")
        return TimeType.parse(str(stored))

    def add_global_tag(
        self,
        conn: Connection,
        name: str,
        entries: Sequence[tuple[str, str, str]],
        *,
        description: str = "",
        release: str = "",
        insertion_time: dt.datetime | None = None,
        snapshot_time: dt.datetime | None = None,
    ) -> None:
        """Insert a global tag and its ``(record, label, tag)`` entries."""
        when = insertion_time or _now()
        conn.execute(
            insert(s.global_tag).values(
                name=name,
                validity=0,
                description=description,
                release=release,
                insertion_time=when,
                snapshot_time=snapshot_time or when,
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
