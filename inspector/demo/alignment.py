"""Tracker alignment tags: position and orientation of all ~17,000 modules.

Nominal positions come from the detector topology encoded in each real
detid (barrel layer radii, endcap disk positions, the module's ladder, rod,
string or petal for phi, its module number for z), so a 3-d or r-phi plot
looks like the tracker.  On top sit a fixed per-module misalignment (what
alignment measures), coherent movements of large structures (pixel
half-barrels shift by 50-150 µm and rotate by tens of µrad after each magnet
cycle, everything else drifts by microns) and per-IOV statistical scatter.
The prompt tag is noisy and, once, late: its first IOV after the technical
stop missed the half-barrel movement and was corrected by a second insertion
at the same ``since``.  The re-reconstruction tag is smoother.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.cmssw import alignment as tracker_alignment
from inspector.conddb.timetypes import TimeType
from inspector.demo.calendar import RunCalendar
from inspector.demo.model import DemoTag, IovTable, TagInfo, payload_rng
from inspector.geometry import detid as topo
from inspector.geometry.shipped import pixel_modules, strip_module_ids

__all__ = [
    "PROMPT_TAG",
    "RERECO_TAG",
    "AlignmentModel",
    "alignment_model",
    "nominal_geometry",
    "prompt_tag",
    "rereco_tag",
    "structure_history",
]

PROMPT_TAG: Final = "TrackerAlignment_prompt_v1"
RERECO_TAG: Final = "TrackerAlignment_rereco_v1"
OBJECT_TYPE: Final = "Alignments"

UM: Final = 1.0e-4  # one micrometre in cm
URAD: Final = 1.0e-6
ID_DTYPE: Final = np.dtype("<u4")

# Barrel layer radii and endcap disk |z| (cm), indexed by layer / disk / wheel.
BPIX_RADIUS: Final = (2.9, 6.8, 10.9, 16.0)
BPIX_MODULE_PITCH: Final = 6.65
TIB_RADIUS: Final = (25.5, 33.9, 41.9, 49.8)
TIB_MODULE_PITCH: Final = 21.0
TOB_RADIUS: Final = (60.8, 69.2, 78.0, 86.8, 96.5, 108.0)
TOB_MODULE_PITCH: Final = 18.2
FPIX_Z: Final = (29.1, 39.6, 51.6)
FPIX_INNER_BLADES: Final = 22
FPIX_RADIUS: Final = (7.5, 12.8)  # inner, outer ring
TID_Z: Final = (77.0, 90.0, 103.0)
TID_RADIUS: Final = (28.0, 37.0, 46.5)
TEC_Z: Final = (124.0, 138.0, 152.0, 166.0, 180.0, 198.0, 219.5, 245.0, 280.0)
TEC_RADIUS: Final = (26.0, 32.5, 40.0, 49.0, 61.0, 76.0, 96.5)
STEREO_ANGLE: Final = 0.1

# Bit fields used for phi and z that ``inspector.geometry.detid`` does not
# name (it names those that select a module type): (shift, mask).
STRING: Final = {topo.TIB: (4, 0x3F), topo.TOB: (5, 0x7F)}
INNER_OUTER: Final = {topo.TIB: (10, 0x3)}
FORWARD_BACKWARD: Final = {topo.TIB: (12, 0x3), topo.TOB: (12, 0x3), topo.TID: (7, 0x3),
                           topo.TEC: (12, 0x3)}  # fmt: skip
MODULE: Final = {topo.TIB: (2, 0x3), topo.TOB: (2, 0x7), topo.TID: (2, 0x1F), topo.TEC: (2, 0x7)}
PETAL: Final = {topo.TEC: (8, 0xF)}

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: Order of the six alignment parameters in the arrays below.
PARAMETERS: Final = ("x", "y", "z", "alpha", "beta", "gamma")


def _bits(ids: npt.NDArray[np.uint32], where: Mapping[int, tuple[int, int]], sub: int) -> Ints:
    shift, mask = where[sub]
    return ((ids >> np.uint32(shift)) & np.uint32(mask)).astype(np.int64)


def _phi_slots(group: Ints, key: Ints) -> tuple[Ints, Ints]:
    """Rank of each ``key`` among the distinct keys of its ``group``, and their number.

    Modules sharing a key (the two sensors of a double-sided module) share a
    slot, so they end up at the same phi.
    """
    pairs = np.unique(np.stack([group, key], axis=1), axis=0)
    slot = np.searchsorted(pairs[:, 0] * (1 << 32) + pairs[:, 1], group * (1 << 32) + key)
    groups, first, count = np.unique(pairs[:, 0], return_index=True, return_counts=True)
    where = np.searchsorted(groups, group)
    return (slot - first[where]).astype(np.int64), count[where].astype(np.int64)


def _phi(group: Ints, key: Ints) -> Floats:
    rank, count = _phi_slots(group, key)
    return 2.0 * np.pi * (rank + 0.5) / count


def nominal_geometry(ids: npt.NDArray[np.uint32]) -> Floats:
    """(n, 6) nominal x, y, z (cm) and alpha, beta, gamma (rad) of tracker modules.

    Not the exact CMS geometry, but every module sits on its real layer or
    disk at a phi and z derived from its id fields.
    """
    sub = np.asarray(topo.subdetector(ids), dtype=np.int64)
    out = np.zeros((ids.size, 6))
    for code, place in _PLACERS.items():
        mask = sub == code
        if mask.any():
            out[mask] = place(ids[mask])
    unknown = ~np.isin(sub, list(_PLACERS))
    if unknown.any():
        raise ValueError(f"detector id {int(ids[unknown][0])} is not a tracker module")
    return out


def _barrel(radius: Floats, phi: Floats, z: Floats, stereo: Ints) -> Floats:
    """Position and angles of barrel modules: sensors parallel to the beam."""
    r = radius + 0.2 * (stereo == 1) - 0.2 * (stereo == 2)
    gamma = np.angle(np.exp(1j * (phi + STEREO_ANGLE * (stereo == 1))))
    return np.stack(
        [r * np.cos(phi), r * np.sin(phi), z, np.full(phi.size, np.pi / 2), np.zeros(phi.size),
         gamma], axis=1,
    )  # fmt: skip


def _disk(radius: Floats, phi: Floats, z: Floats, stereo: Ints) -> Floats:
    """Position and angles of endcap modules: sensors perpendicular to the beam."""
    gamma = np.angle(np.exp(1j * (phi + STEREO_ANGLE * (stereo == 1))))
    return np.stack(
        [radius * np.cos(phi), radius * np.sin(phi), z, np.zeros(phi.size), np.zeros(phi.size),
         gamma], axis=1,
    )  # fmt: skip


def _side_sign(side: npt.NDArray[np.integer[Any]]) -> Floats:
    return np.where(side == 1, -1.0, 1.0)


def _place_bpix(ids: npt.NDArray[np.uint32]) -> Floats:
    layer = topo.field(ids, "layer")
    ladder = topo.field(ids, "ladder").astype(np.int64)
    module = topo.field(ids, "module")
    radius = np.asarray(BPIX_RADIUS)[layer - 1] + 0.25 * (ladder % 2)
    phi = _phi(layer.astype(np.int64), ladder)
    z = (module - 4.5).astype(np.float64) * BPIX_MODULE_PITCH
    return _barrel(radius, phi, z, np.zeros(ids.size, dtype=np.int64))


def _place_fpix(ids: npt.NDArray[np.uint32]) -> Floats:
    side, disk = topo.field(ids, "side"), topo.field(ids, "disk")
    blade, panel = topo.field(ids, "blade").astype(np.int64), topo.field(ids, "panel")
    outer = (blade > FPIX_INNER_BLADES).astype(np.int64)
    radius = np.asarray(FPIX_RADIUS)[outer]
    phi = _phi(outer, blade)
    z = _side_sign(side) * (np.asarray(FPIX_Z)[disk - 1] + 0.4 * (panel - 1.5))
    return _disk(radius, phi, z, np.zeros(ids.size, dtype=np.int64))


def _place_tib(ids: npt.NDArray[np.uint32]) -> Floats:
    layer = topo.field(ids, "layer").astype(np.int64)
    side, inner = _bits(ids, FORWARD_BACKWARD, topo.TIB), _bits(ids, INNER_OUTER, topo.TIB)
    string, module = _bits(ids, STRING, topo.TIB), _bits(ids, MODULE, topo.TIB)
    radius = np.asarray(TIB_RADIUS)[layer - 1] + 0.6 * (inner - 1.5)
    phi = _phi(layer * 4 + side, string * 4 + inner)
    z = _side_sign(side) * (module - 0.5) * TIB_MODULE_PITCH
    return _barrel(radius, phi, z, topo.field(ids, "stereo").astype(np.int64))


def _place_tob(ids: npt.NDArray[np.uint32]) -> Floats:
    layer = topo.field(ids, "layer").astype(np.int64)
    side, rod = _bits(ids, FORWARD_BACKWARD, topo.TOB), _bits(ids, STRING, topo.TOB)
    module = _bits(ids, MODULE, topo.TOB)
    radius = np.asarray(TOB_RADIUS)[layer - 1] + 0.8 * (rod % 2)
    phi = _phi(layer * 4 + side, rod)
    z = _side_sign(side) * (module - 0.5) * TOB_MODULE_PITCH
    return _barrel(radius, phi, z, topo.field(ids, "stereo").astype(np.int64))


def _place_tid(ids: npt.NDArray[np.uint32]) -> Floats:
    side, wheel = topo.field(ids, "side"), topo.field(ids, "wheel")
    ring = topo.field(ids, "ring").astype(np.int64)
    front, module = _bits(ids, FORWARD_BACKWARD, topo.TID), _bits(ids, MODULE, topo.TID)
    group = (side.astype(np.int64) * 4 + wheel) * 4 + ring
    phi = _phi(group, module * 4 + front)
    z = _side_sign(side) * (np.asarray(TID_Z)[wheel - 1] + 1.5 * (front - 1.5))
    stereo = topo.field(ids, "stereo").astype(np.int64)
    return _disk(np.asarray(TID_RADIUS)[ring - 1], phi, z, stereo)


def _place_tec(ids: npt.NDArray[np.uint32]) -> Floats:
    side, wheel = topo.field(ids, "side"), topo.field(ids, "wheel")
    ring = topo.field(ids, "ring").astype(np.int64)
    front, petal = _bits(ids, FORWARD_BACKWARD, topo.TEC), _bits(ids, PETAL, topo.TEC)
    module = _bits(ids, MODULE, topo.TEC)
    group = (side.astype(np.int64) * 16 + wheel) * 8 + ring
    phi = _phi(group, (petal * 4 + front) * 8 + module)
    z = _side_sign(side) * (np.asarray(TEC_Z)[wheel - 1] + 1.8 * (front - 1.5))
    stereo = topo.field(ids, "stereo").astype(np.int64)
    return _disk(np.asarray(TEC_RADIUS)[ring - 1], phi, z, stereo)


_PLACERS: Final = {
    topo.BPIX: _place_bpix,
    topo.FPIX: _place_fpix,
    topo.TIB: _place_tib,
    topo.TID: _place_tid,
    topo.TOB: _place_tob,
    topo.TEC: _place_tec,
}


# --------------------------------------------------------------------------- movements


@dataclass(frozen=True, eq=False)
class AlignmentModel:
    """Modules, their nominal and true static positions, and large structures.

    ``structure[i]`` numbers the large structure module ``i`` belongs to:
    the two BPix half-barrels (x < 0, x > 0), the two FPix half-cylinders
    per side, then TIB, TOB, TID-/+ and TEC-/+.
    """

    detid: npt.NDArray[np.uint32]
    nominal: Floats  # (n, 6)
    static: Floats  # (n, 6): the module's true offset from nominal
    structure: Ints
    seed: int

    @property
    def n_structures(self) -> int:
        """Number of large structures."""
        return int(self.structure.max()) + 1

    def positions(self, offsets: Floats, scatter: float, index: int) -> Floats:
        """(n, 6) module parameters given (n_structures, 6) structure offsets.

        Structure rotations about z also move module positions (a rigid
        rotation); ``scatter`` scales the per-module statistical noise, drawn
        from payload ``index``'s own stream.
        """
        per_module = offsets[self.structure]
        out = self.nominal + self.static + per_module
        x, y = self.nominal[:, 0], self.nominal[:, 1]
        out[:, 0] -= per_module[:, 5] * y
        out[:, 1] += per_module[:, 5] * x
        sigma = np.array([UM, UM, 1.5 * UM, 5 * URAD, 5 * URAD, 5 * URAD]) * scatter
        out += payload_rng(self.seed, index).normal(0.0, 1.0, out.shape) * sigma
        return out

    def values(self, parameters: Floats) -> Mapping[str, Any]:
        """Alignments members for (n, 6) module parameters (angles as the Euler angles)."""
        return tracker_alignment.members(self.detid, parameters)


def _structures(detid: npt.NDArray[np.uint32], nominal: Floats) -> Ints:
    sub = np.asarray(topo.subdetector(detid), dtype=np.int64)
    side = np.asarray(topo.side(detid), dtype=np.int64)
    plus_x = (nominal[:, 0] > 0).astype(np.int64)
    strips = {topo.TIB: 6, topo.TOB: 7, topo.TID: 8, topo.TEC: 10}
    out = np.zeros(detid.size, dtype=np.int64)
    out[sub == topo.BPIX] = plus_x[sub == topo.BPIX]
    fpix = sub == topo.FPIX
    out[fpix] = 2 + 2 * (side[fpix] - 1) + plus_x[fpix]
    for code, first in strips.items():
        mask = sub == code
        out[mask] = first + np.maximum(side[mask] - 1, 0)
    return out


def alignment_model(rng: np.random.Generator) -> AlignmentModel:
    """All strip and Phase-1 pixel modules, ordered by detid, with static offsets."""
    ids = np.concatenate([strip_module_ids(), pixel_modules()[0]]).astype(ID_DTYPE)
    ids.sort()
    nominal = nominal_geometry(ids)
    pixel = np.isin(topo.subdetector(ids), [topo.BPIX, topo.FPIX])
    sigma = np.where(
        pixel[:, None],
        np.array([8 * UM, 8 * UM, 12 * UM, 40 * URAD, 40 * URAD, 30 * URAD]),
        np.array([25 * UM, 25 * UM, 40 * UM, 80 * URAD, 80 * URAD, 60 * URAD]),
    )
    static = rng.normal(0.0, 1.0, nominal.shape) * sigma
    seed = int(rng.integers(1 << 62))
    return AlignmentModel(ids, nominal, static, _structures(ids, nominal), seed)


def structure_history(rng: np.random.Generator, calendar: RunCalendar, n_structures: int) -> Floats:
    """True structure offsets per run: (n_runs, n_structures, 6).

    Pixel structures jump by 50-150 µm and 10-100 µrad at every magnet cycle
    and random-walk by about a micron per run; strip structures move less.
    """
    n_runs = len(calendar)
    pixel = np.arange(n_structures) < 6
    drift = np.where(
        pixel[:, None],
        np.array([0.8 * UM, 0.8 * UM, 1.2 * UM, 1 * URAD, 1 * URAD, 1.5 * URAD]),
        np.array([0.2 * UM, 0.2 * UM, 0.3 * UM, 0.3 * URAD, 0.3 * URAD, 0.3 * URAD]),
    )
    steps = rng.normal(0.0, 1.0, (n_runs, n_structures, 6)) * drift
    for run in calendar.magnet_cycles:
        size = np.where(pixel, rng.uniform(50, 150, n_structures), rng.uniform(3, 15, n_structures))
        direction = rng.normal(0.0, 1.0, (n_structures, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        steps[run, :, :3] += direction * size[:, None] * UM
        turn = np.where(pixel, rng.uniform(10, 100, n_structures), rng.uniform(2, 10, n_structures))
        steps[run, :, 3:] += rng.choice([-1.0, 1.0], (n_structures, 3)) * turn[:, None] * URAD
    steps[0] = 0.0
    return np.cumsum(steps, axis=0)


def _runs_with(rng: np.random.Generator, calendar: RunCalendar, n_iovs: int, spread: bool) -> Ints:
    """``n_iovs`` sorted run indices: the first run, each magnet cycle, then others."""
    forced = np.unique(np.r_[0, list(calendar.magnet_cycles)])
    others = np.setdiff1d(np.arange(len(calendar)), forced)
    extra = n_iovs - forced.size
    if not 0 <= extra <= others.size:
        raise ValueError(f"{n_iovs} alignment IOVs do not fit {len(calendar)} runs")
    if spread:
        picks = others[np.linspace(0, others.size - 1, extra).round().astype(np.int64)]
    else:
        picks = rng.choice(others, extra, replace=False)
    return np.sort(np.r_[forced, picks]).astype(np.int64)


def prompt_tag(
    rng: np.random.Generator,
    calendar: RunCalendar,
    model: AlignmentModel,
    history: Floats,
    n_iovs: int,
) -> DemoTag:
    """Prompt alignment, one IOV per selected run, uploaded within hours.

    Structure positions carry the prompt fit's few-micron uncertainty.  Its
    IOV at the first magnet cycle was first computed with the previous
    structure positions; a corrected payload was inserted at the same since
    two days later (so "latest insertion wins" and snapshots can be tested).
    """
    runs = _runs_with(rng, calendar, n_iovs, spread=False)
    late = int(np.searchsorted(runs, calendar.magnet_cycles[0]))
    fit = np.array([2 * UM, 2 * UM, 3 * UM, 4 * URAD, 4 * URAD, 6 * URAD])
    stale = history[runs] + rng.normal(0.0, 1.0, (n_iovs, *history.shape[1:])) * fit
    stale[late] = history[runs[late] - 1]
    uploaded = calendar.end[runs] + (rng.uniform(0.5, 4.0, n_iovs) * 3600).astype("timedelta64[s]")
    corrected = uploaded[late] + np.timedelta64(2 * 86400 + 3 * 3600, "s")
    structures = np.concatenate([stale, history[runs[late]][None]])

    def values(i: int) -> Mapping[str, Any]:
        return model.values(model.positions(structures[i], 1.0, i))

    info = TagInfo(
        name=PROMPT_TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="prompt",
        description="Tracker alignment from the prompt calibration loop; the IOV after "
        "the first magnet cycle was corrected by a later insertion",
    )
    since = calendar.run[np.r_[runs, runs[late]]].astype(np.uint64)
    iovs = IovTable(since, np.arange(n_iovs + 1), np.r_[uploaded, corrected])
    return DemoTag(info, iovs, n_iovs + 1, values)


RERECO_UPLOAD: Final = np.datetime64("2024-11-18T09:30:00", "s")
REPROCESSED: Final = 1_000_000


def rereco_tag(
    rng: np.random.Generator,
    calendar: RunCalendar,
    model: AlignmentModel,
    history: Floats,
    n_iovs: int,
) -> DemoTag:
    """Re-reconstruction alignment: evenly spread IOVs, months later, less scatter.

    Given the same structure history as the prompt tag, it follows the same
    movements without the prompt fit's structure-level noise.
    """
    runs = _runs_with(rng, calendar, n_iovs, spread=True)
    uploaded = RERECO_UPLOAD + (np.arange(n_iovs) * 11 * 60).astype("timedelta64[s]")

    def values(i: int) -> Mapping[str, Any]:
        return model.values(model.positions(history[runs[i]], 0.3, REPROCESSED + i))

    info = TagInfo(
        name=RERECO_TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="offline",
        description="Tracker alignment for the 2024 re-reconstruction (module-level "
        "alignment with the full year's tracks)",
    )
    since = calendar.run[runs].astype(np.uint64)
    return DemoTag(info, IovTable(since, np.arange(n_iovs), uploaded), n_iovs, values)
