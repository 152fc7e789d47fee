"""ECAL crystal ids: the barrel (EB) and endcap (EE) crystal lists, vectorised.

ECAL payloads (pedestals, gains, laser corrections, ...) store one value per
crystal in a fixed order, not keyed by id, so a drawer must know that order
and each crystal's position to draw a map. This module builds both crystal
lists once, as read-only arrays, and converts between raw ids and positions.

Raw ids follow CMSSW ``EBDetId`` / ``EEDetId``: detector 3 (Ecal) in bits
28-31, sub-detector in bits 25-27 (1 barrel, 2 endcap), then

- EB: bit 16 set for ieta > 0, ``abs(ieta)`` in bits 9-15, ``iphi`` in bits 0-8;
  ieta in ±1..±85, iphi in 1..360: 61,200 crystals, listed in
  ``EBDetId::hashedIndex`` order
  ``(85 + (ieta - 1 if ieta > 0 else ieta)) * 360 + iphi - 1``
  (ieta = -85 first, iphi fastest).
- EE: bit 14 set for the plus side, ``ix`` in bits 7-13, ``iy`` in bits 0-6, on a
  100 x 100 (ix, iy) grid per side. 14,648 crystals, 7,324 per side.

The EE layout here is a realistic stand-in for the real crystal map, which
CMSSW holds as hand-made tables: an annulus around the grid centre
(50.5, 50.5), identical in the four quadrants and symmetric under ix ↔ iy,
with exactly 1,831 crystals per quadrant. The cut-offs come from ranking the
crystal centres of one quadrant by distance from the centre and cutting only
between distinct distances (never inside a group of equal distances, which
keeps the symmetry), choosing, among all cut pairs that leave exactly 1,831
crystals, the one whose outer radius is closest to 50 crystals (the grid's
half width). That gives crystals with centre distance d from the centre in
about 13.5 < d <= 50.1 crystal widths. EE crystals are listed by ascending raw
id: side -1 before +1, then ix, then iy.
"""

from __future__ import annotations

import functools
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "EB_CRYSTALS",
    "EE_CRYSTALS",
    "EE_CRYSTALS_PER_QUADRANT",
    "barrel_crystals",
    "barrel_hashed_index",
    "barrel_rawid",
    "decode_barrel",
    "decode_endcap",
    "endcap_annulus",
    "endcap_crystals",
    "endcap_index",
    "endcap_rawid",
]

ECAL = 3
EB_SUBDET, EE_SUBDET = 1, 2
MAX_IETA, MAX_IPHI = 85, 360
EB_CRYSTALS = 2 * MAX_IETA * MAX_IPHI
EE_GRID = 100
EE_CRYSTALS_PER_QUADRANT = 1831
EE_CRYSTALS = 8 * EE_CRYSTALS_PER_QUADRANT
EE_TARGET_OUTER_RADIUS = 50.0
"""The outer radius (in crystal widths) the EE annulus should come closest to."""

INT_DTYPE: np.dtype[np.int32] = np.dtype("<i4")
RAWID_DTYPE: np.dtype[np.uint32] = np.dtype("<u4")

IntArray: TypeAlias = npt.NDArray[np.int32]
RawIds: TypeAlias = npt.NDArray[np.uint32]

_EB_BASE = (ECAL << 28) | (EB_SUBDET << 25)
_EE_BASE = (ECAL << 28) | (EE_SUBDET << 25)


def _ints(values: npt.ArrayLike) -> IntArray:
    """Coerce to ``<i4``, refusing non-integers rather than truncating them."""
    array = np.asarray(values)
    if array.size and array.dtype.kind not in "ui":
        raise TypeError(f"expected integers, got dtype {array.dtype}")
    return array.astype(INT_DTYPE)


def _rawids(values: npt.ArrayLike) -> RawIds:
    """Coerce raw ids to ``<u4``, refusing values that do not fit 32 bits."""
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(array.shape, dtype=RAWID_DTYPE)
    if array.dtype.kind not in "ui":
        raise TypeError(f"raw ids must be integers, got dtype {array.dtype}")
    if int(array.min()) < 0 or int(array.max()) > 0xFFFFFFFF:
        raise ValueError("raw ids must fit an unsigned 32-bit integer")
    return array.astype(RAWID_DTYPE)


def _read_only(*arrays: npt.NDArray[np.generic]) -> None:
    """Freeze cached arrays: every caller shares them, so nobody may write."""
    for array in arrays:
        array.flags.writeable = False


