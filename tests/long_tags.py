"""A SQLite file with one long run-based tag: what an abuse of the IOV caches needs.

10,000 IOVs over a handful of beam-spot payloads, so one IOV list is about
0.27 MiB in memory (its arrays: 28 bytes per IOV) while every payload is
tiny: what fills a cache is the lists, never the payloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from handmade import T0, beamspot_values, hours

from inspector.conddb.timetypes import TimeType
from inspector.conddb.writer import ConditionsWriter
from inspector.payload import SchemaRegistry, encode

__all__ = ["LONG_TAG", "LONG_TAG_IOVS", "build_long_tag"]

LONG_TAG: Final = "BS_long"
LONG_TAG_IOVS: Final = 10_000


def build_long_tag(path: Path, iovs: int = LONG_TAG_IOVS) -> list[str]:
    """Write the database; return its payload hashes."""
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects")
    with writer.engine.begin() as conn:
        hashes = [
            writer.add_payload(
                conn,
                "BeamSpotObjects",
                encode(schema, beamspot_values(0.1 * (i + 1))),
                version="dummy",
                insertion_time=T0,
            )
            for i in range(5)
        ]
        writer.add_tag(
            conn,
            LONG_TAG,
            time_type=TimeType.RUN,
            object_type="BeamSpotObjects",
            insertion_time=T0,
        )
        rows = [(100 + i, hashes[i % len(hashes)], hours(i / 1000)) for i in range(iovs)]
        writer.add_iovs(conn, LONG_TAG, rows)
    return hashes
