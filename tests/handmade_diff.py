"""A hand-built database for tag and global-tag diffs, with known answers.

Two beam-spot tags share some payloads and differ in boundaries; one IOV of
``DIFF_B`` is inserted late (so a snapshot before it sees another diff);
``DIFF_A`` ends early (end of validity 600); ``DIFF_OTHER`` holds another
payload type and ``DIFF_LUMI`` another time type.  Expected rows of
``DIFF_A`` against ``DIFF_B`` (latest)::

    since  until  A   B   status
       50    100  p1  -   only_a
      100    200  p2  p2  same
      200    300  p2  p2  same
      300    400  p3  p4  differs
      400    600  p3  p3  same
      600    700  -   p3  only_b
      700    max  -   p5  only_b
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from handmade import T0, beamspot_values, hours

from inspector.conddb.timetypes import TimeType, pack_lumi
from inspector.conddb.writer import ConditionsWriter
from inspector.payload import SchemaRegistry, encode

#: Insertion time of DIFF_B's late IOV at 400: a snapshot before it misses it.
LATE: Final = hours(20)


def build_diff_db(path: Path) -> dict[str, str]:
    """Write the database; return payload hashes ``p1`` … ``p5``."""
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects")
    with writer.engine.begin() as conn:
        p = {
            f"p{i}": writer.add_payload(
                conn,
                "BeamSpotObjects",
                encode(schema, beamspot_values(i / 10)),
                version="dummy",
                insertion_time=T0,
            )
            for i in range(1, 6)
        }
        common = {"object_type": "BeamSpotObjects", "insertion_time": T0}
        writer.add_tag(conn, "DIFF_A", time_type=TimeType.RUN, end_of_validity=600, **common)
        writer.add_iovs(
            conn,
            "DIFF_A",
            [(50, p["p1"], hours(1)), (100, p["p2"], hours(1)), (300, p["p3"], hours(1))],
        )
        writer.add_tag(conn, "DIFF_B", time_type=TimeType.RUN, **common)
        writer.add_iovs(
            conn,
            "DIFF_B",
            [
                (100, p["p2"], hours(1)),
                (200, p["p2"], hours(1)),
                (300, p["p4"], hours(1)),
                (400, p["p3"], LATE),
                (700, p["p5"], hours(1)),
            ],
        )
        writer.add_tag(conn, "DIFF_LUMI", time_type=TimeType.LUMI, **common)
        writer.add_iovs(conn, "DIFF_LUMI", [(pack_lumi(100, 1), p["p1"], hours(1))])
        writer.add_tag(
            conn,
            "DIFF_OTHER",
            time_type=TimeType.RUN,
            object_type="EcalPedestals",
            insertion_time=T0,
        )
        writer.add_iovs(conn, "DIFF_OTHER", [(100, p["p2"], hours(1)), (300, p["p1"], hours(1))])
        writer.add_global_tag(
            conn,
            "GT_A",
            [
                ("BeamSpotObjectsRcd", "", "DIFF_A"),
                ("BeamSpotObjectsRcd", "byLumi", "DIFF_LUMI"),
                ("OtherRcd", "", "DIFF_OTHER"),
            ],
            insertion_time=T0,
        )
        writer.add_global_tag(
            conn,
            "GT_B",
            [
                ("BeamSpotObjectsRcd", "", "DIFF_B"),
                ("BeamSpotObjectsRcd", "byLumi", "DIFF_LUMI"),
                ("NewRcd", "", "DIFF_A"),
            ],
            insertion_time=T0,
        )
    writer.close()
    return p
