"""A million IOVs from SQLite and PostgreSQL: ``ConditionsDB.iovs`` at CMS scale.

Measured in one run on a small demo database with the long beam-spot tag
(``var/long-history.sqlite``, built first if missing: ``inspector demo-db
--scale 0.02 --long-history``), copied into a throw-away PostgreSQL server
(``tests/postgres_server.py``) with the product's own copy:

* **fetch**: ``ConditionsDB.iovs`` of ``BeamSpotObjects_PCL_byLumi_long_v1``
  (1,200,000 IOVs), best of 3, on each backend;
* **row by row** (the baseline): the same query read the way the product did
  before (a SQLAlchemy row per IOV, then a Python value per cell into numpy),
  kept here as :func:`row_by_row`;
* **floor**: ``SELECT COUNT(*)`` of those rows plus empty arrays of the size,
  what no fetch can beat;
* **memory**: tracemalloc peak of one fetch (SQLite), against the arrays kept.

Targets: the fetch at most 1 s on each backend (issue 17), and faster than
row by row.
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
from sqlalchemy import BigInteger, func, select, type_coerce

from inspector.conddb import open_database
from inspector.conddb import schema as s
from inspector.conddb.database import ConditionsDB
from inspector.conddb.models import IovList
from inspector.conddb.rows import iov_list
from inspector.config import DatabaseConfig
from inspector.demo.long_history import LONG_TAG

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
    """The old fetch: every row a SQLAlchemy ``Row``, every cell a Python object."""
    tag = db.tag(tag_name)
    inserted = s.timestamp_text(s.iov.c.insertion_time).label("insertion_time")
    query = (
        select(type_coerce(s.iov.c.since, BigInteger()), inserted, s.iov.c.payload_hash)
        .where(s.iov.c.tag_name == tag_name)
        .order_by(s.iov.c.since, s.iov.c.insertion_time, s.iov.c.payload_hash)
    )
    with db.engine.connect() as conn:
        rows = conn.execute(query).all()
    return iov_list(tag, rows, tag.end, None)


def floor(db: ConditionsDB, tag_name: str) -> int:
    """Count the rows and allocate the arrays: the least any fetch does."""
    with db.engine.connect() as conn:
        count = select(func.count()).where(s.iov.c.tag_name == tag_name)
        n = int(conn.scalar(count) or 0)
    np.empty(n, np.uint64), np.empty(n, np.uint64), np.empty(n, "datetime64[us]")
    return n


def peak_bytes(db: ConditionsDB, tag_name: str) -> tuple[int, int]:
    """(tracemalloc peak of one fetch, bytes of the arrays it keeps)."""
    tracemalloc.start()
    iovs = db.iovs(tag_name)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    kept = iovs.since.nbytes + iovs.until.nbytes + iovs.insertion_time.nbytes
    kept += iovs.payload_hash.nbytes
    return peak, kept


def _test_server() -> Any:
    """A fresh PostgreSQL server from the tests' helper module (and the helpers it imports)."""
    sys.path.insert(0, str(ROOT / "tests"))
    module = importlib.import_module("postgres_server")
    return module.PostgresServer.create()


def _measure(name: str, db: ConditionsDB) -> dict[str, float]:
    iovs = db.iovs(LONG_TAG)  # warm: schema check, connection, page cache
    times = {
        "fetch": best_of(functools.partial(db.iovs, LONG_TAG), REPEAT),
        "row by row": best_of(functools.partial(row_by_row, db, LONG_TAG), REPEAT),
        "floor": best_of(functools.partial(floor, db, LONG_TAG), REPEAT),
    }
    for what, seconds in times.items():
        print(f"  {name:<10} {what:<11} {len(iovs):,} IOVs {seconds * 1e3:9.1f} ms")
    return times


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
        peak, kept = peak_bytes(sqlite, LONG_TAG)
        print(f"  memory of one fetch: peak {peak / 2**20:.0f} MiB, kept {kept / 2**20:.0f} MiB")
        pg.close()
    finally:
        sqlite.close()
        server.close()
    targets = []
    for name, times in measured.items():
        targets.append(Target(f"{name} 1.2M-IOV fetch (ms)", times["fetch"] * 1e3, 1e3, False))
        speedup = times["row by row"] / times["fetch"]
        targets.append(Target(f"{name} speed-up over row by row (x)", speedup, 1.0, True))
    return report(targets)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
