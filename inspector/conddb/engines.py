"""SQLAlchemy engines that only read, one per configured alias, for every backend.

A server outlives outages of its databases, and each kind ends in a
:class:`~inspector.errors.DatabaseUnavailable` (HTTP 503) while it lasts and
recovers by itself once it is over:

- a server database that went away: ``pool_pre_ping`` replaces dead
  connections on checkout;
- a SQLite file locked by a writer: readers wait at most
  :data:`SQLITE_BUSY_TIMEOUT` instead of SQLite's 5 s, so a request fails
  fast rather than holding a web worker;
- a SQLite file removed, or replaced (moved away, copied back, swapped for
  another file, a symlink pointed at a new version): a pooled connection
  keeps reading the file it opened, which is no longer the one at the path.
  Each connection remembers the device and inode it opened, and every
  checkout compares them with one ``stat`` of the path (a few
  microseconds); a mismatch drops the connection and opens the path again,
  so the new file (or its absence) is seen at once.

Read-only on every backend: SQLite files are opened ``mode=ro``; PostgreSQL
sessions start with ``default_transaction_read_only=on``; Oracle relies on a
read-only account (the product only ever issues SELECTs).  Server passwords
are read from their variable or file at each new connection and handed to
the driver directly, so the engine's URL never holds one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, QueuePool

from inspector.database_config import DatabaseConfig
from inspector.errors import ConfigError, DatabaseUnavailable

__all__ = ["LONG_RESULT", "SQLITE_BUSY_TIMEOUT", "reader_engine", "table_owner", "writer_engine"]

#: Seconds a SQLite reader waits for a writer's lock before giving up (→ 503).
SQLITE_BUSY_TIMEOUT: Final = 1.0
#: Execution option a query sets when it returns many rows (IOV lists): the
#: engine then fetches that many more rows per round trip.
LONG_RESULT: Final = "long_result"
#: Session settings of every PostgreSQL connection: no writes, times in UTC, ISO time text.
POSTGRESQL_OPTIONS: Final = "-c default_transaction_read_only=on -c TimeZone=UTC -c DateStyle=ISO"
APPLICATION_NAME: Final = "payload-inspector"


def reader_engine(config: DatabaseConfig) -> Engine:
    """A pooled engine that reads the database of ``config`` (see the module docstring)."""
    path = config.sqlite_path
    return _server_engine(config) if path is None else _sqlite_engine(config.alias, path)


def writer_engine(config: DatabaseConfig) -> Engine:
    """An engine that may write (``copy-db``, ``demo-db --url``): same login, no read-only flag."""
    config.password()
    engine = create_engine(config.connect_url())
    event.listen(engine, "do_connect", _password_injector(config))
    return engine


def table_owner(engine: Engine, schema: str | None) -> str | None:
    """The owner name as the dialect wants it, so Oracle's upper-case names stay unquoted."""
    if schema is None:
        return None
    return str(engine.dialect.normalize_name(schema)) if engine.dialect.name == "oracle" else schema


# -- server databases ---------------------------------------------------------------------------


def _server_engine(config: DatabaseConfig) -> Engine:
    url = config.connect_url()
    config.password()  # fail now, naming the variable or file, rather than at the first request
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    dialect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args = {"options": POSTGRESQL_OPTIONS, "application_name": APPLICATION_NAME}
    elif backend == "oracle" and config.arraysize is not None:
        dialect_args["arraysize"] = config.arraysize
    pool = config.pool
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_recycle=pool.recycle,
        pool_timeout=pool.timeout,
        pool_pre_ping=pool.pre_ping,
        **dialect_args,
    )
    owner = table_owner(engine, config.schema)
    if owner is not None:
        engine.update_execution_options(schema_translate_map={None: owner})
    event.listen(engine, "do_connect", _password_injector(config))
    event.listen(engine, "before_cursor_execute", fetch_tuner(config.iov_arraysize))
    return engine


def _password_injector(config: DatabaseConfig) -> Any:
    """A ``do_connect`` listener handing the driver the password read just now.

    A secret that went away while the server runs (variable unset, file
    removed) makes the database unavailable (503, the operator's log names
    the variable or file), like any other failure to connect: it is not the
    request's fault, and the server recovers once the secret is back.
    """

    def inject(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        try:
            password = config.password()
        except ConfigError as exc:
            raise DatabaseUnavailable(str(exc), alias=config.alias) from None
        if password is not None:
            cparams["password"] = password

    return inject


def fetch_tuner(rows: int) -> Any:
    """A ``before_cursor_execute`` listener: ``rows`` per round trip for long results.

    Oracle fetches ``cursor.arraysize`` rows per round trip (100 by
    default): 105 round trips for a 10,500-IOV list, against 2 with 10,000.
    ``prefetchrows`` also fills the first batch with the execute call itself.
    Other drivers read everything at once and ignore both.
    """

    def tune(
        conn: Any,
        cursor: DBAPICursor,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        if context is not None and context.execution_options.get(LONG_RESULT):
            cursor.arraysize = rows
            if hasattr(cursor, "prefetchrows"):  # python-oracledb
                setattr(cursor, "prefetchrows", rows)  # noqa: B010 - not in the DB-API type

    return tune


# -- SQLite files -------------------------------------------------------------------------------


def _sqlite_engine(alias: str, path: Path) -> Engine:
    if not path.is_file():
        raise DatabaseUnavailable(
            f"database {alias!r}: file {path} does not exist "
            f"(create a demo one with: inspector demo-db {path})",
            alias=alias,
        )
    # Absolute, but symlinks kept: a deployment that switches a link to a new
    # file (``current.sqlite -> v2.sqlite``) is then seen like any replacement.
    where = path.absolute()
    uri = f"{where.as_uri()}?mode=ro"

    def connect() -> sqlite3.Connection:
        # Stat *before* opening: if the file is swapped in between, the
        # connection records the old identity and is merely reopened at its
        # first checkout; the other order could miss the swap for good.
        opened = _file_identity(where)
        conn = sqlite3.connect(
            uri,
            uri=True,
            timeout=SQLITE_BUSY_TIMEOUT,
            check_same_thread=False,
            factory=_SQLiteReader,
        )
        conn.opened = opened
        return conn

    # An explicit QueuePool: with a bare ``sqlite://`` URL SQLAlchemy would pick
    # SingletonThreadPool, which closes connections other threads still use.
    engine = create_engine(
        "sqlite://", creator=connect, poolclass=QueuePool, pool_size=8, max_overflow=8
    )
    event.listen(engine, "checkout", _drop_if_replaced(where))
    return engine


class _SQLiteReader(sqlite3.Connection):
    """A SQLite connection that remembers which file it opened."""

    #: ``(st_dev, st_ino)`` of the path just before opening; ``None`` if absent.
    opened: tuple[int, int] | None = None


def _file_identity(path: Path) -> tuple[int, int] | None:
    """Device and inode of the file at ``path`` now (``None``: no file there)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _drop_if_replaced(path: Path) -> Any:
    """A pool ``checkout`` listener that refuses connections to a file no longer at ``path``.

    Raising :class:`~sqlalchemy.exc.DisconnectionError` makes the pool discard
    the connection and open ``path`` again: a missing file then fails to open
    (→ ``DatabaseUnavailable``), a replaced one is read from now on.
    """

    def check(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        now = _file_identity(path)
        if now is None or getattr(dbapi_connection, "opened", None) != now:
            raise DisconnectionError(f"{path} is not the file this connection opened")

    return check