def _first_bad(rawid: RawIds, bad: npt.NDArray[np.bool_], what: str) -> None:
    """Raise ``ValueError`` naming the first raw id flagged ``bad``."""
    if bad.any():
        first = int(rawid.ravel()[np.flatnonzero(bad.ravel())[0]])
        raise ValueError(f"raw id {first} is not {what}")


# --------------------------------------------------------------------------- barrel


def barrel_hashed_index(ieta: npt.ArrayLike, iphi: npt.ArrayLike) -> IntArray:
    """Position of each (ieta, iphi) crystal in ``barrel_crystals()`` order."""
    eta, phi = _ints(ieta), _ints(iphi)
    bad = (eta == 0) | (np.abs(eta) > MAX_IETA) | (phi < 1) | (phi > MAX_IPHI)
    if bad.any():
        raise ValueError("ieta must be in ±1..±85 and iphi in 1..360")
    return ((MAX_IETA + np.where(eta > 0, eta - 1, eta)) * MAX_IPHI + phi - 1).astype(INT_DTYPE)


def barrel_rawid(ieta: npt.ArrayLike, iphi: npt.ArrayLike) -> RawIds:
    """EB raw id of each (ieta, iphi) crystal; ``ValueError`` outside the barrel."""
    eta, phi = _ints(ieta), _ints(iphi)
    barrel_hashed_index(eta, phi)  # validates the ranges
    plus = (eta > 0).astype(RAWID_DTYPE)
    magnitude = np.abs(eta).astype(RAWID_DTYPE)
    raw = _EB_BASE | (plus << 16) | (magnitude << 9) | phi.astype(RAWID_DTYPE)
    return raw.astype(RAWID_DTYPE)


