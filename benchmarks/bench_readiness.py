"""Run readiness and run listing: indexed queries vs listing everything.

Measured in one run, on a synthetic database of 5 run-based tags of 20,000
IOVs each in one global tag, and 20,000 runs in RUN_INFO with fills:

* readiness of one run (``inspector.watch.run_readiness``: a few indexed
  queries per record) against the baseline of listing each record's whole
  IOV list and searching it (``ConditionsDB.iovs`` + ``IovList.covering``);
* one page of 50 runs paged by the database (``ConditionsDB.runs``) against
  the former way, reading every run of the range and slicing in Python
  (``ConditionsDB.run_timeline``).

Targets (issue 9): readiness at least 5x faster than the listing baseline;
a page of runs at least 5x faster than reading them all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from common import Target, best_of, report

from inspector.conddb import open_database
from inspector.conddb.timetypes import TimeType
from inspector.conddb.writer import ConditionsWriter
from inspector.config import DatabaseConfig
from inspector.watch import run_readiness

T0 = dt.datetime(2024, 4, 1)
TAGS = 5


def build(path: Path, n: int) -> None:
    """``TAGS`` tags of ``n`` IOVs (one per run), ``n`` runs, fills of 4 runs."""
    writer = ConditionsWriter.create_sqlite(path)
    with writer.engine.begin() as conn:
        digest = writer.add_payload(conn, "Blob", b"x", version="1", insertion_time=T0)
        for t in range(TAGS):
            name = f"Tag{t}"
            writer.add_tag(
                conn, name, time_type=TimeType.RUN, object_type="Blob", insertion_time=T0
            )
            writer.add_iovs(
                conn, name, [(r, digest, T0 + dt.timedelta(hours=r)) for r in range(1, n + 1)]
            )
        writer.add_global_tag(
            conn,
            "GT",
            [(f"Rcd{t}", "", f"Tag{t}") for t in range(TAGS)],
            insertion_time=T0,
            snapshot_time=dt.datetime(2999, 1, 1),
        )
        hour = dt.timedelta(hours=1)
        writer.add_runs(
            conn, [(r, T0 + r * hour, T0 + r * hour + hour / 2) for r in range(1, n + 1)]
        )
        writer.add_run_fills(conn, [(r, 1000 + r // 4) for r in range(1, n + 1)])
    writer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iovs", type=int, default=20_000, help="IOVs per tag and runs")
    args = parser.parse_args(argv)
    n = args.iovs
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        build(path, n)
        db = open_database(DatabaseConfig("bench", f"sqlite:///{path}"))
        run = n // 2

        def listing() -> bool:
            entries = db.global_tag_map("GT")
            return all(db.iovs(e.tag_name).covering(run) is not None for e in entries)

        assert run_readiness(db, run, "GT").ready and listing()
        t_ready = best_of(lambda: run_readiness(db, run, "GT"), repeat=7)
        t_list = best_of(listing, repeat=3)
        page = n // 100
        t_page = best_of(lambda: db.runs(page=page, page_size=50), repeat=7)
        t_all = best_of(lambda: db.run_timeline()[(page - 1) * 50], repeat=3)
        db.close()
    print(f"{TAGS} tags x {n:,} IOVs, {n:,} runs")
    print(f"  readiness of one run      {t_ready * 1e3:10.2f} ms")
    print(f"  listing every IOV list    {t_list * 1e3:10.2f} ms")
    print(f"  one page of 50 runs       {t_page * 1e3:10.2f} ms")
    print(f"  reading every run         {t_all * 1e3:10.2f} ms")
    targets = [
        Target("readiness speed-up over listing (x)", t_list / t_ready, 5, at_least=True),
        Target("paged runs speed-up over reading all (x)", t_all / t_page, 5, at_least=True),
    ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
