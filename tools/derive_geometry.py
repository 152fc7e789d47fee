"""Derive the compact detector geometry file that Payload Inspector ships.

Users of the product never have the project's reference data
(``../shared/data/geometry``: the real CMS tracker map layout), so the package
ships one small, numeric-only ``.npz`` file derived from it by this script.
Run it again whenever the reference data changes::

    python tools/derive_geometry.py [--source DIR] [--output FILE]

The output is deterministic: the same sources give the same bytes, so a
regenerated file shows up in ``git status`` only when the geometry changed.

File layout (every array numeric; strings are UTF-8 bytes joined by ``"\\n"``
and stored as ``u1`` arrays, so ``numpy.load(..., allow_pickle=False)`` works):

``format_version``  ``<u4`` scalar, currently 1
``provenance``      text: source files, their sha256 and line counts
``layouts``         text: the polygon layout names, one a line
``<L>.ids``         ``<u4`` [n]   detector ids, ascending
``<L>.offsets``     ``<i4`` [n+1] polygon i has vertices offsets[i]:offsets[i+1]
``<L>.x``, ``<L>.y``  ``<f4`` [offsets[-1]] flat vertex coordinates
``<L>.names``       text: one name per polygon, or empty when the source has none
``pixel_modules.ids``, ``pixel_modules.names``  the Phase-1 pixel module list

Errors (missing folder or file, malformed line) print one line naming the file
and line number and exit with status 2.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "geometry"
DEFAULT_OUTPUT = REPO / "inspector" / "geometry" / "data" / "cms_geometry.npz"

FORMAT_VERSION = 1
ORIGIN = (
    "public cms-data/DQM-SiStripMonitorClient, commit 2acb60166e2b (June 2020), "
    "via the project's reference data"
)
TRACKER_MAP_FILE = "tracker_map_bare"
PIXEL_DETIDS_FILE = "pixel_detids.dat"
BARREL_FILES = {f"bpix_layer{layer}": f"vertices_barrel_{layer}" for layer in range(1, 5)}

ID_DTYPE = np.dtype("<u4")
OFFSET_DTYPE = np.dtype("<i4")
COORD_DTYPE = np.dtype("<f4")
TEXT_DTYPE = np.dtype("u1")

_DETID = re.compile(r"[0-9]{1,10}")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_VERTICES_LINE = re.compile(r'\s*(\S+)\s+(\S+)\s+"([^"]*)"\s*')


class SourceError(Exception):
    """A source folder or file is missing, or one of its lines is malformed."""


@dataclass(frozen=True)
class SourceFile:
    """What provenance records about one source file."""

    name: str
    sha256: str
    lines: int


@dataclass(frozen=True)
class Polygons:
    """One layout as parsed, in source order (sorted by id only when written)."""

    ids: list[int]
    names: list[str] | None
    counts: list[int]
    x: list[float]
    y: list[float]


@dataclass(frozen=True)
class Modules:
    """Detector ids with names and no shape (the pixel module list)."""

    ids: list[int]
    names: list[str]


# --------------------------------------------------------------------------- reading


def read_source(path: Path) -> tuple[list[tuple[int, str]], SourceFile]:
    """Return the non-blank (line number, text) pairs of a file and its provenance.

    Bytes are hashed as they are on disk so provenance pins the exact input;
    non-UTF-8 bytes are an error naming the line, not a silent replacement.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"missing source file: {path}") from None
    except OSError as exc:
        raise SourceError(f"cannot read source file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SourceError(f"{path.name}:{line}: not UTF-8 text") from None
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return numbered, SourceFile(path.name, hashlib.sha256(raw).hexdigest(), len(numbered))


def parse_detid(token: str, where: str) -> int:
    """Parse a decimal detector id that must fit an unsigned 32-bit integer."""
    if not _DETID.fullmatch(token) or not 0 < int(token) <= 0xFFFFFFFF:
        raise SourceError(f"{where}: invalid detector id {token!r}")
    return int(token)


def parse_coordinate(token: str, where: str) -> float:
    """Parse one coordinate; only plain finite decimals that fit float32 are accepted."""
    value = float(token) if _NUMBER.fullmatch(token) else math.nan
    if not math.isfinite(value) or abs(value) > float(np.finfo(COORD_DTYPE).max):
        raise SourceError(f"{where}: invalid coordinate {token!r}")
    return value


def _unique(ids: list[int], lines: list[int], file: str) -> None:
    """Reject a repeated id: a polygon or name per id must be unambiguous."""
    first: dict[int, int] = {}
    for detid, line in zip(ids, lines, strict=True):
        if detid in first:
            raise SourceError(
                f"{file}:{line}: detector id {detid} already appears on line {first[detid]}"
            )
        first[detid] = line


def parse_tracker_map(lines: list[tuple[int, str]], file: str) -> Polygons:
    """Parse ``DETID x1 y1 x2 y2 x3 y3 [x4 y4]`` lines (triangles or quadrilaterals)."""
    ids: list[int] = []
    counts: list[int] = []
    xs: list[float] = []
    ys: list[float] = []
    for number, line in lines:
        where = f"{file}:{number}"
        fields = line.split()
        if len(fields) not in (7, 9):
            raise SourceError(
                f"{where}: expected a detector id and 3 or 4 x y pairs (7 or 9 fields), "
                f"found {len(fields)} fields"
            )
        ids.append(parse_detid(fields[0], where))
        coords = [parse_coordinate(token, where) for token in fields[1:]]
        xs.extend(coords[0::2])
        ys.extend(coords[1::2])
        counts.append(len(coords) // 2)
    _unique(ids, [number for number, _ in lines], file)
    return Polygons(ids, None, counts, xs, ys)


def _vertex_pairs(text: str, where: str) -> Iterator[tuple[float, float]]:
    """Split ``"x1,y1 x2,y2 ..."`` into coordinate pairs."""
    for pair in text.split():
        parts = pair.split(",")
        if len(parts) != 2:
            raise SourceError(f"{where}: vertex {pair!r} is not of the form x,y")
        yield parse_coordinate(parts[0], where), parse_coordinate(parts[1], where)


def parse_vertices(lines: list[tuple[int, str]], file: str) -> Polygons:
    """Parse ``DETID NAME "x1,y1 x2,y2 ..."`` lines (named polygons, 3 vertices or more)."""
    ids: list[int] = []
    names: list[str] = []
    counts: list[int] = []
    xs: list[float] = []
    ys: list[float] = []
    for number, line in lines:
        where = f"{file}:{number}"
        match = _VERTICES_LINE.fullmatch(line)
        if match is None:
            raise SourceError(f'{where}: expected DETID NAME "x1,y1 x2,y2 ..."')
        pairs = list(_vertex_pairs(match[3], where))
        if len(pairs) < 3:
            raise SourceError(f"{where}: a polygon needs at least 3 vertices, found {len(pairs)}")
        ids.append(parse_detid(match[1], where))
        names.append(match[2])
        xs.extend(x for x, _ in pairs)
        ys.extend(y for _, y in pairs)
        counts.append(len(pairs))
    _unique(ids, [number for number, _ in lines], file)
    return Polygons(ids, names, counts, xs, ys)


def parse_modules(lines: list[tuple[int, str]], file: str) -> Modules:
    """Parse ``DETID NAME`` lines."""
    ids: list[int] = []
    names: list[str] = []
    for number, line in lines:
        where = f"{file}:{number}"
        fields = line.split()
        if len(fields) != 2:
            raise SourceError(f"{where}: expected DETID NAME (2 fields), found {len(fields)}")
        ids.append(parse_detid(fields[0], where))
        names.append(fields[1])
    _unique(ids, [number for number, _ in lines], file)
    return Modules(ids, names)


# --------------------------------------------------------------------------- arrays


def text_array(text: str) -> npt.NDArray[np.uint8]:
    """Store text as UTF-8 bytes: npz keeps numbers only, so no pickle is ever needed."""
    return np.frombuffer(text.encode("utf-8"), dtype=TEXT_DTYPE).copy()


def layout_arrays(name: str, polygons: Polygons) -> dict[str, npt.NDArray[np.generic]]:
    """Flatten one layout to CSR arrays sorted by id, so lookups can use binary search."""
    ids = np.asarray(polygons.ids, dtype=ID_DTYPE)
    counts = np.asarray(polygons.counts, dtype=OFFSET_DTYPE)
    x = np.asarray(polygons.x, dtype=COORD_DTYPE)
    y = np.asarray(polygons.y, dtype=COORD_DTYPE)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(OFFSET_DTYPE)
    order = np.argsort(ids, kind="stable")
    sorted_counts = counts[order]
    offsets = np.zeros(len(ids) + 1, dtype=OFFSET_DTYPE)
    np.cumsum(sorted_counts, out=offsets[1:])
    gather = np.repeat(starts[order] - offsets[:-1], sorted_counts) + np.arange(
        offsets[-1], dtype=OFFSET_DTYPE
    )
    names = "" if polygons.names is None else "\n".join(polygons.names[i] for i in order)
    return {
        f"{name}.ids": ids[order],
        f"{name}.offsets": offsets,
        f"{name}.x": x[gather],
        f"{name}.y": y[gather],
        f"{name}.names": text_array(names),
    }


def module_arrays(name: str, modules: Modules) -> dict[str, npt.NDArray[np.generic]]:
    """Store a module list sorted by id, names in the same order."""
    ids = np.asarray(modules.ids, dtype=ID_DTYPE)
    order = np.argsort(ids, kind="stable")
    return {
        f"{name}.ids": ids[order],
        f"{name}.names": text_array("\n".join(modules.names[i] for i in order)),
    }


def provenance_text(sources: list[SourceFile], layouts: dict[str, Polygons]) -> str:
    """Describe exactly what the file was derived from, without paths or dates.

    No absolute path and no timestamp: both would make the output differ
    between machines and runs for identical input.
    """
    lines = [
        f"Payload Inspector shipped geometry, format {FORMAT_VERSION}",
        "derived by tools/derive_geometry.py from the CMS tracker map reference data",
        f"origin: {ORIGIN}",
        "source files (name, sha256, non-blank lines):",
        *(f"  {s.name} sha256={s.sha256} lines={s.lines}" for s in sources),
        "layouts (name, polygons, vertices):",
        *(f"  {n} polygons={len(p.ids)} vertices={sum(p.counts)}" for n, p in layouts.items()),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- driver


def derive(source: Path) -> dict[str, npt.NDArray[np.generic]]:
    """Read every source file under ``source`` and return the arrays to store."""
    if not source.is_dir():
        raise SourceError(f"source folder not found: {source}")
    sources: list[SourceFile] = []
    layouts: dict[str, Polygons] = {}

    lines, info = read_source(source / TRACKER_MAP_FILE)
    sources.append(info)
    layouts["tracker_map"] = parse_tracker_map(lines, info.name)
    for layout, file in BARREL_FILES.items():
        lines, info = read_source(source / file)
        sources.append(info)
        layouts[layout] = parse_vertices(lines, info.name)
    lines, info = read_source(source / PIXEL_DETIDS_FILE)
    sources.append(info)
    pixel = parse_modules(lines, info.name)

    arrays: dict[str, npt.NDArray[np.generic]] = {
        "format_version": np.asarray(FORMAT_VERSION, dtype=ID_DTYPE),
        "provenance": text_array(provenance_text(sources, layouts)),
        "layouts": text_array("\n".join(layouts)),
    }
    for name, polygons in layouts.items():
        arrays.update(layout_arrays(name, polygons))
    arrays.update(module_arrays("pixel_modules", pixel))
    return arrays


def write_npz(arrays: dict[str, npt.NDArray[np.generic]], output: Path) -> int:
    """Write the arrays atomically and return the file size in bytes.

    ``numpy.savez_compressed`` adds members through ``ZipFile.open(name, "w")``,
    which stamps every member 1980-01-01 00:00, so the bytes depend only on the
    arrays (and on zlib); the determinism test guards this assumption.
    """
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    partial.replace(output)
    return len(buffer.getvalue())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; both default to the project's own layout."""
    parser = argparse.ArgumentParser(
        description="Derive Payload Inspector's shipped geometry file from the reference data."
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help=f"folder with the reference geometry files (default: {DEFAULT_SOURCE})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"the .npz file to write (default: {DEFAULT_OUTPUT})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Derive and write the geometry file; return the process exit status."""
    args = parse_args(argv)
    try:
        arrays = derive(args.source)
    except SourceError as exc:
        print(f"derive_geometry: error: {exc}", file=sys.stderr)
        return 2
    size = write_npz(arrays, args.output)
    layouts = bytes(arrays["layouts"]).decode("utf-8").split("\n")
    counts = ", ".join(f"{name} {len(arrays[f'{name}.ids'])}" for name in layouts)
    pixel = len(arrays["pixel_modules.ids"])
    print(f"wrote {args.output} ({size:,} bytes): {counts}, pixel_modules {pixel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
