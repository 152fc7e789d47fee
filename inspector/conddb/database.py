"""Read access to one conditions database, whatever its backend.

:class:`ConditionsDB` wraps a SQLAlchemy engine and answers the questions the
rest of the product asks (tags, IOVs, payloads, global tags, runs).  It knows
nothing of HTTP.  SQLite files are opened read-only (``mode=ro``), so no code
path of a reader can change a conditions database.

Engines come from :mod:`inspector.conddb.engines` (read-only on every
backend, outages end in :class:`~inspector.errors.DatabaseUnavailable`);
the queries here are plain SQLAlchemy Core and compile for SQLite,
PostgreSQL and Oracle alike.  A configured schema owner is applied by the
engine (``schema_translate_map``), so every query reads ``OWNER.TABLE``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    event,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from inspector.conddb import schema as s
from inspector.conddb.engines import reader_engine, table_owner
from inspector.conddb.iov_columns import fetch_iov_columns
from inspector.conddb.models import (
    GlobalTag,
    GlobalTagEntry,
    Iov,
    IovList,
    Page,
    Tag,
)
from inspector.conddb.payload_queries import PayloadQueries
from inspector.conddb.rows import (
    iov_before,
    iov_list,
    tag_row,
)
from inspector.conddb.run_queries import RunQueries
from inspector.conddb.timetypes import TimeType
from inspector.database_config import DatabaseConfig
from inspector.errors import DatabaseUnavailable, InvalidParameter, NotFound

__all__ = ["OPTIONAL_TABLES", "ConditionsDB", "open_database"]

#: Columns tags can be sorted by (``search_tags(sort=...)``; ``-`` for descending).
TAG_SORT_KEYS: Final = ("name", "insertion_time", "modification_time", "object_type", "time_type")
_REQUIRED_TABLES: Final = frozenset({"tag", "iov", "payload"})
#: Tables read when present: CMS files often have neither (see :meth:`ConditionsDB.tables`).
OPTIONAL_TABLES: Final = frozenset({s.run_info.name, s.run_fill.name})
#: Where an IOV query's since bounds stop on SQLite, whose INTEGER is signed 64-bit.
_SQLITE_MAX: Final = (1 << 63) - 1
#: Longest name pattern: SQLite refuses LIKE patterns over 50,000 bytes with
#: an error that is not the user's to see, and no tag name is this long.
MAX_PATTERN_LENGTH: Final = 500


def open_database(config: DatabaseConfig) -> ConditionsDB:
    """Open the database of a configured alias for reading."""
    path = config.sqlite_path
    engine = reader_engine(config)
    location = str(path) if path else engine.url.render_as_string(hide_password=True)
    owner = table_owner(engine, config.schema)
    return ConditionsDB(
        config.alias, engine, location=location, schema=owner, secret=config.password
    )


def _like_pattern(pattern: str) -> str:
    """Glob (``*``, ``?``) or substring → SQL LIKE with ``\\`` as escape."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidParameter("pattern", f"longer than {MAX_PATTERN_LENGTH} characters")
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" in pattern or "?" in pattern:
        return escaped.replace("*", "%").replace("?", "_")
    return f"%{escaped}%"


def _tag_order(sort: str) -> list[Any]:
    """ORDER BY clauses for a tag ``sort`` key; unknown keys name the choices."""
    key = sort.removeprefix("-")
    if key not in TAG_SORT_KEYS:
        choices = ", ".join(f"{k}, -{k}" for k in TAG_SORT_KEYS)
        raise InvalidParameter("sort", f"{sort!r} is not one of {choices}")
    column = s.tag.c[key]
    first = column.desc() if sort.startswith("-") else column.asc()
    return [first] if key == "name" else [first, s.tag.c.name.asc()]


