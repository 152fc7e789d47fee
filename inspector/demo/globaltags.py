"""Demo global tags: which tag serves each record in express, prompt and re-reconstruction.

Express and prompt global tags follow live tags (express, PCL, prompt,
HLT) and carry no effective snapshot (their snapshot time lies far in the
future, so new uploads are seen); the re-reconstruction one is frozen at
its creation time.  ``Prompt_v2`` differs from ``Prompt_v1`` in one record
only, the usual way a global tag is updated.  The express global tag reads
the beam spot from the express stream's tag, whose upload for the newest
run never came (:mod:`inspector.demo.watch`): for every seed and scale, its
newest run is not ready (docs/runs-and-watch.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from inspector.demo import alignment, beamspot, ecal, pixels, strips, watch

__all__ = ["GlobalTagSpec", "demo_global_tags"]

RELEASE: Final = "CMSSW_14_0_X"
#: "No snapshot": a prompt global tag must see every new upload.
OPEN_SNAPSHOT: Final = dt.datetime(2999, 12, 31, 23, 59, 59)

BEAM_SPOT: Final = ("BeamSpotObjectsRcd", "")
STRIP_NOISE: Final = ("SiStripNoisesRcd", "")
ALIGNMENT: Final = ("TrackerAlignmentRcd", "")
PIXEL_GAIN: Final = ("SiPixelGainCalibrationForHLTRcd", "")
ECAL_PEDESTALS: Final = ("EcalPedestalsRcd", "")


@dataclass(frozen=True)
class GlobalTagSpec:
    """One global tag: its ``(record, label, tag)`` entries and metadata."""

    name: str
    description: str
    entries: tuple[tuple[str, str, str], ...]
    insertion_time: dt.datetime
    snapshot_time: dt.datetime
    release: str = RELEASE


def _entries(mapping: dict[tuple[str, str], str]) -> tuple[tuple[str, str, str], ...]:
    return tuple((record, label, tag) for (record, label), tag in sorted(mapping.items()))


def demo_global_tags() -> tuple[GlobalTagSpec, ...]:
    """The four demo global tags, in creation order."""
    prompt = {
        BEAM_SPOT: beamspot.PCL_TAG,
        STRIP_NOISE: strips.PROMPT_TAG,
        ALIGNMENT: alignment.PROMPT_TAG,
        PIXEL_GAIN: pixels.TAG,
        ECAL_PEDESTALS: ecal.TAG,
    }
    rereco = {
        **prompt,
        BEAM_SPOT: beamspot.RUN_TAG,
        STRIP_NOISE: strips.RERECO_TAG,
        ALIGNMENT: alignment.RERECO_TAG,
    }
    express = {**prompt, BEAM_SPOT: watch.EXPRESS_TAG}
    frozen = dt.datetime(2024, 12, 9, 14, 0, 0)
    return (
        GlobalTagSpec(
            name="140X_dataRun3_Express_v1",
            description="Express reconstruction of 2024 data (beam spot from the express stream)",
            entries=_entries(express),
            insertion_time=dt.datetime(2024, 4, 2, 16, 0, 0),
            snapshot_time=OPEN_SNAPSHOT,
        ),
        GlobalTagSpec(
            name="140X_dataRun3_Prompt_v1",
            description="Prompt reconstruction of 2024 data",
            entries=_entries(prompt),
            insertion_time=dt.datetime(2024, 4, 2, 16, 30, 0),
            snapshot_time=OPEN_SNAPSHOT,
        ),
        GlobalTagSpec(
            name="140X_dataRun3_Prompt_v2",
            description="Prompt reconstruction of 2024 data, with the re-derived tracker alignment",
            entries=_entries({**prompt, ALIGNMENT: alignment.RERECO_TAG}),
            insertion_time=dt.datetime(2024, 11, 25, 10, 15, 0),
            snapshot_time=OPEN_SNAPSHOT,
        ),
        GlobalTagSpec(
            name="140X_dataRun3_ReReco_v1",
            description="Re-reconstruction of 2024 data (frozen conditions)",
            entries=_entries(rereco),
            insertion_time=frozen,
            snapshot_time=frozen,
        ),
    )
