"""The long beam-spot tag: a million PCL lumi IOVs over four years of running.

Opt-in (``inspector demo-db PATH --long-history``): what a CMS lumi-based tag
gathers over a few years, to exercise histories at CMS scale.  Each year is a
run calendar of its own (fills, a technical stop, a crossing-angle change:
:func:`~inspector.demo.calendar.make_calendar`) with its own true beam
(:func:`~inspector.demo.beamspot.beam_truth`), sampled per lumi block by
:func:`~inspector.demo.beamspot.pcl_by_lumi_tag`, so the beam spot jumps at
every year-end stop as well.  A payload lasts ~100 lumi IOVs on average.

The years are drawn on the 2024 calendar, then moved back by whole 52-week
periods and given earlier run numbers (below the demo's 2024 runs, and not in
``RUN_INFO``, like the 2016 legacy tag).

A few IOVs are *single-IOV outliers* (:data:`LONG_OUTLIERS`): one IOV whose
payload of its own is off by far more than the errors, between two ordinary
IOVs.  Tests look for them at the IOV indices :func:`outlier_iovs` gives.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.demo import beamspot
from inspector.demo.calendar import make_calendar
from inspector.demo.model import DATETIME_DTYPE, DemoTag, IovTable, content_rng

__all__ = [
    "LONG_HISTORY_IOVS",
    "LONG_OUTLIERS",
    "LONG_TAG",
    "LONG_YEARS",
    "MAX_IOVS",
    "MIN_IOVS",
    "Outlier",
    "long_history_tag",
    "outlier_iovs",
    "payload_count",
]

LONG_TAG: Final = "BeamSpotObjects_PCL_byLumi_long_v1"
#: IOVs of the full-size tag (``--long-history``).
LONG_HISTORY_IOVS: Final = 1_200_000
#: Fewest and most IOVs a long tag may be built with.
MIN_IOVS: Final = 4_000
MAX_IOVS: Final = 5_000_000
#: Lumi IOVs per payload on average (a fit changes every ~100 lumisections).
IOVS_PER_PAYLOAD: Final = 100
#: The years of running the tag spans, one calendar each.
LONG_YEARS: Final = (2020, 2021, 2022, 2023)
#: Run number of the first run of the first year; each year takes the next block.
FIRST_RUN: Final = 331_000
RUNS_PER_YEAR_BLOCK: Final = 12_000
#: Lumi IOVs per run on average (runs are added to the calendar to get there).
IOVS_PER_RUN: Final = 500
WEEK: Final = np.timedelta64(7 * 86400, "s")


@dataclass(frozen=True)
class Outlier:
    """A single-IOV outlier: at ``fraction`` of the tag, ``member`` moved by ``shift``."""

    fraction: float
    member: str  # a BeamSpotObjects member: "x", "y", "z" or "sigma_z"
    shift: float  # cm


#: Where the single-IOV outliers are (fraction of the IOV list; see :func:`outlier_iovs`).
LONG_OUTLIERS: Final = (
    Outlier(0.1, "x", 0.0200),
    Outlier(0.37, "y", -0.0150),
    Outlier(0.62, "z", 3.0),
    Outlier(0.88, "sigma_z", 1.5),
)

_POSITION: Final = {"x": 0, "y": 1, "z": 2}


def outlier_iovs(payload: npt.NDArray[np.int64]) -> list[int]:
    """Index (in since order) of each :data:`LONG_OUTLIERS` IOV, given the ordinary payloads.

    The first IOV at or after ``fraction`` of the list whose two neighbours
    share its payload: taking it away leaves that payload in use, and the
    outlier stands alone between two ordinary IOVs.
    """
    inside = np.flatnonzero((payload[1:-1] == payload[:-2]) & (payload[1:-1] == payload[2:])) + 1
    at = np.searchsorted(inside, [int(o.fraction * payload.size) for o in LONG_OUTLIERS])
    return [int(inside[i]) for i in at]


def long_history_tag(seed: int, n_iovs: int = LONG_HISTORY_IOVS) -> DemoTag:
    """The long tag with ``n_iovs`` lumi IOVs (at least 4,000), deterministic in ``seed``."""
    if not MIN_IOVS <= n_iovs <= MAX_IOVS:
        raise ValueError(f"a long history of {n_iovs} IOVs is not within {MIN_IOVS}..{MAX_IOVS}")
    per_year = _split(n_iovs)
    years = [_year(seed, n, i) for i, n in enumerate(per_year)]
    since = np.concatenate([y.iovs.since for y in years])
    inserted = np.concatenate([y.iovs.inserted for y in years])
    offsets = np.cumsum([0] + [y.payload_count for y in years])
    payload = np.concatenate([y.iovs.payload + o for y, o in zip(years, offsets, strict=False)])
    base = int(offsets[-1])
    at = outlier_iovs(payload)
    ordinary = payload[at].copy()
    payload[at] = base + np.arange(len(at))

    def values(i: int) -> Mapping[str, Any]:
        if i >= base:
            return _shifted(_ordinary(int(ordinary[i - base])), LONG_OUTLIERS[i - base])
        return _ordinary(i)

    def _ordinary(i: int) -> Mapping[str, Any]:
        year = int(np.searchsorted(offsets, i, side="right")) - 1
        found = years[year].payload(int(i - offsets[year]))
        assert isinstance(found, Mapping)  # the PCL tag shares no payload
        return found

    info = dataclasses.replace(
        years[0].info,
        name=LONG_TAG,
        description=f"Beam spot fitted per lumi block by the PCL over {len(LONG_YEARS)} "
        "years of running: the long history of the demo (fills, technical stops, "
        "a few single-IOV outliers)",
    )
    return DemoTag(info, IovTable(since, payload, inserted), base + len(at), values)


def payload_count(n_iovs: int) -> int:
    """Distinct payloads of a long tag of ``n_iovs``: ~1 per 100 IOVs a year, + the outliers."""
    return sum(n // IOVS_PER_PAYLOAD for n in _split(n_iovs)) + len(LONG_OUTLIERS)


def _split(total: int) -> list[int]:
    """IOVs per year: ``total`` shared out evenly."""
    parts = len(LONG_YEARS)
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _year(seed: int, n_iovs: int, index: int) -> DemoTag:
    """One year of the tag: its calendar, its true beam, its PCL lumi blocks."""
    rng = content_rng(seed, f"beamspot.long.{index}")
    runs = max(16, math.ceil(n_iovs / IOVS_PER_RUN))
    calendar = make_calendar(rng, runs, max(4, runs // 4))
    if int(calendar.run[-1] - calendar.run[0]) >= RUNS_PER_YEAR_BLOCK:
        raise ValueError(f"year {index}: {runs} runs need more than {RUNS_PER_YEAR_BLOCK} numbers")
    truth = beamspot.beam_truth(rng, calendar)
    tag = beamspot.pcl_by_lumi_tag(rng, calendar, truth, n_iovs, n_iovs // IOVS_PER_PAYLOAD)
    first_run = FIRST_RUN + index * RUNS_PER_YEAR_BLOCK
    # Back from 2024 by whole 52-week periods: weekdays (and fills' rhythm) stay.
    moved = (LONG_YEARS[index] - 2024) * 52 * WEEK
    since = tag.iovs.since - np.uint64(int(calendar.run[0]) << 32) + np.uint64(first_run << 32)
    iovs = IovTable(since, tag.iovs.payload, (tag.iovs.inserted + moved).astype(DATETIME_DTYPE))
    return DemoTag(tag.info, iovs, tag.payload_count, tag.payload)


def _shifted(normal: Mapping[str, Any], outlier: Outlier) -> Mapping[str, Any]:
    """An ordinary payload's members with one value moved far off."""
    values: dict[str, Any] = dict(normal)
    if outlier.member == "sigma_z":
        values["sigmaZ_"] = float(values["sigmaZ_"]) + outlier.shift
    else:
        position: npt.NDArray[np.float64] = np.array(values["position_"], np.float64)
        position[_POSITION[outlier.member]] += outlier.shift
        values["position_"] = position
    return values
