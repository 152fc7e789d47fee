"""The detector geometry shipped inside the package (``data/cms_geometry.npz``).

The file is derived from the real CMS tracker map by ``tools/derive_geometry.py``
(see ``docs/geometry.md``); users never need the reference data it came from.
It is read once, lazily, through ``importlib.resources`` (so it works from a
wheel or a zip too) with ``allow_pickle=False``: it holds numbers only, and a
data file must never be able to run code. Every array handed out is read-only
because it is shared by every caller.

Layouts are discovered from the file's own ``layouts`` list, so a layout added
to the file needs no code change here.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt

from inspector.errors import GeometryFileError
from inspector.geometry.detid import STRIP_SUBDETECTORS, subdetector

__all__ = [
    "Layout",
    "layout_names",
    "load_layout",
    "pixel_modules",
    "provenance",
    "strip_module_ids",
]

PACKAGE = "inspector.geometry"
RESOURCE = "data/cms_geometry.npz"
FORMAT_VERSION = 1

ID_DTYPE: np.dtype[np.uint32] = np.dtype("<u4")
OFFSET_DTYPE: np.dtype[np.int32] = np.dtype("<i4")
COORD_DTYPE: np.dtype[np.float32] = np.dtype("<f4")
TEXT_DTYPE: np.dtype[np.uint8] = np.dtype("u1")

Ids: TypeAlias = npt.NDArray[np.uint32]
Arrays: TypeAlias = dict[str, npt.NDArray[np.generic]]
_Scalar = TypeVar("_Scalar", bound=np.generic)


@dataclass(frozen=True, eq=False)
class Layout:
    """Polygons of one detector map, one per detector id, ids ascending.

    Vertices are stored flat (CSR style): polygon ``i`` has the vertices
    ``x[offsets[i]:offsets[i + 1]]``, ``y[...]``. That is the form the browser
    draws fastest (one coordinate buffer plus offsets), and it keeps the
    whole tracker map in a few hundred kilobytes. ``eq=False``: comparing
    array fields with ``==`` is ambiguous, and layouts are compared by name.
    """

    name: str
    ids: Ids
    offsets: npt.NDArray[np.int32]
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.float32]
    names: tuple[str, ...] | None

    def __len__(self) -> int:
        return len(self.ids)

    def polygon(self, i: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Vertex coordinates (x, y) of polygon ``i`` (views, no copy)."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"polygon index {i} out of range for {len(self)} polygons")
        i %= len(self)
        start, stop = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.x[start:stop], self.y[start:stop]

    def positions(self, detids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Polygon index of each detector id, -1 where the layout has no such id.

        This is how a payload keyed by detid is joined to the polygons: a
        binary search, since ids are stored ascending.
        """
        wanted = np.asarray(detids)
        if wanted.size == 0:
            return np.zeros(wanted.shape, dtype=np.dtype("<i8"))
        if wanted.dtype.kind not in "ui":
            raise TypeError(f"detector ids must be integers, got dtype {wanted.dtype}")
        found = np.searchsorted(self.ids, wanted).astype(np.dtype("<i8"))
        clipped = np.minimum(found, len(self) - 1)
        hit = (found < len(self)) & (self.ids[clipped] == wanted)
        return np.where(hit, found, -1).astype(np.dtype("<i8"))


# --------------------------------------------------------------------------- reading


@functools.cache
def _arrays() -> Arrays:
    """Read every array of the shipped file once; the file is small (~200 kB)."""
    resource = resources.files(PACKAGE).joinpath(RESOURCE)
    with resource.open("rb") as handle:
        return read_geometry_file(handle.read())


def read_geometry_file(data: bytes) -> Arrays:
    """Parse the bytes of a geometry ``.npz`` file into read-only arrays.

    Public so that tests (and ``tools/derive_geometry.py`` users) can check a
    freshly derived file with exactly the code that reads the shipped one.
    """
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays: Arrays = {key: npz[key] for key in npz.files}
    for array in arrays.values():
        array.flags.writeable = False
    version = int(_get(arrays, "format_version"))
    if version != FORMAT_VERSION:
        raise GeometryFileError(
            f"geometry file format {version} is not the supported format {FORMAT_VERSION}"
        )
    return arrays


