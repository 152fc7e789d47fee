"""Reading detector layouts from the two text formats CMS tools write.

A layout is one polygon per detector id. Two line formats exist in the wild,
and plugins register files in either (see ``docs/geometry.md``):

``tracker-map``
    ``DETID x1 y1 x2 y2 x3 y3 [x4 y4 ...]``: the DQM tracker map
    (``tracker_map_bare``); 3 or more vertices, no module names.
``vertices``
    ``DETID NAME "x1,y1 x2,y2 x3,y3 ..."``: named polygons, 3 or more vertices
    (``vertices_barrel_<n>``).

:func:`read_layout` detects the format from the first line and returns a
:class:`~inspector.geometry.shipped.Layout` sorted by id. Every problem is a
:class:`~inspector.geometry.shipped.GeometryFileError` naming the file and the
line, because the person who must fix it is looking at that file.

The line parsers are shared with ``tools/derive_geometry.py``, which builds
the shipped geometry from the same formats: one parser, so the shipped file and
a plugin's file can never be read by different rules.

Speed: the happy path is vectorised (one ``split`` of the whole file, one
float conversion of every token, numpy checks), about 70 ms for the 16,588
lines of the full tracker map. Only when that finds a problem does a slow,
line-by-line pass run, to report the first bad line in file order with a
precise message.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from inspector.errors import GeometryFileError
from inspector.geometry.shipped import (
    COORD_DTYPE,
    ID_DTYPE,
    OFFSET_DTYPE,
    Ids,
    Layout,
)

__all__ = [
    "FORMATS",
    "TRACKER_MAP",
    "VERTICES",
    "LayoutFormat",
    "Modules",
    "NumberedLines",
    "Polygons",
    "detect_format",
    "layout_name",
    "parse_coordinate",
    "parse_detid",
    "parse_layout",
    "parse_modules",
    "parse_tracker_map",
    "parse_vertices",
    "read_layout",
    "read_lines",
]

LayoutFormat: TypeAlias = Literal["tracker-map", "vertices"]
TRACKER_MAP: Final[LayoutFormat] = "tracker-map"
VERTICES: Final[LayoutFormat] = "vertices"
FORMATS: Final[tuple[LayoutFormat, ...]] = (TRACKER_MAP, VERTICES)

NumberedLines: TypeAlias = Sequence[tuple[int, str]]
"""Non-blank lines of a file as ``(line number, text)``; numbers count from 1."""
_LineCheck: TypeAlias = Callable[[str, str], None]

PARSE_DTYPE: np.dtype[np.float64] = np.dtype("<f8")
INT_DTYPE: np.dtype[np.int64] = np.dtype("<i8")
MAX_COORDINATE = float(np.finfo(COORD_DTYPE).max)
MAX_DETID = 0xFFFFFFFF

_DETID = re.compile(r"[0-9]{1,10}")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_VERTICES_LINE = re.compile(r'\s*(\S+)\s+(\S+)\s+"([^"]*)"\s*')
_VERTEX_LIST = re.compile(r"\s*[^\s,]+,[^\s,]+(?:\s+[^\s,]+,[^\s,]+)*\s*")
# Characters a plain decimal can contain. With ``float``'s own grammar this
# accepts exactly what ``_NUMBER`` accepts, minus nan/inf/underscores.
_NOT_DECIMAL = re.compile(r"[^0-9.eE+\-\s]")
_LAYOUT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_MIN_VERTICES = 3
_TRACKER_MAP_HINT = "a detector id and 3 or more x y pairs"


class _Malformed(Exception):
    """The fast path met something it will not guess about; the slow path explains."""


@dataclass(frozen=True, eq=False)
class Polygons:
    """One layout as parsed, in source order (:meth:`to_layout` sorts it by id).

    ``counts[i]`` vertices belong to polygon ``i``; ``x`` and ``y`` hold every
    vertex, polygon after polygon. Source order is kept so that the
    derivation script and error messages can still refer to lines.
    """

    ids: Ids
    counts: npt.NDArray[np.int32]
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.float32]
    names: tuple[str, ...] | None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vertices(self) -> int:
        """Total number of vertices (for provenance and sizes)."""
        return len(self.x)

    def to_layout(self, name: str) -> Layout:
        """The CSR :class:`Layout`, sorted by id so that joins can binary-search.

        Vertices move with their polygon through one gather index, with no
        Python loop over polygons. Arrays are read-only, as every shared
        layout must be.
        """
        order = np.argsort(self.ids, kind="stable")
        counts = self.counts[order]
        offsets = np.zeros(len(self.ids) + 1, dtype=OFFSET_DTYPE)
        np.cumsum(counts, out=offsets[1:])
        starts = np.zeros(len(self.ids), dtype=OFFSET_DTYPE)
        np.cumsum(self.counts[:-1], out=starts[1:])
        gather = np.repeat(starts[order] - offsets[:-1], counts) + np.arange(
            offsets[-1], dtype=OFFSET_DTYPE
        )
        names = None if self.names is None else tuple(self.names[i] for i in order)
        ids, x, y = self.ids[order], self.x[gather], self.y[gather]
        for array in (ids, offsets, x, y):
            array.flags.writeable = False
        return Layout(name, ids, offsets, x, y, names)


@dataclass(frozen=True, eq=False)
class Modules:
    """Detector ids with names and no shape (``pixel_detids.dat``), in source order."""

    ids: Ids
    names: tuple[str, ...]


# --------------------------------------------------------------------------- reading


def read_lines(
    path: Path, *, label: str | None = None, what: str = "geometry file"
) -> tuple[list[tuple[int, str]], bytes]:
    """The non-blank ``(line number, text)`` pairs of a file, and its raw bytes.

    The bytes come back so callers can hash exactly what was read. Non-UTF-8
    bytes are an error naming the line, not a silent replacement; a leading
    byte-order mark (some editors write one) is ignored. ``label`` is how
    messages name the file (default: the path as given), ``what`` how they
    call it.
    """
    where = str(path) if label is None else label
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GeometryFileError(f"missing {what}: {path}") from None
    except IsADirectoryError:
        raise GeometryFileError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise GeometryFileError(f"cannot read {what} {path}: {exc.strerror}") from None
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise GeometryFileError(f"{where}:{line}: not UTF-8 text") from None
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return numbered, raw


def layout_name(path: Path) -> str:
    """The layout name a file registers: its stem (``fpix_disk1.txt`` → ``fpix_disk1``).

    Names end up in URLs and permalinks, so only letters, digits, ``_``,
    ``.`` and ``-`` are allowed; anything else is refused here, naming the
    file, rather than producing a link that breaks later.
    """
    name = path.stem
    if not _LAYOUT_NAME.fullmatch(name):
        raise GeometryFileError(
            f"{path}: layout name {name!r} (the file name without its suffix) must start with "
            "a letter or digit and contain only letters, digits, '_', '.' and '-'"
        )
    return name


def read_layout(path: Path, name: str | None = None, *, fmt: LayoutFormat | None = None) -> Layout:
    """Read a layout file in either format (detected unless ``fmt`` is given).

    The layout is named ``name``, by default the file stem (see
    :func:`layout_name`).
    """
    layout = layout_name(path) if name is None else name
    lines, _ = read_lines(path)
    return parse_layout(lines, str(path), layout, fmt=fmt)


def parse_layout(
    lines: NumberedLines, file: str, name: str, *, fmt: LayoutFormat | None = None
) -> Layout:
    """Parse numbered lines in ``fmt`` (or the detected format) into a sorted layout."""
    if not lines:
        raise GeometryFileError(f"{file}: no layout lines (the file is empty)")
    chosen = detect_format(lines, file) if fmt is None else fmt
    if chosen == TRACKER_MAP:
        return parse_tracker_map(lines, file).to_layout(name)
    if chosen == VERTICES:
        return parse_vertices(lines, file).to_layout(name)
    raise ValueError(f"unknown layout format {chosen!r}; known formats: {', '.join(FORMATS)}")


def detect_format(lines: NumberedLines, file: str) -> LayoutFormat:
    """Tell the format from the first non-blank line.

    A double quote can only be the vertex list of the vertices format; a
    number after the id can only be the tracker map. Anything else is neither,
    and the message shows both forms rather than a misleading error from
    guessing one.
    """
    if not lines:
        raise GeometryFileError(f"{file}: no layout lines (the file is empty)")
    number, line = lines[0]
    if '"' in line:
        return VERTICES
    fields = line.split()
    if len(fields) > 1 and _NUMBER.fullmatch(fields[1]):
        return TRACKER_MAP
    raise GeometryFileError(
        f"{file}:{number}: cannot tell the layout format: expected tracker-map lines "
        f'"DETID x1 y1 x2 y2 x3 y3 ..." or vertices lines "DETID NAME \\"x1,y1 x2,y2 x3,y3 ...\\""'
    )


# --------------------------------------------------------------------------- single values


def parse_detid(token: str, where: str) -> int:
    """Parse a decimal detector id that must fit an unsigned 32-bit integer (and not be 0)."""
    if not _DETID.fullmatch(token) or not 0 < int(token) <= MAX_DETID:
        raise GeometryFileError(f"{where}: invalid detector id {token!r}")
    return int(token)


def parse_coordinate(token: str, where: str) -> float:
    """Parse one coordinate; only plain finite decimals that fit float32 are accepted.

    ``nan``, ``inf`` and values float32 cannot hold would make a polygon
    vanish or fill the whole map, so they are errors, not values.
    """
    value = float(token) if _NUMBER.fullmatch(token) else math.nan
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        raise GeometryFileError(f"{where}: invalid coordinate {token!r}")
    return value


# --------------------------------------------------------------------------- fast path


def _fast_detids(tokens: list[str]) -> npt.NDArray[np.int64]:
    """Decimal ids, checked like :func:`parse_detid` but for all at once."""
    if not tokens:
        return np.zeros(0, dtype=INT_DTYPE)
    joined = "".join(tokens)
    if not (joined.isascii() and joined.isdigit()) or max(map(len, tokens)) > 10:
        raise _Malformed
    ids = np.fromiter(map(int, tokens), dtype=INT_DTYPE, count=len(tokens))
    if bool(np.any(ids <= 0)) or bool(np.any(ids > MAX_DETID)):
        raise _Malformed
    return ids


def _fast_coordinates(tokens: list[str]) -> npt.NDArray[np.float64]:
    """Coordinates, checked like :func:`parse_coordinate` but for all at once.

    Restricting the characters to those of a plain decimal first makes
    ``float``'s grammar equal to ``_NUMBER`` (no nan, inf or ``1_0``), so the
    per-token regular expression is not needed.
    """
    if _NOT_DECIMAL.search("".join(tokens)):
        raise _Malformed
    try:
        values = np.fromiter(map(float, tokens), dtype=PARSE_DTYPE, count=len(tokens))
    except ValueError:
        raise _Malformed from None
    if not bool(np.all(np.abs(values) <= MAX_COORDINATE)):  # also false for inf
        raise _Malformed
    return values


def _split_xy(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Alternating x, y values → two float32 arrays (rounded once, from float64)."""
    return values[0::2].astype(COORD_DTYPE), values[1::2].astype(COORD_DTYPE)


