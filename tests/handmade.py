"""A small conditions database built by hand, row by row.

Tests of IOV semantics need exact, known rows (duplicate ``since`` values,
late insertions, several time types) rather than the generated demo data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from inspector.conddb.timetypes import TimeType, datetime_to_since, pack_lumi
from inspector.conddb.writer import ConditionsWriter
from inspector.demo import beamspot
from inspector.payload import SchemaRegistry, encode

T0 = dt.datetime(2024, 5, 1, 8, 0, 0)


def hours(n: float) -> dt.datetime:
    """``T0`` plus ``n`` hours."""
    return T0 + dt.timedelta(hours=n)


def beamspot_values(x: float) -> dict[str, object]:
    """A BeamSpotObjects payload (its CMSSW members) whose x is ``x``, the rest fixed."""
    return beamspot.members(
        position=(x, -0.19, 0.3),
        sigma_z=3.8,
        slopes=(1e-5, -2e-5),
        widths=(1.2e-3, 1.1e-3),
        width_errors=(1e-5, 1e-5),
        covariance=np.diag(np.full(7, 1e-8)),
    )


def build_handmade(path: Path) -> dict[str, str]:
    """Write the database; return payload hashes by label (``"x=0.1"`` ...)."""
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects")
    hashes: dict[str, str] = {}
    with writer.engine.begin() as conn:
        for x in (0.1, 0.2, 0.3, 0.4, 0.5):
            hashes[f"x={x}"] = writer.add_payload(
                conn,
                "BeamSpotObjects",
                encode(schema, beamspot_values(x)),
                version="dummy",
                insertion_time=T0,
            )
        writer.add_tag(
            conn,
            "BS_run",
            time_type=TimeType.RUN,
            object_type="BeamSpotObjects",
            synchronization="offline",
            description="run based <b>test</b>",
            insertion_time=T0,
        )
        # run 100 → x=0.1, 200 → x=0.2, 300 → x=0.3; then 200 is re-inserted
        # later with x=0.4 (latest insertion wins), and 400 is appended later.
        writer.add_iovs(
            conn,
            "BS_run",
            [
                (100, hashes["x=0.1"], hours(1)),
                (200, hashes["x=0.2"], hours(2)),
                (300, hashes["x=0.3"], hours(3)),
                (200, hashes["x=0.4"], hours(10)),
                (400, hashes["x=0.5"], hours(20)),
            ],
        )
        writer.add_tag(
            conn,
            "BS_lumi",
            time_type=TimeType.LUMI,
            object_type="BeamSpotObjects",
            end_of_validity=pack_lumi(500, 1),
            insertion_time=T0,
        )
        writer.add_iovs(
            conn,
            "BS_lumi",
            [
                (pack_lumi(100, 1), hashes["x=0.1"], hours(1)),
                (pack_lumi(100, 50), hashes["x=0.2"], hours(1)),
                (pack_lumi(101, 1), hashes["x=0.1"], hours(2)),
            ],
        )
        writer.add_tag(
            conn,
            "BS_time",
            time_type=TimeType.TIME,
            object_type="BeamSpotObjects",
            insertion_time=T0,
        )
        writer.add_iovs(
            conn,
            "BS_time",
            [
                (datetime_to_since(hours(0)), hashes["x=0.1"], hours(1)),
                (datetime_to_since(hours(5)), hashes["x=0.3"], hours(6)),
            ],
        )
        writer.add_tag(
            conn,
            "Empty_tag",
            time_type=TimeType.RUN,
            object_type="SiStripNoises",
            insertion_time=T0,
        )
        writer.add_global_tag(
            conn,
            "GT_v1",
            [
                ("BeamSpotObjectsRcd", "", "BS_run"),
                ("BeamSpotObjectsRcd", "byLumi", "BS_lumi"),
            ],
            description="first",
            release="CMSSW_14_0_0",
            insertion_time=T0,
        )
        writer.add_global_tag(
            conn, "GT_v2", [("BeamSpotObjectsRcd", "", "BS_time")], insertion_time=hours(30)
        )
        writer.add_runs(
            conn,
            [
                (100, hours(0), hours(1)),
                (101, hours(1.5), hours(3)),
                (200, hours(4), hours(8)),
            ],
        )
    writer.close()
    return hashes