def _get(arrays: Arrays, key: str) -> npt.NDArray[np.generic]:
    """One array of the file; a missing key means a broken package, said plainly."""
    try:
        return arrays[key]
    except KeyError:
        raise GeometryFileError(f"geometry file has no array {key!r}") from None


def _typed(arrays: Arrays, key: str, dtype: np.dtype[_Scalar]) -> npt.NDArray[_Scalar]:
    """An array that must be 1-d with exactly ``dtype`` (byte order included)."""
    array = _get(arrays, key)
    if array.dtype != dtype or array.ndim != 1:
        raise GeometryFileError(f"geometry array {key!r} is {array.dtype}, expected 1-d {dtype}")
    return cast(npt.NDArray[_Scalar], array)


def _text(arrays: Arrays, key: str) -> str:
    """Decode a text array (UTF-8 bytes stored as ``u1``)."""
    return _typed(arrays, key, TEXT_DTYPE).tobytes().decode("utf-8")


def _lines(arrays: Arrays, key: str) -> tuple[str, ...]:
    """Decode a ``"\\n"``-joined text array into its lines; empty text gives no lines."""
    text = _text(arrays, key)
    return tuple(text.split("\n")) if text else ()


def _build_layout(arrays: Arrays, name: str) -> Layout:
    """Assemble and check one layout, so a damaged file fails here, not in a plot."""
    ids = _typed(arrays, f"{name}.ids", ID_DTYPE)
    offsets = _typed(arrays, f"{name}.offsets", OFFSET_DTYPE)
    x = _typed(arrays, f"{name}.x", COORD_DTYPE)
    y = _typed(arrays, f"{name}.y", COORD_DTYPE)
    names = _lines(arrays, f"{name}.names") or None
    consistent = (
        len(offsets) == len(ids) + 1
        and int(offsets[0]) == 0
        and int(offsets[-1]) == len(x) == len(y)
        and bool(np.all(np.diff(offsets) >= 3))
        and bool(np.all(np.diff(ids.astype(np.dtype("<i8"))) > 0))
        and (names is None or len(names) == len(ids))
    )
    if not consistent:
        raise GeometryFileError(f"geometry layout {name!r} is inconsistent")
    return Layout(name, ids, offsets, x, y, names)


# --------------------------------------------------------------------------- public API


def layout_names() -> tuple[str, ...]:
    """Names of the polygon layouts in the shipped file (``tracker_map``, ``bpix_layer1``...)."""
    return _lines(_arrays(), "layouts")


@functools.cache
def load_layout(name: str) -> Layout:
    """The named layout; ``KeyError`` listing the known names for any other name."""
    known = layout_names()
    if name not in known:
        raise KeyError(f"unknown geometry layout {name!r}; known layouts: {', '.join(known)}")
    return _build_layout(_arrays(), name)


@functools.cache
def strip_module_ids() -> Ids:
    """The 15,148 silicon-strip module ids of the tracker map, ascending, ``<u4``."""
    ids = load_layout("tracker_map").ids
    strips = np.isin(subdetector(ids), sorted(STRIP_SUBDETECTORS))
    result = ids[strips]
    result.flags.writeable = False
    return result


@functools.cache
def pixel_modules() -> tuple[Ids, tuple[str, ...]]:
    """Ids (ascending) and names of the Phase-1 pixel modules of ``pixel_detids.dat``.

    The pixel list has no polygons of its own (the BPix layouts do); it names
    every module, including the forward disks, for tables and look-ups.
    """
    arrays = _arrays()
    ids = _typed(arrays, "pixel_modules.ids", ID_DTYPE)
    names = _lines(arrays, "pixel_modules.names")
    if len(names) != len(ids):
        raise GeometryFileError("pixel module ids and names differ in length")
    return ids, names


def provenance() -> str:
    """Where the shipped file came from: source files, their sha256 and line counts."""
    return _text(_arrays(), "provenance")