def decode_barrel(rawid: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """(ieta, iphi) of each EB raw id; ``ValueError`` names the first id that is not one."""
    ids = _rawids(rawid)
    magnitude = ((ids >> 9) & 0x7F).astype(INT_DTYPE)
    ieta = np.where((ids >> 16) & 1, magnitude, -magnitude).astype(INT_DTYPE)
    iphi = (ids & 0x1FF).astype(INT_DTYPE)
    header_ok = (ids >> 25) == (_EB_BASE >> 25)
    spare_ok = ((ids >> 17) & 0xFF) == 0
    range_ok = (magnitude >= 1) & (magnitude <= MAX_IETA) & (iphi >= 1) & (iphi <= MAX_IPHI)
    _first_bad(ids, ~(header_ok & spare_ok & range_ok), "an ECAL barrel crystal")
    return ieta, iphi


@functools.cache
def barrel_crystals() -> tuple[IntArray, IntArray, RawIds]:
    """(ieta, iphi, rawid) of the 61,200 EB crystals in hashed-index order.

    Hashed order is the order EB payloads store their per-crystal values in,
    so ``values[i]`` belongs to crystal ``i`` of these arrays.
    """
    index = np.arange(EB_CRYSTALS, dtype=INT_DTYPE)
    row = index // MAX_IPHI
    ieta = np.where(row < MAX_IETA, row - MAX_IETA, row - MAX_IETA + 1).astype(INT_DTYPE)
    iphi = (index % MAX_IPHI + 1).astype(INT_DTYPE)
    rawid = barrel_rawid(ieta, iphi)
    _read_only(ieta, iphi, rawid)
    return ieta, iphi, rawid


# --------------------------------------------------------------------------- endcap


@functools.cache
def _annulus_squared() -> tuple[int, int]:
    """(inner, outer) cut of the EE layout on the doubled squared distance.

    Doubling makes every crystal centre offset an odd integer, so distances
    are compared exactly and equal distances stay equal: the cut never splits
    a group of them, which is what keeps the layout symmetric.
    """
    offsets = 2 * np.arange(EE_GRID // 2 + 1, EE_GRID + 1, dtype=INT_DTYPE) - (EE_GRID + 1)
    squared = (offsets[:, None] ** 2 + offsets[None, :] ** 2).ravel()
    distinct, counts = np.unique(squared, return_counts=True)
    inside = np.cumsum(counts)  # crystals of a quadrant with squared distance <= distinct[i]
    hole = inside - EE_CRYSTALS_PER_QUADRANT  # crystals the inner cut must then remove
    below = np.searchsorted(inside, hole)  # the group an exact inner cut would end with
    ends_group = inside[np.minimum(below, len(inside) - 1)] == hole
    candidates = np.flatnonzero((hole == 0) | ((hole > 0) & ends_group))
    if candidates.size == 0:  # impossible for the 100 x 100 grid; kept as a guard
        raise RuntimeError("no annulus holds exactly the EE crystal count")
    outer_radius = np.sqrt(distinct[candidates]) / 2
    best = candidates[np.argmin(np.abs(outer_radius - EE_TARGET_OUTER_RADIUS))]
    inner = 0 if hole[best] == 0 else int(distinct[below[best]])
    return inner, int(distinct[best])


def endcap_annulus() -> tuple[float, float]:
    """(inner, outer) radius of the EE stand-in layout, in crystal widths.

    A crystal belongs to the layout when its centre's distance d from the grid
    centre (50.5, 50.5) is ``inner < d <= outer``; see the module docstring.
    """
    inner, outer = _annulus_squared()
    return float(np.sqrt(inner)) / 2, float(np.sqrt(outer)) / 2


def _in_annulus(ix: IntArray, iy: IntArray) -> npt.NDArray[np.bool_]:
    """Whether each (ix, iy) crystal centre lies in the EE stand-in annulus."""
    inner, outer = _annulus_squared()
    squared = (2 * ix - (EE_GRID + 1)) ** 2 + (2 * iy - (EE_GRID + 1)) ** 2
    return (squared > inner) & (squared <= outer)


def endcap_rawid(zside: npt.ArrayLike, ix: npt.ArrayLike, iy: npt.ArrayLike) -> RawIds:
    """EE raw id of each (zside, ix, iy); ``ValueError`` if a crystal is not in the layout."""
    side, x, y = _ints(zside), _ints(ix), _ints(iy)
    side, x, y = np.broadcast_arrays(side, x, y)
    on_grid = (np.abs(side) == 1) & (x >= 1) & (x <= EE_GRID) & (y >= 1) & (y <= EE_GRID)
    if not (on_grid & _in_annulus(x, y)).all():
        raise ValueError("(zside, ix, iy) outside the EE crystal layout")
    plus = (side > 0).astype(RAWID_DTYPE)
    raw = _EE_BASE | (plus << 14) | (x.astype(RAWID_DTYPE) << 7) | y.astype(RAWID_DTYPE)
    return raw.astype(RAWID_DTYPE)


def decode_endcap(rawid: npt.ArrayLike) -> tuple[IntArray, IntArray, IntArray]:
    """(zside, ix, iy) of each EE raw id; ``ValueError`` names the first id that is not one."""
    ids = _rawids(rawid)
    zside = np.where((ids >> 14) & 1, 1, -1).astype(INT_DTYPE)
    ix = ((ids >> 7) & 0x7F).astype(INT_DTYPE)
    iy = (ids & 0x7F).astype(INT_DTYPE)
    header_ok = (ids >> 25) == (_EE_BASE >> 25)
    spare_ok = ((ids >> 15) & 0x3FF) == 0
    grid_ok = (ix >= 1) & (ix <= EE_GRID) & (iy >= 1) & (iy <= EE_GRID)
    valid = header_ok & spare_ok & grid_ok & _in_annulus(ix, iy)
    _first_bad(ids, ~valid, "an ECAL endcap crystal of the layout")
    return zside, ix, iy


@functools.cache
def endcap_crystals() -> tuple[IntArray, IntArray, IntArray, RawIds]:
    """(zside, ix, iy, rawid) of the 14,648 EE crystals, by ascending raw id.

    Ascending raw id (side -1 first, then ix, then iy) lets ``endcap_index``
    find a crystal's position with a binary search.
    """
    grid = np.arange(1, EE_GRID + 1, dtype=INT_DTYPE)
    ix, iy = (a.ravel() for a in np.meshgrid(grid, grid, indexing="ij"))
    keep = _in_annulus(ix, iy)
    ix, iy = ix[keep], iy[keep]
    zside = np.repeat(np.array([-1, 1], dtype=INT_DTYPE), ix.size)
    ix, iy = np.tile(ix, 2), np.tile(iy, 2)
    rawid = endcap_rawid(zside, ix, iy)
    _read_only(zside, ix, iy, rawid)
    return zside, ix, iy, rawid


def endcap_index(rawid: npt.ArrayLike) -> IntArray:
    """Position of each EE raw id in ``endcap_crystals()`` order."""
    ids = _rawids(rawid)
    decode_endcap(ids)  # validates, naming the first bad id
    known = endcap_crystals()[3]
    return np.searchsorted(known, ids).astype(INT_DTYPE)
