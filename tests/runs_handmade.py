"""Hand-built databases for runs, fills, readiness and the watch, with known answers.

Times are hours after ``T0`` (2024-05-01 08:00 UTC)::

    run   start  end   fill      Prompt_run   Prompt_lumi        Prompt_time
    1000  h0     h1    7         since 1000   1000:1 (ins h2)    since h0   (ins h1)
    1001  h1.5   h3    7         since 1001                      since h10.5 (ins h12)
    1005  h10    h14   8         since 1005   1005:0 (ins h15)
    1010  h30    h31   (none)
    1011  h40    h50   9

``Prompt_run`` IOVs are inserted at h2 (1000), h4 (1001) and h20 (1005);
``Closed_run`` ends at run 1003 (end of validity).  Global tags:
``GT_run`` (inserted h0: Prompt_run, Prompt_lumi, Prompt_time),
``GT_frozen`` (inserted h5, snapshot h3: Prompt_run) and ``GT_closed``
(inserted h6: Closed_run, so the newest).  The CMS-like variant has the same
runs but no ``run_fill`` table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from handmade import T0, beamspot_values, hours
from sqlalchemy import text

from inspector.conddb.timetypes import TimeType, datetime_to_since, pack_lumi
from inspector.conddb.writer import ConditionsWriter
from inspector.payload import SchemaRegistry, encode

__all__ = ["RUNS", "T0", "build_runs_db", "hours"]

RUNS = {
    1000: (0.0, 1.0, 7),
    1001: (1.5, 3.0, 7),
    1005: (10.0, 14.0, 8),
    1010: (30.0, 31.0, None),
    1011: (40.0, 50.0, 9),
}


def build_runs_db(path: Path, *, fills: bool = True) -> dict[str, str]:
    """Write the database (without ``run_fill`` if not ``fills``); return payload hashes."""
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects")
    with writer.engine.begin() as conn:
        h = {
            x: writer.add_payload(
                conn,
                "BeamSpotObjects",
                encode(schema, beamspot_values(x)),
                version="dummy",
                insertion_time=T0 - dt.timedelta(hours=1),
            )
            for x in (0.1, 0.2, 0.3)
        }
        tags = {
            "Prompt_run": (TimeType.RUN, 0),
            "Prompt_lumi": (TimeType.LUMI, 0),
            "Prompt_time": (TimeType.TIME, 0),
            "Closed_run": (TimeType.RUN, 1003),
            "Hash_tag": (TimeType.HASH, 0),
            "Empty_run": (TimeType.RUN, 0),
        }
        for name, (time_type, eov) in tags.items():
            writer.add_tag(
                conn,
                name,
                time_type=time_type,
                object_type="BeamSpotObjects",
                end_of_validity=eov,
                insertion_time=T0 - dt.timedelta(hours=1),
            )
        writer.add_iovs(
            conn,
            "Prompt_run",
            [(1000, h[0.1], hours(2)), (1001, h[0.2], hours(4)), (1005, h[0.3], hours(20))],
        )
        writer.add_iovs(
            conn,
            "Prompt_lumi",
            [(pack_lumi(1000, 1), h[0.1], hours(2)), (pack_lumi(1005, 0), h[0.2], hours(15))],
        )
        writer.add_iovs(
            conn,
            "Prompt_time",
            [
                (datetime_to_since(hours(0)), h[0.1], hours(1)),
                (datetime_to_since(hours(10.5)), h[0.2], hours(12)),
            ],
        )
        writer.add_iovs(conn, "Closed_run", [(1000, h[0.1], hours(1))])
        writer.add_iovs(conn, "Hash_tag", [(12345, h[0.3], hours(1))])
        writer.add_global_tag(
            conn,
            "GT_run",
            [
                ("RunRcd", "", "Prompt_run"),
                ("LumiRcd", "", "Prompt_lumi"),
                ("TimeRcd", "", "Prompt_time"),
            ],
            insertion_time=hours(0),
            snapshot_time=dt.datetime(2999, 12, 31),
        )
        writer.add_global_tag(
            conn,
            "GT_frozen",
            [("RunRcd", "", "Prompt_run")],
            insertion_time=hours(5),
            snapshot_time=hours(3),
        )
        writer.add_global_tag(
            conn, "GT_closed", [("RunRcd", "", "Closed_run")], insertion_time=hours(6)
        )
        writer.add_runs(conn, [(r, hours(a), hours(b)) for r, (a, b, _) in RUNS.items()])
        if fills:
            writer.add_run_fills(conn, [(r, f) for r, (_, _, f) in RUNS.items() if f is not None])
        else:
            conn.execute(text("DROP TABLE run_fill"))
    writer.close()
    return {str(x): digest for x, digest in h.items()}
