"""Every detector layout by name, readable module names, and tracker partitions.

:class:`GeometryRegistry` is what drawers, renderers and the web layer ask for a
layout: ``registry.get("tracker_map")``. It holds the layouts shipped in the
package (:mod:`inspector.geometry.shipped`) plus every file that plugins
register through the ``register_geometries`` hook, each named after its file
stem (``fpix_disk1.txt`` → ``fpix_disk1``). So a new map is a data file in a
plugin, with no code change anywhere.

Names are fixed when the registry is built (no file is read then, except the
shipped file's list of names), so a clash between two sources fails at start-up
naming both. Polygons are read on first use, once, under a per-layout lock:
concurrent requests for a cold layout wait for one parse instead of each
doing it. A broken plugin file therefore fails only the plots that use it.

Partitions (:data:`PARTITIONS`, :data:`SIDED_PARTITIONS`) are the sub-detector
groups the tracker is operated and monitored in. They come from detid bits
alone, so they work for any layout and any payload keyed by detid: as a map
filter (:func:`filter_layout`) and as history series (:func:`partition_index`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from inspector.errors import GeometryFileError, InvalidParameter, NotFound
from inspector.geometry import detid as topo
from inspector.geometry import shipped
from inspector.geometry.detid import BPIX, FIELDS, FPIX, TEC, TIB, TID, TOB, Field
from inspector.geometry.loaders import layout_name, read_layout
from inspector.geometry.shipped import (
    COORD_DTYPE,
    ID_DTYPE,
    OFFSET_DTYPE,
    Layout,
)

__all__ = [
    "ALL",
    "PARTITIONS",
    "SIDED_PARTITIONS",
    "GeometryRegistry",
    "GeometrySources",
    "filter_layout",
    "partition_index",
    "partition_mask",
    "partition_of",
    "readable_names",
]

_T = TypeVar("_T")

INDEX_DTYPE: np.dtype[np.int8] = np.dtype("i1")
NAME_DTYPE = np.dtype("<U7")

# --------------------------------------------------------------------------- partitions

ALL: Final = "all"
"""The filter that keeps every module (what a drawer's partition choice defaults to)."""

PARTITIONS: Final = ("BPix", "FPix", "TIB", "TID", "TOB", "TEC")
"""Sub-detectors, in detid code order (code 1 = BPix ... 6 = TEC)."""

SIDED_PARTITIONS: Final = ("BPix", "FPix-", "FPix+", "TIB", "TID-", "TID+", "TOB", "TEC-", "TEC+")
"""Sub-detectors with the endcaps split by side (``-`` is z < 0), as
:func:`inspector.geometry.detid.partition_names` names them."""


def _index_tables() -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """Lookup tables: sub-detector code → partition, and (code, side) → sided partition.

    -1 marks "no partition": code 0 (not a tracker id) and endcap ids whose
    side field is neither 1 nor 2.
    """
    coarse = np.array([-1, *range(len(PARTITIONS))], dtype=INDEX_DTYPE)
    sided = np.full((len(PARTITIONS) + 1, 4), -1, dtype=INDEX_DTYPE)
    for code, name in topo.SUBDETECTORS.items():
        if f"{name}-" in SIDED_PARTITIONS:
            sided[code, 1] = SIDED_PARTITIONS.index(f"{name}-")
            sided[code, 2] = SIDED_PARTITIONS.index(f"{name}+")
        else:
            sided[code, :] = SIDED_PARTITIONS.index(name)
    for table in (coarse, sided):
        table.flags.writeable = False
    return coarse, sided


_COARSE, _SIDED = _index_tables()


def partition_index(detids: npt.ArrayLike, *, sides: bool = False) -> npt.NDArray[np.int8]:
    """For each id, its index in :data:`PARTITIONS` (or :data:`SIDED_PARTITIONS`), -1 if none.

    This is the form a history drawer wants: one pass over the payload gives
    every partition's series, e.g. the mean per partition is
    ``np.bincount(i[i >= 0], values[i >= 0], len(PARTITIONS)) / np.bincount(i[i >= 0], ...)``.
    Ids outside the tracker get -1 rather than an error, because payloads
    may mix detectors.
    """
    ids = np.asarray(detids)
    codes = np.asarray(topo.subdetector(ids), dtype=np.intp)
    if not sides:
        return np.asarray(_COARSE[codes])
    side = np.asarray(topo.side(ids), dtype=np.intp)
    return np.asarray(_SIDED[codes, side])


def partition_of(detids: npt.ArrayLike, *, sides: bool = False) -> npt.NDArray[np.str_]:
    """Partition name per id ("TIB", "TEC+" ...), ``"unknown"`` where there is none."""
    names = np.array([*(SIDED_PARTITIONS if sides else PARTITIONS), topo.UNKNOWN], dtype=NAME_DTYPE)
    return np.asarray(names[partition_index(detids, sides=sides)])


def partition_mask(detids: npt.ArrayLike, partition: str) -> npt.NDArray[np.bool_]:
    """Which ids belong to ``partition``: any name of either tuple, or ``"all"``.

    An unknown name is :class:`~inspector.errors.InvalidParameter` listing the
    known ones: the name normally comes straight from a user's map filter.
    """
    ids = np.asarray(detids)
    if partition == ALL:
        return np.ones(ids.shape, dtype=np.bool_)
    selected: npt.NDArray[np.bool_]
    if partition in PARTITIONS:
        selected = partition_index(ids) == PARTITIONS.index(partition)
        return selected
    if partition in SIDED_PARTITIONS:
        selected = partition_index(ids, sides=True) == SIDED_PARTITIONS.index(partition)
        return selected
    known = [ALL, *PARTITIONS, *(p for p in SIDED_PARTITIONS if p not in PARTITIONS)]
    raise InvalidParameter(
        "partition", f"unknown partition {partition!r}; known: {', '.join(known)}"
    )


def filter_layout(layout: Layout, partition: str) -> Layout:
    """The modules of ``layout`` in ``partition`` (see :func:`partition_mask`), as a new Layout.

    ``"all"`` gives ``layout`` itself. Otherwise the polygons are gathered
    with one index array (no loop over modules) and the result is named
    ``"<layout>:<partition>"``, so it cannot be mistaken for the full map.
    """
    if partition == ALL:
        return layout
    keep = np.flatnonzero(partition_mask(layout.ids, partition))
    counts = np.diff(layout.offsets)[keep].astype(OFFSET_DTYPE)
    offsets = np.zeros(len(keep) + 1, dtype=OFFSET_DTYPE)
    np.cumsum(counts, out=offsets[1:])
    gather = np.repeat(layout.offsets[keep] - offsets[:-1], counts) + np.arange(
        offsets[-1], dtype=OFFSET_DTYPE
    )
    ids = layout.ids[keep].astype(ID_DTYPE)
    x = layout.x[gather].astype(COORD_DTYPE)
    y = layout.y[gather].astype(COORD_DTYPE)
    for array in (ids, offsets, x, y):
        array.flags.writeable = False
    names = None if layout.names is None else tuple(layout.names[i] for i in keep.tolist())
    return Layout(f"{layout.name}:{partition}", ids, offsets, x, y, names)


# --------------------------------------------------------------------------- readable names

# Fields that ``detid.FIELDS`` leaves out because no drawer groups by them, but
# that a readable (and unique) module name needs. Bits as in CMSSW
# ``TrackerTopology`` (strip layout unchanged since Run 1). ``order`` is the
# TIB internal/external string, the TID back/front ring and the TEC back/front
# petal (1 = internal / back); a TIB or TOB ``zside`` is 1 for z < 0.
_NAMING_FIELDS: Mapping[int, Mapping[str, Field]] = MappingProxyType(
    {
        TIB: {
            "zside": Field(12, 0x3),
            "order": Field(10, 0x3),
            "string": Field(4, 0x3F),
            "module": Field(2, 0x3),
        },
        TID: {"order": Field(7, 0x3), "module": Field(2, 0x1F)},
        TOB: {"zside": Field(12, 0x3), "rod": Field(5, 0x7F), "module": Field(2, 0x7)},
        TEC: {"order": Field(12, 0x3), "petal": Field(8, 0xF), "module": Field(2, 0x7)},
    }
)

# The older (Phase-0) pixel detector, whose 1,440 modules the tracker map
# draws: ``detid`` decodes Phase-1 pixel ids only. A Phase-0 id has nothing in
# the bits where Phase-1 keeps its layer (BPix, 20-23) or disk (FPix, 18-21).
_PHASE0_FIELDS: Mapping[int, Mapping[str, Field]] = MappingProxyType(
    {
        BPIX: {"layer": Field(16, 0xF), "ladder": Field(8, 0xFF), "module": Field(2, 0x3F)},
        FPIX: {
            "side": Field(23, 0x3),
            "disk": Field(16, 0xF),
            "blade": Field(10, 0x3F),
            "panel": Field(8, 0x3),
            "module": Field(2, 0x3F),
        },
    }
)
_PHASE1_MARK: Mapping[int, Field] = MappingProxyType({BPIX: Field(20, 0xF), FPIX: Field(18, 0xF)})

_ENDCAP_SIDE = {1: "-", 2: "+"}
_Z_SIDE = {1: "z-", 2: "z+"}
_TIB_ORDER = {1: "int", 2: "ext"}
_BACK_FRONT = {1: "back", 2: "front"}
_STEREO = {0: "", 1: " stereo", 2: " rphi"}


def _bits(ids: npt.NDArray[np.uint32], where: Field) -> list[int]:
    """One field of every id, as Python ints ready for formatting."""
    values = (ids >> np.uint32(where.shift)) & np.uint32(where.mask)
    result: list[int] = values.tolist()
    return result


def _labels(values: list[int], table: Mapping[int, str], unknown: str) -> list[str]:
    """Values as words; an unexpected value stays visible (and names stay unique)."""
    return [table.get(v, unknown.format(v)) for v in values]


def _strip_names(code: int, ids: npt.NDArray[np.uint32]) -> list[str]:
    """``TIB L2 z- int S12 M3 stereo``, ``TEC+ W3 R5 back P4 M2`` ..."""
    fields = {**FIELDS[code], **_NAMING_FIELDS[code]}
    f = {name: _bits(ids, where) for name, where in fields.items()}
    ster = _labels(f["stereo"], _STEREO, " ster{}")
    if code == TIB:
        zside = _labels(f["zside"], _Z_SIDE, "z?{}")
        order = _labels(f["order"], _TIB_ORDER, "order{}")
        return [
            f"TIB L{a} {b} {c} S{d} M{e}{s}"
            for a, b, c, d, e, s in zip(
                f["layer"], zside, order, f["string"], f["module"], ster, strict=True
            )
        ]
    if code == TOB:
        zside = _labels(f["zside"], _Z_SIDE, "z?{}")
        return [
            f"TOB L{a} {b} R{c} M{d}{s}"
            for a, b, c, d, s in zip(f["layer"], zside, f["rod"], f["module"], ster, strict=True)
        ]
    side = _labels(f["side"], _ENDCAP_SIDE, "?{}")
    order = _labels(f["order"], _BACK_FRONT, "order{}")
    if code == TID:
        return [
            f"TID{a} W{b} R{c} {d} M{e}{s}"
            for a, b, c, d, e, s in zip(
                side, f["wheel"], f["ring"], order, f["module"], ster, strict=True
            )
        ]
    return [
        f"TEC{a} W{b} R{c} {d} P{e} M{g}{s}"
        for a, b, c, d, e, g, s in zip(
            side, f["wheel"], f["ring"], order, f["petal"], f["module"], ster, strict=True
        )
    ]


def _pixel_names(code: int, ids: npt.NDArray[np.uint32]) -> list[str]:
    """``BPix L1 Ld5 M3`` / ``FPix- D1 B12 P2 M3`` from Phase-0 or Phase-1 bits."""
    mark = _PHASE1_MARK[code]
    phase1 = ((ids >> np.uint32(mark.shift)) & np.uint32(mark.mask)) != 0
    names = [""] * len(ids)
    for is_phase1 in (False, True):
        rows = np.flatnonzero(phase1 == is_phase1)
        if rows.size == 0:
            continue
        table = FIELDS[code] if is_phase1 else _PHASE0_FIELDS[code]
        f = {name: _bits(ids[rows], where) for name, where in table.items()}
        if code == BPIX:
            made = [
                f"BPix L{a} Ld{b} M{c}"
                for a, b, c in zip(f["layer"], f["ladder"], f["module"], strict=True)
            ]
        else:
            side = _labels(f["side"], _ENDCAP_SIDE, "?{}")
            made = [
                f"FPix{a} D{b} B{c} P{d} M{e}"
                for a, b, c, d, e in zip(
                    side, f["disk"], f["blade"], f["panel"], f["module"], strict=True
                )
            ]
        for row, name in zip(rows.tolist(), made, strict=True):
            names[row] = name
    return names


def readable_names(detids: npt.ArrayLike) -> tuple[str, ...]:
    """A readable name for each id, for hover text and tables.

    Phase-1 pixel modules get their official name from the shipped pixel
    module list (``BPix_BmI_SEC3_LYR1_LDR3F_MOD4``); other tracker ids a name
    built from their detid fields (``TIB L2 z- int S12 M3 stereo``,
    ``TEC+ W3 R5 back P4 M2``, Phase-0 pixels ``BPix L1 Ld5 M3``); ids outside
    the tracker their decimal value. Every field a strip or Phase-0 pixel id
    has is in its name, so distinct ids give distinct names; should two ever
    coincide (stray bits), both get their detid appended.
    """
    ids = np.asarray(detids)
    codes = np.asarray(topo.subdetector(ids))
    ids = ids.astype(ID_DTYPE).ravel()
    codes = codes.ravel()
    names: list[str] = [str(v) for v in ids.tolist()]
    for code in (TIB, TID, TOB, TEC, BPIX, FPIX):
        rows = np.flatnonzero(codes == code)
        if rows.size == 0:
            continue
        make = _strip_names if code in topo.STRIP_SUBDETECTORS else _pixel_names
        for row, name in zip(rows.tolist(), make(code, ids[rows]), strict=True):
            names[row] = name
    pixel_ids, pixel_names = shipped.pixel_modules()
    where = np.searchsorted(pixel_ids, ids)
    where = np.minimum(where, len(pixel_ids) - 1)
    for row in np.flatnonzero(pixel_ids[where] == ids).tolist():
        names[row] = pixel_names[int(where[row])]
    return _disambiguate(names, ids)


def _disambiguate(names: list[str], ids: npt.NDArray[np.uint32]) -> tuple[str, ...]:
    """Append the detid to any name shared by different ids, so hover text never lies."""
    seen: dict[str, int] = {}
    clash: set[str] = set()
    for name, detid in zip(names, ids.tolist(), strict=True):
        if seen.setdefault(name, detid) != detid:
            clash.add(name)
    if not clash:
        return tuple(names)
    return tuple(
        f"{name} [{detid}]" if name in clash else name
        for name, detid in zip(names, ids.tolist(), strict=True)
    )


# --------------------------------------------------------------------------- the registry


class GeometrySources(Protocol):
    """What :meth:`GeometryRegistry.from_plugins` needs: ``Plugins`` has it."""

    @property
    def geometry_files(self) -> Sequence[Path]:
        """Layout files registered by plugins."""
        ...


@dataclass(frozen=True)
class _Source:
    """Where one layout comes from: the shipped file (``path`` None) or a plugin file."""

    name: str
    path: Path | None

    def describe(self) -> str:
        """How messages name the source."""
        return "the shipped geometry" if self.path is None else f"file {self.path}"

    def load(self) -> Layout:
        """Read the polygons (called once per layout, under its lock)."""
        if self.path is None:
            return shipped.load_layout(self.name)
        return read_layout(self.path, self.name)


class GeometryRegistry:
    """Layouts by name: the shipped ones plus files registered by plugins.

    Thread-safe: lookups of loaded layouts take no lock; a layout (or its
    module names) is computed once, by the first caller, while others asking
    for the same name wait for that result.
    """

    def __init__(self, files: Iterable[Path | str] = ()) -> None:
        """Register the shipped layouts and ``files`` (each named by its stem).

        Raises :class:`GeometryFileError` for a file name that is not a valid
        layout name, or for a name two sources define, naming both. The same
        file registered twice is one source, not a clash.
        """
        sources: dict[str, _Source] = {name: _Source(name, None) for name in shipped.layout_names()}
        for item in files:
            path = Path(item)
            source = _Source(layout_name(path), path)
            old = sources.get(source.name)
            if old is None:
                sources[source.name] = source
            elif not _same_file(old.path, path):
                raise GeometryFileError(
                    f"geometry layout {source.name!r} is defined twice: by {old.describe()} "
                    f"and by {source.describe()}; rename one of the files"
                )
        self._sources: Mapping[str, _Source] = MappingProxyType(sources)
        self._layouts: dict[str, Layout] = {}
        self._module_names: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    @classmethod
    def from_plugins(cls, plugins: GeometrySources) -> GeometryRegistry:
        """The registry for loaded plugins: shipped layouts plus ``plugins.geometry_files``."""
        return cls(plugins.geometry_files)

    def names(self) -> tuple[str, ...]:
        """Every layout name: shipped ones first, then plugin files in registration order."""
        return tuple(self._sources)

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def source(self, name: str) -> str:
        """Where layout ``name`` comes from (``"shipped"`` or the file path), for provenance."""
        path = self._source(name).path
        return "shipped" if path is None else str(path)

    def get(self, name: str) -> Layout:
        """The layout ``name``; :class:`NotFound` listing the known names for any other.

        A plugin file is read on the first call; a problem in it is a
        :class:`GeometryFileError` naming the file and line (not cached, so a
        fixed file is picked up by the next call).
        """
        layout = self._layouts.get(name)
        if layout is not None:
            return layout
        source = self._source(name)
        return self._once("layout", name, self._layouts, source.load)

    def module_names(self, name: str) -> tuple[str, ...]:
        """One readable name per polygon of layout ``name``, in its id order.

        The names the layout file gives where it has them (vertices format);
        otherwise names made from the ids (see :func:`readable_names`), e.g.
        for the tracker map, whose source has none.
        """
        names = self._module_names.get(name)
        if names is not None:
            return names
        layout = self.get(name)
        given = layout.names

        def compute() -> tuple[str, ...]:
            return given if given is not None else readable_names(layout.ids)

        return self._once("names", name, self._module_names, compute)

    def check(self) -> None:
        """Load every layout now, so a broken plugin file fails here (start-up, tests)."""
        for name in self._sources:
            self.get(name)

    # ----------------------------------------------------------------------- internals

    def _source(self, name: str) -> _Source:
        try:
            return self._sources[name]
        except KeyError:
            raise NotFound(
                f"no geometry layout named {name!r}; known layouts: {', '.join(self._sources)}"
            ) from None

    def _once(self, kind: str, name: str, cache: dict[str, _T], compute: Callable[[], _T]) -> _T:
        """Compute ``cache[name]`` once however many threads ask at the same time."""
        with self._lock:
            key_lock = self._key_locks.setdefault((kind, name), threading.Lock())
        with key_lock:
            value = cache.get(name)
            if value is None:
                value = compute()
                with self._lock:
                    cache[name] = value
            return value


def _same_file(a: Path | None, b: Path) -> bool:
    """Whether two registered paths name one file (compared without touching the disk)."""
    return a is not None and a.absolute() == b.absolute()