class ConditionsDB(PayloadQueries, RunQueries):
    """Queries over one conditions database (see the module docstring)."""

    def __init__(
        self,
        alias: str,
        engine: Engine,
        *,
        location: str = "",
        schema: str | None = None,
        secret: Callable[[], str | None] | None = None,
    ) -> None:
        self.alias = alias
        self.engine = engine
        #: Where the data lives, safe to show (file path, or URL without password).
        self.location = location or engine.url.render_as_string(hide_password=True)
        #: Owner of the tables (the engine maps unqualified tables to it), or ``None``.
        self.schema = schema
        self._secret = secret
        self._tables: frozenset[str] | None = None
        event.listen(engine, "connect", self._forget_tables)

    def __repr__(self) -> str:
        return f"ConditionsDB({self.alias!r}, {self.location!r})"

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                if self._tables is None:
                    self._tables = self._read_tables(conn)
                yield conn
        except DBAPIError as exc:
            # Refused, dropped or timed-out connections, bad logins, files that
            # are not databases: all outages to retry, never a 500.
            lost = isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated
            if lost or isinstance(exc.orig, sqlite3.DatabaseError):
                raise self._unavailable(exc.orig) from None
            raise
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, cause: object) -> DatabaseUnavailable:
        """The outage error, its text scrubbed of the password should a driver echo it."""
        text = str(cause)
        secret = self._secret() if self._secret is not None else None
        if secret:
            text = text.replace(secret, "***")
        return DatabaseUnavailable(
            f"database {self.alias!r} is unavailable: {text}", alias=self.alias
        )

    def _read_tables(self, conn: Connection) -> frozenset[str]:
        """The tables of the database (lower case); the required ones must be there.

        One catalogue query (SQLAlchemy's inspector: ``sqlite_master``,
        ``information_schema``/``pg_catalog``, ``ALL_TABLES`` for the owner).
        """
        names = frozenset(n.lower() for n in inspect(conn).get_table_names(schema=self.schema))
        missing = _REQUIRED_TABLES - names
        if missing:
            raise DatabaseUnavailable(
                f"database {self.alias!r} is not a conditions database "
                f"(missing table(s) {', '.join(sorted(missing))})",
                alias=self.alias,
            )
        return names

    def _forget_tables(self, *_: Any) -> None:
        """A new connection may read another file (the old one was replaced,
        perhaps by one with or without an optional table): look again."""
        self._tables = None

    def _has(self, conn: Connection, *names: str) -> bool:
        """Whether every table of ``names`` exists (on the cached table list)."""
        tables = self._tables if self._tables is not None else self._read_tables(conn)
        return all(n in tables for n in names)

    def tables(self) -> frozenset[str]:
        """Names (lower case) of every table of the database, looked up once.

        The list is read with the first connection and kept until the engine
        opens a new one, so optional tables (:data:`OPTIONAL_TABLES`) are
        detected once per database rather than by failing queries.
        """
        with self._connect() as conn:
            return self._tables if self._tables is not None else self._read_tables(conn)

    def has_runs(self) -> bool:
        """Whether the database has run information (a ``RUN_INFO`` table).

        CMS SQLite files made for analyses have none: then every run query
        answers as for an empty table (no runs, no fills, no run times).
        """
        return s.run_info.name in self.tables()

    def _since_bound(self, value: int) -> int:
        """A since bound the backend takes: SQLite stops at 2**63 - 1.

        Every non-negative SQLite value is below it, so the answer is the
        same; PostgreSQL and Oracle hold the full unsigned range.
        """
        return min(value, _SQLITE_MAX) if self.engine.dialect.name == "sqlite" else value

    # -- tags -----------------------------------------------------------------

    def search_tags(
        self,
        pattern: str | None = None,
        *,
        object_type: str | None = None,
        time_type: TimeType | str | None = None,
        page: int = 1,
        page_size: int = 50,
        sort: str = "name",
    ) -> Page[Tag]:
        """Tags whose name matches ``pattern`` (glob or substring, any case).

        ``sort`` is a column of :data:`TAG_SORT_KEYS`, ``-`` first for
        descending.  The database sorts (then pages), so page 2 of a sorted
        listing continues page 1 whatever the backend; ties fall back to the
        name, so the order is total and pages never overlap.
        """
        Page.check(page, page_size)
        order = _tag_order(sort)
        conds: list[Any] = []
        if pattern:
            conds.append(func.lower(s.tag.c.name).like(_like_pattern(pattern.lower()), escape="\\"))
        if object_type:
            conds.append(s.tag.c.object_type == object_type)
        if time_type:
            tt = time_type if isinstance(time_type, TimeType) else TimeType.parse(time_type)
            conds.append(s.tag.c.time_type == tt.value)
        query = select(s.tag).where(*conds).order_by(*order)
        with self._connect() as conn:
            total = conn.scalar(select(func.count()).select_from(s.tag).where(*conds)) or 0
            rows = conn.execute(query.limit(page_size).offset((page - 1) * page_size))
            items = [tag_row(row._mapping) for row in rows]
        return Page(items, int(total), page, page_size)

    def tag(self, name: str) -> Tag:
        """One tag by exact name."""
        with self._connect() as conn:
            row = conn.execute(select(s.tag).where(s.tag.c.name == name)).first()
        if row is None:
            raise NotFound(f"tag {name!r} does not exist in database {self.alias!r}")
        return tag_row(row._mapping)

    def object_types(self) -> list[tuple[str, int]]:
        """Each payload type with its number of tags."""
        query = (
            select(s.tag.c.object_type, func.count())
            .group_by(s.tag.c.object_type)
            .order_by(s.tag.c.object_type)
        )
        with self._connect() as conn:
            return [(str(t), int(n)) for t, n in conn.execute(query)]

    # -- IOVs -----------------------------------------------------------------

    def iovs(
        self,
        tag_name: str,
        *,
        since: int | None = None,
        until: int | None = None,
        snapshot: dt.datetime | None = None,
    ) -> IovList:
        """IOVs of a tag that overlap ``[since, until]``, as seen at ``snapshot``.

        Rows inserted after ``snapshot`` are ignored; for equal ``since`` the
        latest insertion wins; an IOV lasts until the next ``since``.
        """
        tag = self.tag(tag_name)
        base, conds = self.iov_conditions(tag_name, since=since, until=until, snapshot=snapshot)
        with self._connect() as conn:
            rows = fetch_iov_columns(conn, conds)
            end = self._end_after(conn, tag, base, until)
        return iov_list(tag, rows, end, snapshot)

    def iov_conditions(
        self,
        tag_name: str,
        *,
        since: int | None = None,
        until: int | None = None,
        snapshot: dt.datetime | None = None,
    ) -> tuple[list[Any], list[Any]]:
        """The WHERE of :meth:`iovs`: (the tag at the snapshot, that and the range).

        The range starts at the IOV valid at ``since`` (its since may be earlier).
        """
        if since is not None and until is not None and until < since:
            raise InvalidParameter("until", f"{until} is before since {since}")
        base: list[Any] = [s.iov.c.tag_name == tag_name]
        if snapshot is not None:
            base.append(s.iov.c.insertion_time <= snapshot)
        conds = list(base)
        if since is not None:
            at = self._since_bound(since)
            start = select(func.max(s.iov.c.since)).where(*base, s.iov.c.since <= at)
            floor = literal(at, s.iov.c.since.type)  # typed: NUMERIC, not BIGINT, on PostgreSQL
            conds.append(s.iov.c.since >= func.coalesce(start.scalar_subquery(), floor))
        if until is not None:
            conds.append(s.iov.c.since <= self._since_bound(until))
        return base, conds

    def _end_after(self, conn: Connection, tag: Tag, base: list[Any], until: int | None) -> int:
        """Where the last returned IOV ends: the next since beyond the range."""
        if until is None:
            return tag.end
        after = s.iov.c.since > self._since_bound(until)
        nxt = conn.scalar(select(func.min(s.iov.c.since)).where(*base, after))
        return tag.end if nxt is None else int(nxt)

    # -- global tags ----------------------------------------------------------

    def global_tags(
        self, pattern: str | None = None, *, page: int = 1, page_size: int = 50
    ) -> Page[GlobalTag]:
        """Global tags whose name matches ``pattern``, newest (last inserted) first.

        Newest first because the question asked of a list of global tags is
        almost always "which is the current one".
        """
        Page.check(page, page_size)
        conds: list[Any] = []
        if pattern:
            like = _like_pattern(pattern.lower())
            conds.append(func.lower(s.global_tag.c.name).like(like, escape="\\"))
        query: Select[Any] = (
            select(s.global_tag)
            .where(*conds)
            .order_by(s.global_tag.c.insertion_time.desc(), s.global_tag.c.name)
        )
        with self._connect() as conn:
            total = conn.scalar(select(func.count()).select_from(s.global_tag).where(*conds)) or 0
            rows = conn.execute(query.limit(page_size).offset((page - 1) * page_size))
            items = [GlobalTag(**row._mapping) for row in rows]
        return Page(items, int(total), page, page_size)

    def global_tag(self, name: str) -> GlobalTag:
        """One global tag by exact name."""
        with self._connect() as conn:
            row = conn.execute(select(s.global_tag).where(s.global_tag.c.name == name)).first()
        if row is None:
            raise NotFound(f"global tag {name!r} does not exist in database {self.alias!r}")
        return GlobalTag(**row._mapping)

    def global_tag_map(self, name: str) -> list[GlobalTagEntry]:
        """The (record, label) → tag entries of a global tag, by record."""
        self.global_tag(name)
        m = s.global_tag_map
        query = (
            select(m.c.record, m.c.label, m.c.tag_name)
            .where(m.c.global_tag_name == name)
            .order_by(m.c.record, m.c.label)
        )
        with self._connect() as conn:
            return [GlobalTagEntry(*row) for row in conn.execute(query)]

    # -- newest and covering IOVs ---------------------------------------------

    def newest_iov(self, tag: Tag, *, snapshot: dt.datetime | None = None) -> Iov | None:
        """The IOV with the largest ``since`` as seen at ``snapshot`` (``None``: no IOV)."""
        return self.iovs_at([(tag, None)], snapshot=snapshot)[0]

    def first_since(self, tag: Tag, *, snapshot: dt.datetime | None = None) -> int | None:
        """The smallest ``since`` of ``tag`` as seen at ``snapshot`` (``None``: no IOV).

        What ``until=first`` means (a range ending at the first IOV), in one
        indexed query rather than listing the tag.
        """
        query = select(func.min(s.iov.c.since)).where(s.iov.c.tag_name == tag.name)
        if snapshot is not None:
            query = query.where(s.iov.c.insertion_time <= snapshot)
        with self._connect() as conn:
            value = conn.scalar(query)
        return None if value is None else int(value)

    def iov_at(self, tag: Tag, since: int, *, snapshot: dt.datetime | None = None) -> Iov | None:
        """The IOV of ``tag`` valid at ``since`` as seen at ``snapshot``, or ``None``."""
        return self.iovs_at([(tag, since)], snapshot=snapshot)[0]

    def iovs_at(
        self, points: Sequence[tuple[Tag, int | None]], *, snapshot: dt.datetime | None = None
    ) -> list[Iov | None]:
        """For each ``(tag, since)``, the IOV valid there (``since`` ``None``: the newest).

        Two indexed queries per point (the latest ``since`` not after it with
        its latest insertion, then the next ``since``) on one connection,
        instead of listing the tags: what a poller of run readiness needs to
        stay fast.  Past a tag's end of validity nothing is valid.
        """
        with self._connect() as conn:
            return [
                None
                if since is not None and since >= tag.end
                else iov_before(
                    conn, tag, None if since is None else self._since_bound(since), snapshot
                )
                for tag, since in points
            ]

    def since_span(
        self, tag: Tag, *, snapshot: dt.datetime | None = None
    ) -> tuple[int, int] | None:
        """The smallest and largest ``since`` of ``tag`` as seen at ``snapshot`` (``None``: no IOV).

        Read once, however many runs are then judged against it: what run
        readiness across many runs needs (an IOV lasts until the next since,
        so a tag covers every point from its first since on).  Two walks of
        the (tag, since) index from either end, each stopping at the first
        IOV the snapshot sees: ``min``/``max`` with the snapshot condition
        read every IOV of the tag instead (34 ms for five 20,000-IOV tags in
        ``benchmarks/bench_readiness.py``).
        """
        v = s.iov.c
        conds: list[Any] = [v.tag_name == tag.name]
        if snapshot is not None:
            conds.append(v.insertion_time <= snapshot)
        query = select(v.since).where(*conds).limit(1)
        with self._connect() as conn:
            first = conn.execute(query.order_by(v.since)).scalar()
            if first is None:
                return None
            newest = conn.execute(query.order_by(v.since.desc())).scalar_one()
        return int(first), int(newest)

    def tags_named(self, names: Sequence[str]) -> dict[str, Tag]:
        """Several tags by exact name in one query; :class:`NotFound` names a missing one."""
        wanted = sorted(set(names))
        with self._connect() as conn:
            rows = conn.execute(select(s.tag).where(s.tag.c.name.in_(wanted)))
            found = {t.name: t for t in (tag_row(row._mapping) for row in rows)}
        for name in wanted:
            if name not in found:
                raise NotFound(f"tag {name!r} does not exist in database {self.alias!r}")
        return found

    def recent_global_tags(self, limit: int = 200) -> list[GlobalTag]:
        """The most recently inserted global tags, newest first (for choosers)."""
        return list(self.global_tags(page_size=limit).items)

    # -- overview -------------------------------------------------------------

    def summary(self) -> dict[str, int]:
        """Row counts of the CondDB tables plus the total payload bytes.

        Optional tables (:data:`OPTIONAL_TABLES`) the database lacks are left
        out rather than counted as empty.
        """
        counts: dict[str, int] = {}
        tables: Sequence[Any] = (
            s.tag,
            s.iov,
            s.payload,
            s.global_tag,
            s.global_tag_map,
            s.run_info,
            s.run_fill,
        )
        with self._connect() as conn:
            for table in tables:
                if table.name in OPTIONAL_TABLES and not self._has(conn, table.name):
                    continue
                counts[table.name] = int(conn.scalar(select(func.count()).select_from(table)) or 0)
            size = conn.scalar(select(func.sum(s.blob_length(s.payload.c.data))))
        counts["payload_bytes"] = int(size or 0)
        return counts