def _fast_tracker_map(
    lines: NumberedLines,
) -> tuple[Ids, npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """Ids, vertex counts and all vertices (x, y alternating), or :class:`_Malformed`.

    Every token of the file is converted at once, ids included (decimal ids
    below 2**32 are exact in float64 and pass the same character check), and
    the coordinates are then picked out with a mask: no loop over polygons.
    """
    texts = [text for _, text in lines]
    widths = np.fromiter(map(len, map(str.split, texts)), dtype=INT_DTYPE, count=len(texts))
    if bool(np.any((widths < 1 + 2 * _MIN_VERTICES) | (widths % 2 == 0))):
        raise _Malformed
    tokens = "\n".join(texts).split()
    first = np.zeros(len(texts), dtype=INT_DTYPE)
    np.cumsum(widths[:-1], out=first[1:])
    ids = _fast_detids([tokens[i] for i in first.tolist()]).astype(ID_DTYPE)
    is_coordinate = np.ones(len(tokens), dtype=np.bool_)
    is_coordinate[first] = False
    values = _fast_coordinates(tokens)[is_coordinate]
    counts = ((widths - 1) // 2).astype(OFFSET_DTYPE)
    return ids, counts, values


def _fast_vertices(
    lines: NumberedLines,
) -> tuple[Ids, tuple[str, ...], npt.NDArray[np.int32], list[str]]:
    """Ids, names, vertex counts and all coordinate tokens, or :class:`_Malformed`."""
    matches = [_VERTICES_LINE.fullmatch(text) for _, text in lines]
    groups = [m.groups() for m in matches if m is not None]
    if len(groups) != len(lines):
        raise _Malformed
    lists = [vertices for _, _, vertices in groups]
    if not all(map(_VERTEX_LIST.fullmatch, lists)):
        raise _Malformed
    counts = np.fromiter(map(len, map(str.split, lists)), dtype=INT_DTYPE, count=len(lists))
    if bool(np.any(counts < _MIN_VERTICES)):
        raise _Malformed
    coordinates = " ".join(lists).replace(",", " ").split()
    ids = _fast_detids([detid for detid, _, _ in groups]).astype(ID_DTYPE)
    names = tuple(name for _, name, _ in groups)
    return ids, names, counts.astype(OFFSET_DTYPE), coordinates


# --------------------------------------------------------------------------- slow path


def _tracker_map_line(text: str, where: str) -> None:
    """Check one tracker-map line, raising the precise error for its first problem."""
    fields = text.split()
    if len(fields) < 1 + 2 * _MIN_VERTICES or len(fields) % 2 == 0:
        raise GeometryFileError(
            f"{where}: expected {_TRACKER_MAP_HINT} (an odd number of fields, at least 7), "
            f"found {len(fields)} fields"
        )
    parse_detid(fields[0], where)
    for token in fields[1:]:
        parse_coordinate(token, where)


def _vertices_line(text: str, where: str) -> None:
    """Check one vertices line, raising the precise error for its first problem."""
    match = _VERTICES_LINE.fullmatch(text)
    if match is None:
        raise GeometryFileError(f'{where}: expected DETID NAME "x1,y1 x2,y2 ..."')
    pairs = match[3].split()
    for pair in pairs:
        parts = pair.split(",")
        if len(parts) != 2:
            raise GeometryFileError(f"{where}: vertex {pair!r} is not of the form x,y")
        parse_coordinate(parts[0], where)
        parse_coordinate(parts[1], where)
    if len(pairs) < _MIN_VERTICES:
        raise GeometryFileError(
            f"{where}: a polygon needs at least {_MIN_VERTICES} vertices, found {len(pairs)}"
        )
    parse_detid(match[1], where)


def _modules_line(text: str, where: str) -> None:
    """Check one ``DETID NAME`` line."""
    fields = text.split()
    if len(fields) != 2:
        raise GeometryFileError(f"{where}: expected DETID NAME (2 fields), found {len(fields)}")
    parse_detid(fields[0], where)


def _explain(lines: NumberedLines, file: str, check_line: _LineCheck) -> GeometryFileError:
    """Find the first bad line in file order; its error is what the user sees.

    Returns (for ``raise``) a generic error only if no line fails, which
    would mean the fast and slow paths disagree: a bug worth a clear message.
    """
    for number, text in lines:
        try:
            check_line(text, f"{file}:{number}")
        except GeometryFileError as exc:
            return exc
    return GeometryFileError(f"{file}: malformed layout file (no single line to blame)")


# --------------------------------------------------------------------------- whole files


def _check_unique(ids: Ids, lines: NumberedLines, file: str) -> None:
    """Reject a repeated id: a polygon or name per id must be unambiguous.

    Vectorised: a stable sort puts repeats next to each other with the
    earliest line first; the reported repeat is the one earliest in the file.
    """
    if len(ids) < 2:
        return
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
    if repeated.size == 0:
        return
    later = int(order[repeated].min())
    detid = int(ids[later])
    first = int(order[np.searchsorted(ordered, ids[later])])
    raise GeometryFileError(
        f"{file}:{lines[later][0]}: detector id {detid} already appears on line {lines[first][0]}"
    )


def parse_tracker_map(lines: NumberedLines, file: str) -> Polygons:
    """Parse ``DETID x1 y1 x2 y2 x3 y3 [x4 y4 ...]`` lines (3 or more vertices each)."""
    try:
        ids, counts, values = _fast_tracker_map(lines)
    except _Malformed:
        raise _explain(lines, file, _tracker_map_line) from None
    _check_unique(ids, lines, file)
    x, y = _split_xy(values)
    return Polygons(ids, counts, x, y, None)


def parse_vertices(lines: NumberedLines, file: str) -> Polygons:
    """Parse ``DETID NAME "x1,y1 x2,y2 ..."`` lines (named polygons, 3 or more vertices)."""
    try:
        ids, names, counts, tokens = _fast_vertices(lines)
        values = _fast_coordinates(tokens)
    except _Malformed:
        raise _explain(lines, file, _vertices_line) from None
    _check_unique(ids, lines, file)
    x, y = _split_xy(values)
    return Polygons(ids, counts, x, y, names)


def parse_modules(lines: NumberedLines, file: str) -> Modules:
    """Parse ``DETID NAME`` lines (a module list without shapes)."""
    rows = [text.split() for _, text in lines]
    try:
        if any(len(row) != 2 for row in rows):
            raise _Malformed
        ids = _fast_detids([row[0] for row in rows]).astype(ID_DTYPE)
    except _Malformed:
        raise _explain(lines, file, _modules_line) from None
    _check_unique(ids, lines, file)
    return Modules(ids, tuple(row[1] for row in rows))
