"""The notes database: the application's own, small, and never the conditions database.

SQLAlchemy Core over any URL (SQLite by default); tables are created on
first start and the schema version is recorded in ``inspector_meta``, so a
later version can migrate, and a newer database is refused rather than
misread.  ``inspector serve`` opens the store once in gunicorn's master,
before the workers fork, so the tables exist before any worker looks; and
creating them is idempotent anyway: several processes opening one new
database at the same moment (workers, two servers, tests) lose the race as
"table already exists" or a duplicate version row, and the loser simply
looks again (:data:`SCHEMA_ATTEMPTS`), finding what the winner created.

``since`` values are unsigned 64-bit numbers, which SQL integers (signed)
cannot all hold: they are stored as 20-digit zero-padded decimal
text, whose text order is their numeric order, so range filters still run
in the database.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from inspector.annotations.model import MAX_PLOT_LINK, MAX_TEXT, Annotation, NewAnnotation, Target
from inspector.errors import ConfigError, DatabaseUnavailable

__all__ = ["SCHEMA_VERSION", "AnnotationFilter", "AnnotationStore"]

SCHEMA_VERSION: Final = 1
#: Times a store tries to create or check the schema before giving up (see the docstring).
SCHEMA_ATTEMPTS: Final = 5
_SINCE_DIGITS: Final = 20

metadata = MetaData()
meta_table = Table(
    "inspector_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)
annotation_table = Table(
    "annotation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("db_alias", String(64), nullable=False),
    Column("tag_name", String(255), nullable=False),
    Column("target", String(8), nullable=False),
    Column("since_key", String(_SINCE_DIGITS), nullable=True),
    Column("plot_link", String(MAX_PLOT_LINK), nullable=True),
    Column("author", String(64), nullable=False),
    Column("text", String(MAX_TEXT * 4), nullable=False),
    Column("created", DateTime, nullable=False),
    Index("ix_annotation_tag", "db_alias", "tag_name", "since_key"),
)


def _since_key(since: int | None) -> str | None:
    return None if since is None else f"{since:0{_SINCE_DIGITS}d}"


class AnnotationFilter:
    """Which notes a listing asks for (every part optional); bounds are inclusive."""

    def __init__(
        self,
        *,
        db: str | None = None,
        tag: str | None = None,
        target: Target | None = None,
        since_min: int | None = None,
        since_max: int | None = None,
    ) -> None:
        self.db, self.tag, self.target = db, tag, target
        self.since_min, self.since_max = since_min, since_max

    def clauses(self) -> list[Any]:
        """SQL conditions of this filter."""
        c = annotation_table.c
        out: list[Any] = []
        if self.db is not None:
            out.append(c.db_alias == self.db)
        if self.tag is not None:
            out.append(c.tag_name == self.tag)
        if self.target is not None:
            out.append(c.target == self.target.value)
        if self.since_min is not None:
            out.append(c.since_key >= _since_key(self.since_min))
        if self.since_max is not None:
            out.append(c.since_key <= _since_key(self.since_max))
        return out


#: What a store that lost the creation race sees (SQLite and PostgreSQL wording).
_RACE_MESSAGES: Final = ("already exists", "database is locked", "duplicate key value")


def _lost_race(exc: SQLAlchemyError) -> bool:
    """Whether ``exc`` means another process was creating the same schema at the same moment.

    A duplicate version row is an :class:`~sqlalchemy.exc.IntegrityError`;
    a table created in between is "table ... already exists" (SQLite) or
    "relation ... already exists" / a duplicate ``pg_type`` key (PostgreSQL);
    SQLite may also be locked by the winner's transaction.
    """
    if isinstance(exc, IntegrityError):
        return True
    text = str(exc).lower()
    return any(message in text for message in _RACE_MESSAGES)


class AnnotationStore:
    """Add and list notes; thread-safe (one SQLAlchemy engine, short transactions)."""

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared connection, or every thread would see its own empty database.
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        self._engine = create_engine(url, **kwargs)
        self._lock = threading.Lock()
        self._ensure_schema()

    @classmethod
    def in_memory(cls) -> AnnotationStore:
        """A store that lasts as long as the process (tests, embedding)."""
        return cls("sqlite://")

    def close(self) -> None:
        """Release connections."""
        self._engine.dispose()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"annotations database {self._engine.url!r}: {type(exc).__name__}: {exc}",
                alias="annotations",
            ) from None

    def _ensure_schema(self) -> None:
        """Create the tables on first start, even when others race to do the same.

        Only a lost race is tried again (:func:`_lost_race`: a table, index or
        row another process has just created, or SQLite's lock while it
        does); the next attempt finds what the winner made.  Any other error
        (a refused login, a read-only file, a missing server) is reported at
        once, and a race still lost after :data:`SCHEMA_ATTEMPTS` too.
        """
        if self.url.startswith("sqlite:///"):
            Path(self.url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, SCHEMA_ATTEMPTS + 1):
            try:
                with self._engine.begin() as conn:
                    self._create_or_check_schema(conn)
                return
            except SQLAlchemyError as exc:
                if attempt == SCHEMA_ATTEMPTS or not _lost_race(exc):
                    raise DatabaseUnavailable(
                        f"annotations database {self._engine.url!r}: {type(exc).__name__}: {exc}",
                        alias="annotations",
                    ) from None
                time.sleep(0.02 * attempt)

    def _create_or_check_schema(self, conn: Connection) -> None:
        """Create missing tables and the version row; refuse a schema this code does not know."""
        metadata.create_all(conn)
        row = conn.execute(
            select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).first()
        if row is None:
            conn.execute(insert(meta_table).values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif row[0] != str(SCHEMA_VERSION):
            raise ConfigError(
                f"annotations database {self._engine.url!r} has schema version {row[0]}; "
                f"this Payload Inspector knows version {SCHEMA_VERSION}"
            )

    def add(
        self, note: NewAnnotation, *, author: str, now: dt.datetime | None = None
    ) -> Annotation:
        """Store ``note`` written by ``author`` (the authenticated user)."""
        created = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
        values = {
            "db_alias": note.db,
            "tag_name": note.tag,
            "target": note.target.value,
            "since_key": _since_key(note.since),
            "plot_link": note.plot,
            "author": author,
            "text": note.text,
            "created": created,
        }
        with self._lock, self._begin() as conn:
            result = conn.execute(insert(annotation_table).values(**values))
            key = result.inserted_primary_key
            new_id = int(key[0]) if key else 0
        return Annotation(
            db=note.db,
            tag=note.tag,
            target=note.target,
            text=note.text,
            since=note.since,
            plot=note.plot,
            id=new_id,
            author=author,
            created=created,
        )

    def count(self, where: AnnotationFilter) -> int:
        """How many notes match."""
        query = select(func.count()).select_from(annotation_table).where(*where.clauses())
        with self._begin() as conn:
            return int(conn.execute(query).scalar() or 0)

    def list(
        self, where: AnnotationFilter, *, offset: int = 0, limit: int | None = None
    ) -> list[Annotation]:
        """Matching notes, newest first (ties: higher id first)."""
        c = annotation_table.c
        query = (
            select(annotation_table)
            .where(*where.clauses())
            .order_by(c.created.desc(), c.id.desc())
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._begin() as conn:
            return [_annotation(row) for row in conn.execute(query).mappings()]


def _annotation(row: Any) -> Annotation:
    since = row["since_key"]
    return Annotation(
        db=row["db_alias"],
        tag=row["tag_name"],
        target=Target(row["target"]),
        text=row["text"],
        since=None if since is None else int(since),
        plot=row["plot_link"],
        id=int(row["id"]),
        author=row["author"],
        created=row["created"],
    )
