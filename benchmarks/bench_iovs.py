"""A million IOVs from SQLite and PostgreSQL: ``ConditionsDB.iovs`` at CMS scale.

Measured in one run on a small demo database with the long beam-spot tag
(``var/long-history.sqlite``, built first if missing: ``inspector demo-db
--scale 0.02 --long-history``), copied into a throw-away PostgreSQL server
(``tests/postgres_server.py``) with the product's own copy:

* **fetch**: ``ConditionsDB.iovs`` of ``BeamSpotObjects_PCL_byLumi_long_v1``
  (1,200,000 IOVs), best of 3, on each backend: the packed columns of
  :mod:`inspector.conddb.iov_columns`;
* **row by row** (the baseline): the same IOVs through the row path
  (:func:`~inspector.conddb.iov_columns.row_columns`, one driver row per IOV,
  what Oracle takes and what every backend took before);
* **floor**: ``SELECT COUNT(*)`` of those rows (the index scan every fetch
  does, one result row) plus empty arrays of the size;
* **memory**: the bytes one IOV list keeps (``IovList.nbytes``) against one
  hash string per IOV, and the tracemalloc peak of one fetch.

Targets (issue 17): at most 1 s per million IOVs on each backend, and faster
than row by row.  The ratio to the floor is printed beside each fetch.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from bench_history import ROOT
from common import Target, best_of, report
from sqlalchemy import func, select

from inspector.conddb import open_database
from inspector.conddb import schema as s
from inspector.conddb.database import ConditionsDB
from inspector.conddb.iov_columns import row_columns
from inspector.conddb.models import IovList
from inspector.conddb.rows import iov_list
from inspector.config import DatabaseConfig
from inspector.demo.long_history import LONG_TAG

#: Seconds per million IOVs a fetch may take (issue 17).
FETCH_BOUND_S = 1.0
REPEAT = 3


def long_database(path: Path) -> Path:
    """A scale-0.02 demo database with the long tag, built first if missing."""
    if not path.exists():
        from inspector.demo import build_demo_database
        from inspector.demo.long_history import LONG_HISTORY_IOVS

        print(f"building {path} (about a minute) ...", flush=True)
        build_demo_database(path, scale=0.02, long_history_iovs=LONG_HISTORY_IOVS)
    return path


def row_by_row(db: ConditionsDB, tag_name: str) -> IovList:
    """The row path: every IOV a driver row, then converted a column at a time."""
    tag = db.tag(tag_name)
    with db.engine.connect() as conn:
        rows = row_columns(conn, [s.iov.c.tag_name == tag_name])
    return iov_list(tag, rows, tag.end, None)


def floor(db: ConditionsDB, tag_name: str) -> int:
    """Count the rows (one result row: no per-row cost) and allocate the arrays."""
    with db.engine.connect() as conn:
        n = int(conn.scalar(select(func.count()).where(s.iov.c.tag_name == tag_name)) or 0)
    np.empty(n, np.uint64), np.empty(n, np.uint64), np.empty(n, "datetime64[us]")
    np.empty(n, np.int32)
    return n


def memory(db: ConditionsDB, tag_name: str) -> tuple[int, int, int]:
    """(tracemalloc peak of one fetch, bytes the IOV list keeps, with one hash string per IOV)."""
    tracemalloc.start()
    iovs = db.iovs(tag_name)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    per_iov_strings = iovs.nbytes - iovs.hashes.nbytes - iovs.codes.nbytes
    return peak, iovs.nbytes, per_iov_strings + iovs.payload_hash.nbytes


def _test_server() -> Any:
    """A fresh PostgreSQL server from the tests' helper module (and the helpers it imports)."""
    sys.path.insert(0, str(ROOT / "tests"))
    module = importlib.import_module("postgres_server")
    return module.PostgresServer.create()


def _measure(name: str, db: ConditionsDB) -> tuple[int, dict[str, float]]:
    iovs = db.iovs(LONG_TAG)  # warm: schema check, connection, page cache
    times = {
        "fetch": best_of(functools.partial(db.iovs, LONG_TAG), REPEAT),
        "row by row": best_of(functools.partial(row_by_row, db, LONG_TAG), REPEAT),
        "floor": best_of(functools.partial(floor, db, LONG_TAG), REPEAT),
    }
    for what, seconds in times.items():
        print(f"  {name:<10} {what:<11} {len(iovs):,} IOVs {seconds * 1e3:9.1f} ms")
    print(f"  {name:<10} fetch / floor: {times['fetch'] / times['floor']:.1f}x")
    peak, kept, before = memory(db, LONG_TAG)
    print(
        f"  {name:<10} memory: IOV list {kept / 2**20:.1f} MiB (one hash string per IOV: "
        f"{before / 2**20:.1f} MiB), peak of one fetch {peak / 2**20:.0f} MiB"
    )
    return len(iovs), times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "long-history.sqlite")
    args = parser.parse_args(argv)
    path = long_database(args.db)
    sqlite = open_database(DatabaseConfig("long", f"sqlite:///{path}"))
    server = _test_server()
    try:
        pg = open_database(server.load("long", path))
        measured = {"SQLite": _measure("SQLite", sqlite), "PostgreSQL": _measure("PostgreSQL", pg)}
        pg.close()
    finally:
        sqlite.close()
        server.close()
    targets = []
    for name, (n, times) in measured.items():
        per_million = times["fetch"] / (n / 1e6) * 1e3
        targets.append(Target(f"{name} fetch per million IOVs (ms)", per_million, 1e3, False))
        speedup = times["row by row"] / times["fetch"]
        targets.append(Target(f"{name} speed-up over row by row (x)", speedup, 1.0, True))
    return report(targets)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
