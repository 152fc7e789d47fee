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
and line number and exit with status 2. The line formats are parsed by
``inspector.geometry.loaders``, the same code that reads layout files
registered by plugins.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from inspector.errors import GeometryFileError
from inspector.geometry.loaders import (
    Modules,
    NumberedLines,
    Polygons,
    parse_modules,
    parse_tracker_map,
    parse_vertices,
    read_lines,
)

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
TEXT_DTYPE = np.dtype("u1")


@dataclass(frozen=True)
class SourceFile:
    """What provenance records about one source file."""

    name: str
    sha256: str
    lines: int


# --------------------------------------------------------------------------- reading
# The line parsers live in ``inspector.geometry.loaders``: plugin layout files
# are read by the very same code, so the shipped file and a plugin's file can
# never follow different rules.


def read_source(path: Path) -> tuple[NumberedLines, SourceFile]:
    """Return the non-blank (line number, text) pairs of a file and its provenance.

    Bytes are hashed as they are on disk so provenance pins the exact input.
    Messages name the file by its base name, as provenance does.
    """
    numbered, raw = read_lines(path, label=path.name, what="source file")
    return numbered, SourceFile(path.name, hashlib.sha256(raw).hexdigest(), len(numbered))


# --------------------------------------------------------------------------- arrays


def text_array(text: str) -> npt.NDArray[np.uint8]:
    """Store text as UTF-8 bytes: npz keeps numbers only, so no pickle is ever needed."""
    return np.frombuffer(text.encode("utf-8"), dtype=TEXT_DTYPE).copy()


def layout_arrays(name: str, polygons: Polygons) -> dict[str, npt.NDArray[np.generic]]:
    """Flatten one layout to CSR arrays sorted by id, so lookups can use binary search."""
    layout = polygons.to_layout(name)
    names = "" if layout.names is None else "\n".join(layout.names)
    return {
        f"{name}.ids": layout.ids,
        f"{name}.offsets": layout.offsets,
        f"{name}.x": layout.x,
        f"{name}.y": layout.y,
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
        *(f"  {n} polygons={len(p)} vertices={p.vertices}" for n, p in layouts.items()),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- driver


def derive(source: Path) -> dict[str, npt.NDArray[np.generic]]:
    """Read every source file under ``source`` and return the arrays to store."""
    if not source.is_dir():
        raise GeometryFileError(f"source folder not found: {source}")
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
    except GeometryFileError as exc:
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
