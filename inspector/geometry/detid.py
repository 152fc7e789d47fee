"""CMS tracker detector ids (detids): which sub-detector, which layer, how many strips.

Payloads key their values by 32-bit detid; drawers need to group them by
sub-detector, layer or ring, or normalise by strip count, for tens of thousands
of modules at once. Everything here is vectorised with numpy (no Python loop
over modules) and accepts a scalar or any array of unsigned 32-bit ids: a
Python or numpy integer gives a Python ``int`` back, an array or sequence gives
an array of the same shape.

Bit layout (as in CMSSW ``TrackerTopology``; Phase-1 pixel, strips unchanged
since Run 1). Every id starts with the detector in bits 28-31 (1 = Tracker)
and the sub-detector in bits 25-27:

=========  =====================================================================
sub-det    fields as ``name start-bit/mask``
=========  =====================================================================
1 BPix     layer 20/0xF, ladder 12/0xFF, module 2/0x3FF
2 FPix     side 23/0x3, disk 18/0xF, blade 12/0x3F, panel 10/0x3, module 2/0xFF
3 TIB      layer 14/0x7, stereo 0/0x3
4 TID      side 13/0x3, wheel 11/0x3, ring 9/0x3, stereo 0/0x3
5 TOB      layer 14/0x7, stereo 0/0x3
6 TEC      side 18/0x3, wheel 14/0xF, ring 5/0x7, stereo 0/0x3
=========  =====================================================================

``side`` is 1 for the minus (z < 0) end and 2 for the plus end; ``stereo`` is 1
for the stereo and 2 for the r-phi sensor of a double-sided module, 0 for a
single-sided one. Pixel ids of the older (Phase-0) detector, such as the 1,440
pixel polygons of the tracker map, use another pixel layout: their
sub-detector is right, their pixel fields are not.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, TypeAlias, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "BPIX",
    "FPIX",
    "SUBDETECTORS",
    "TEC",
    "TIB",
    "TID",
    "TOB",
    "field",
    "layer",
    "layer_or_ring",
    "partition_names",
    "ring",
    "side",
    "strips_per_module",
    "subdetector",
    "subdetector_names",
]

BPIX, FPIX, TIB, TID, TOB, TEC = 1, 2, 3, 4, 5, 6
TRACKER = 1
"""The detector code of the tracker in bits 28-31 of every tracker id."""

SUBDETECTORS: Mapping[int, str] = MappingProxyType(
    {BPIX: "BPix", FPIX: "FPix", TIB: "TIB", TID: "TID", TOB: "TOB", TEC: "TEC"}
)
"""Sub-detector code → name; code 0 means "not a tracker id"."""

STRIP_SUBDETECTORS = frozenset({TIB, TID, TOB, TEC})

UNKNOWN = "unknown"
RESULT_DTYPE: np.dtype[np.int32] = np.dtype("<i4")
DETID_DTYPE: np.dtype[np.uint32] = np.dtype("<u4")
NAME_DTYPE = np.dtype("<U7")


class Field(NamedTuple):
    """Where one field sits in a detid: ``(detid >> shift) & mask``."""

    shift: int
    mask: int


FIELDS: Mapping[int, Mapping[str, Field]] = MappingProxyType(
    {
        BPIX: {"layer": Field(20, 0xF), "ladder": Field(12, 0xFF), "module": Field(2, 0x3FF)},
        FPIX: {
            "side": Field(23, 0x3),
            "disk": Field(18, 0xF),
            "blade": Field(12, 0x3F),
            "panel": Field(10, 0x3),
            "module": Field(2, 0xFF),
        },
        TIB: {"layer": Field(14, 0x7), "stereo": Field(0, 0x3)},
        TID: {
            "side": Field(13, 0x3),
            "wheel": Field(11, 0x3),
            "ring": Field(9, 0x3),
            "stereo": Field(0, 0x3),
        },
        TOB: {"layer": Field(14, 0x7), "stereo": Field(0, 0x3)},
        TEC: {
            "side": Field(18, 0x3),
            "wheel": Field(14, 0xF),
            "ring": Field(5, 0x7),
            "stereo": Field(0, 0x3),
        },
    }
)
"""The bit layout per sub-detector, as data: the table in the module docstring."""

# Strips per module = 128 strips per APV readout chip x APVs, fixed by module type:
# (sub-detector, layer for barrels or ring for TID/TEC) -> strips.
STRIPS: Mapping[tuple[int, int], int] = MappingProxyType(
    {
        **{(TIB, n): 768 for n in (1, 2)},
        **{(TIB, n): 512 for n in (3, 4)},
        **{(TID, n): 768 for n in (1, 2)},
        (TID, 3): 512,
        **{(TOB, n): 512 for n in (1, 2, 3, 4)},
        **{(TOB, n): 768 for n in (5, 6)},
        **{(TEC, n): 768 for n in (1, 2, 5)},
        **{(TEC, n): 512 for n in (3, 4, 6, 7)},
    }
)

# Which field each sub-detector answers for layer() and layer_or_ring().
_LAYER = {BPIX: "layer", FPIX: "disk", TIB: "layer", TID: "wheel", TOB: "layer", TEC: "wheel"}
_LAYER_OR_RING = {BPIX: "layer", FPIX: "disk", TIB: "layer", TID: "ring", TOB: "layer", TEC: "ring"}
_RING = {TID: "ring", TEC: "ring"}
_SIDE = {FPIX: "side", TID: "side", TEC: "side"}

Scalar: TypeAlias = int | np.integer[Any]
DetIds: TypeAlias = npt.NDArray[np.integer[Any]] | Sequence[int]
IntArray: TypeAlias = npt.NDArray[np.int32]
StrArray: TypeAlias = npt.NDArray[np.str_]


# --------------------------------------------------------------------------- internals


def _as_detids(detid: Scalar | DetIds) -> npt.NDArray[np.uint32]:
    """Check the input is integral and fits 32 bits, then view it as ``<u4``.

    Checking here, once, is what lets every field extraction below be a plain
    shift-and-mask without silently wrapping negative or oversized values.
    """
    ids = np.asarray(detid)
    if ids.size == 0:
        return np.zeros(ids.shape, dtype=DETID_DTYPE)
    if ids.dtype.kind not in "ui":
        raise TypeError(f"detector ids must be integers, got dtype {ids.dtype}")
    if ids.dtype.kind == "i" or ids.dtype.itemsize > 4:
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high > 0xFFFFFFFF:
            bad = low if low < 0 else high
            raise ValueError(f"detector id {bad} does not fit an unsigned 32-bit integer")
    return ids.astype(DETID_DTYPE, copy=False)


def _subdetector_codes(ids: npt.NDArray[np.uint32]) -> IntArray:
    """Sub-detector code per id, 0 when the id is not a tracker id."""
    det = ids >> 28
    sub = ((ids >> 25) & 0x7).astype(RESULT_DTYPE)
    valid = (det == TRACKER) & (sub >= BPIX) & (sub <= TEC)
    return np.where(valid, sub, 0).astype(RESULT_DTYPE)


@functools.cache
def _tables(choice: tuple[tuple[int, str], ...]) -> tuple[IntArray, IntArray]:
    """Shift and mask per sub-detector code for the chosen field of each.

    A mask of 0 where a sub-detector has no such field makes the result 0 there,
    so one gather decodes a mixed array of ids without branching per module.
    """
    shifts = np.zeros(8, dtype=RESULT_DTYPE)
    masks = np.zeros(8, dtype=RESULT_DTYPE)
    for code, name in choice:
        bits = FIELDS[code][name]
        shifts[code], masks[code] = bits.shift, bits.mask
    return shifts, masks


def _extract(ids: npt.NDArray[np.uint32], choice: Mapping[int, str]) -> IntArray:
    """Decode, for each id, the field that ``choice`` names for its sub-detector."""
    shifts, masks = _tables(tuple(sorted(choice.items())))
    codes = _subdetector_codes(ids)
    values = (ids >> shifts[codes].astype(DETID_DTYPE)) & masks[codes].astype(DETID_DTYPE)
    return values.astype(RESULT_DTYPE)


def _scalar_or_array(result: IntArray, detid: Scalar | DetIds) -> int | IntArray:
    """Give a Python ``int`` back for a scalar input (usable as a dict key), else the array."""
    return int(result) if isinstance(detid, int | np.integer) else result


# --------------------------------------------------------------------------- public API


@overload
def subdetector(detid: Scalar) -> int: ...
@overload
def subdetector(detid: DetIds) -> IntArray: ...
def subdetector(detid: Scalar | DetIds) -> int | IntArray:
    """Sub-detector code (see ``SUBDETECTORS``), 0 for an id outside the tracker."""
    return _scalar_or_array(_subdetector_codes(_as_detids(detid)), detid)


@overload
def field(detid: Scalar, name: str) -> int: ...
@overload
def field(detid: DetIds, name: str) -> IntArray: ...
def field(detid: Scalar | DetIds, name: str) -> int | IntArray:
    """The named field of ``FIELDS`` for each id, 0 where its sub-detector has none.

    Raises ``KeyError`` for a name no sub-detector defines, because a typo
    would otherwise quietly give zeros.
    """
    choice = {code: name for code, fields in FIELDS.items() if name in fields}
    if not choice:
        known = sorted({n for fields in FIELDS.values() for n in fields})
        raise KeyError(f"unknown detid field {name!r}; known fields: {', '.join(known)}")
    return _scalar_or_array(_extract(_as_detids(detid), choice), detid)


@overload
def layer(detid: Scalar) -> int: ...
@overload
def layer(detid: DetIds) -> IntArray: ...
def layer(detid: Scalar | DetIds) -> int | IntArray:
    """Barrel layer, FPix disk or TID/TEC wheel (``TrackerTopology::layer`` meaning)."""
    return _scalar_or_array(_extract(_as_detids(detid), _LAYER), detid)


@overload
def ring(detid: Scalar) -> int: ...
@overload
def ring(detid: DetIds) -> IntArray: ...
def ring(detid: Scalar | DetIds) -> int | IntArray:
    """TID/TEC ring (1 innermost), 0 for every other sub-detector."""
    return _scalar_or_array(_extract(_as_detids(detid), _RING), detid)


@overload
def side(detid: Scalar) -> int: ...
@overload
def side(detid: DetIds) -> IntArray: ...
def side(detid: Scalar | DetIds) -> int | IntArray:
    """Endcap side: 1 minus (z < 0), 2 plus; 0 in the barrels, which have none."""
    return _scalar_or_array(_extract(_as_detids(detid), _SIDE), detid)


@overload
def layer_or_ring(detid: Scalar) -> int: ...
@overload
def layer_or_ring(detid: DetIds) -> IntArray: ...
def layer_or_ring(detid: Scalar | DetIds) -> int | IntArray:
    """The number that fixes a module's type: barrel layer, TID/TEC ring, FPix disk.

    Modules in the same sub-detector and layer (barrels) or ring (strip
    endcaps) are built alike, which is why drawers group and normalise by it.
    """
    return _scalar_or_array(_extract(_as_detids(detid), _LAYER_OR_RING), detid)


def subdetector_names(detids: Scalar | DetIds) -> StrArray:
    """Sub-detector name per id ("TIB", ...), "unknown" outside the tracker."""
    names = np.array([UNKNOWN, *SUBDETECTORS.values()], dtype=NAME_DTYPE)
    return np.asarray(names[_subdetector_codes(_as_detids(detids))])


def partition_names(detids: Scalar | DetIds) -> StrArray:
    """Partition per id: barrels by name, endcaps split by side ("TEC-", "TEC+").

    These are the partitions the strip tracker is operated and monitored in,
    so summaries per partition match what detector experts expect to see.
    """
    ids = _as_detids(detids)
    suffix = np.array(["", "-", "+", ""], dtype=NAME_DTYPE)[_extract(ids, _SIDE)]
    return np.char.add(subdetector_names(ids), suffix).astype(NAME_DTYPE)


@functools.cache
def _strip_table() -> IntArray:
    """``STRIPS`` as a (sub-detector, layer-or-ring) lookup array; 0 marks "no such module"."""
    table = np.zeros((8, 16), dtype=RESULT_DTYPE)
    for (code, number), strips in STRIPS.items():
        table[code, number] = strips
    table.flags.writeable = False
    return table


@overload
def strips_per_module(detid: Scalar) -> int: ...
@overload
def strips_per_module(detid: DetIds) -> IntArray: ...
def strips_per_module(detid: Scalar | DetIds) -> int | IntArray:
    """Number of silicon strips of each strip module (512 or 768).

    Raises ``ValueError`` naming the first id that is not a strip module of a
    known layer or ring: a wrong count would silently skew every per-strip
    normalisation built on it.
    """
    ids = _as_detids(detid)
    codes = _subdetector_codes(ids)
    position = _extract(ids, _LAYER_OR_RING)
    counts = _strip_table()[codes, position]
    bad = np.flatnonzero(counts.ravel() == 0)
    if bad.size:
        first = int(ids.ravel()[bad[0]])
        raise ValueError(
            f"detector id {first} is not a strip module of a known layer or ring "
            f"({SUBDETECTORS.get(int(codes.ravel()[bad[0]]), UNKNOWN)})"
        )
    return _scalar_or_array(counts, detid)
