"""Copying a conditions database to another backend (``inspector copy-db``).

Loads a PostgreSQL (or SQLite, or any SQLAlchemy) database from a SQLite
file or from any configured alias, table by table, in batches: the demo
database into a test server, a CMS SQLite dump into a shared PostgreSQL.

Generic over :data:`inspector.conddb.schema.metadata`: every CondDB table
the schema declares and the source holds is copied, in foreign-key order;
tables the source lacks are skipped (so an optional table added to the
schema later is copied wherever it exists, with no change here).  The whole
copy is one transaction on the target where the backend allows it
(PostgreSQL, SQLite): a failed copy leaves nothing half-written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, func, insert, inspect, select, text

from inspector.conddb import schema as s
from inspector.conddb.database import ConditionsDB
from inspector.errors import BadRequest

__all__ = ["CopySummary", "copy_database"]

#: Rows per INSERT batch, and the byte budget that ends a batch early (payload blobs).
BATCH_ROWS: Final = 2000
BATCH_BYTES: Final = 32 << 20

#: ``progress(table, rows_done, rows_total)``, called after every batch.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CopySummary:
    """What was copied: rows per table (absent tables are not listed) and the time taken."""

    rows: Mapping[str, int]
    skipped: tuple[str, ...]
    seconds: float

    @property
    def total_rows(self) -> int:
        """Rows copied over all tables."""
        return sum(self.rows.values())


def copy_database(
    source: ConditionsDB,
    target: Engine,
    *,
    target_schema: str | None = None,
    force: bool = False,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> CopySummary:
    """Copy every CondDB table of ``source`` into ``target`` (tables created there).

    Refuses a target that already holds rows in any CondDB table unless
    ``force``, which drops those tables first.  ``target_schema`` puts the
    tables under that owner (it must exist).
    """
    if batch_rows < 1:
        raise BadRequest(f"batch size must be at least 1, not {batch_rows}")
    started = time.perf_counter()
    report = progress or _quiet
    translate = {None: target_schema} if target_schema else None
    with source.engine.connect() as src:
        present = {n.lower() for n in inspect(src).get_table_names(schema=source.schema)}
        tables = [t for t in s.metadata.sorted_tables if t.name in present]
        skipped = tuple(t.name for t in s.metadata.sorted_tables if t.name not in present)
        totals = {t.name: int(src.scalar(select(func.count()).select_from(t)) or 0) for t in tables}
        with target.begin() as dst:
            if translate:
                dst = dst.execution_options(schema_translate_map=translate)
            _prepare(dst, tables, target_schema, force=force)
            rows = {
                t.name: _copy_table(src, dst, t, totals[t.name], batch_rows, report) for t in tables
            }
            if dst.dialect.name == "postgresql":
                _analyze(dst, tables, target_schema)
    return CopySummary(rows, skipped, time.perf_counter() - started)


def _analyze(dst: Connection, tables: Sequence[Table], schema: str | None) -> None:
    """Fresh PostgreSQL statistics, or the first queries after a load plan blind."""
    quote = dst.dialect.identifier_preparer
    owner = f"{quote.quote_schema(schema)}." if schema else ""
    for table in tables:
        dst.execute(text(f"ANALYZE {owner}{quote.quote(table.name)}"))


def _prepare(dst: Connection, tables: Sequence[Table], schema: str | None, *, force: bool) -> None:
    """Create the tables at the target; refuse (or, forced, drop) CondDB tables holding rows."""
    existing = {n.lower() for n in inspect(dst).get_table_names(schema=schema)}
    ours = [t for t in s.metadata.sorted_tables if t.name in existing]
    filled = {
        t.name: n for t in ours if (n := int(dst.scalar(select(func.count()).select_from(t)) or 0))
    }
    if filled and not force:
        listing = ", ".join(f"{name} ({n} rows)" for name, n in filled.items())
        raise BadRequest(
            f"the target already holds conditions data: {listing}; "
            "use --force to drop those tables and copy anew"
        )
    s.metadata.drop_all(dst, tables=ours)
    s.metadata.create_all(dst, tables=list(tables))


def _copy_table(
    src: Connection, dst: Connection, table: Table, total: int, batch_rows: int, report: Progress
) -> int:
    done = 0
    report(table.name, 0, total)
    query = select(table).order_by(*table.primary_key.columns)
    result = src.execution_options(yield_per=batch_rows).execute(query)
    for batch in _batches(result.mappings(), batch_rows):
        dst.execute(insert(table), batch)
        done += len(batch)
        report(table.name, done, total)
    return done


def _batches(rows: Iterator[Any], batch_rows: int) -> Iterator[list[dict[str, Any]]]:
    """Rows grouped by count, a batch ending early once its blobs pass :data:`BATCH_BYTES`."""
    batch: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        batch.append(dict(row))
        size += sum(len(v) for v in row.values() if isinstance(v, bytes | memoryview))
        if len(batch) >= batch_rows or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _quiet(table: str, done: int, total: int) -> None:
    """The default progress callback: says nothing."""
