"""SQLite against PostgreSQL: loading the demo database, and the 10,500-IOV query.

Measured in one run on the full-scale demo database (``var/demo.sqlite``,
built first if missing):

* **load**: ``copy_database`` (what ``inspector copy-db`` runs) of every
  table into a fresh PostgreSQL database;
* **IOV query**: ``ConditionsDB.iovs`` of the 10,500-IOV beam spot tag,
  best of 5, on the SQLite file (the baseline) and on PostgreSQL.

Target: the PostgreSQL IOV query at most 4x the SQLite one (a local socket
round trip, NUMERIC since values and datetime rows against an in-process
file).  Without ``--url`` a throw-away server is started with the test
suite's helper (``tests/postgres_server.py``, Debian package ``postgresql``).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

from bench_history import ROOT, TAG, demo_database
from common import Target, best_of

from inspector.conddb import open_database
from inspector.conddb.copy import copy_database
from inspector.config import DatabaseConfig

RATIO_BOUND = 4.0


def _test_server() -> Any:
    """A fresh PostgreSQL server from the tests' helper module (and the helpers it imports)."""
    sys.path.insert(0, str(ROOT / "tests"))
    module = importlib.import_module("postgres_server")
    return module.PostgresServer.create()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "demo.sqlite")
    args = parser.parse_args(argv)
    path = demo_database(args.db)
    server = _test_server()
    try:
        server.sql("postgres", "CREATE DATABASE bench")
        source = open_database(DatabaseConfig("demo", f"sqlite:///{path}"))
        target = server.admin_engine("bench")
        started = time.perf_counter()
        summary = copy_database(source, target)
        load = time.perf_counter() - started
        target.dispose()
        server.sql("bench", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
        size = path.stat().st_size / 2**20
        print(f"  load {size:.0f} MiB, {summary.total_rows} rows into PostgreSQL: {load:.1f} s")
        pg = open_database(server.config("bench", "bench"))
        times = {}
        for name, db in (("sqlite", source), ("postgresql", pg)):
            iovs = db.iovs(TAG)  # warm: schema check, connection, page cache
            times[name] = best_of(functools.partial(db.iovs, TAG))
            print(f"  IOV query, {len(iovs)} IOVs, {name:<10} {times[name] * 1e3:8.1f} ms")
        source.close()
        pg.close()
    finally:
        server.close()
    target_ = Target(
        "PostgreSQL / SQLite IOV query time",
        times["postgresql"] / times["sqlite"],
        RATIO_BOUND,
        at_least=False,
    )
    print(target_.line())
    return 0 if target_.met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
