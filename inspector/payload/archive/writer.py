"""Decoded values → CMSSW archive blob: the exact inverse of the reader.

Writes what ``eos::portable_oarchive`` writes for the declared classes (the
demo database and the tests use it), so ``read(write(x)) == x`` and a blob
read and written again gives the same bytes.  The input takes the decoded
forms (``docs/payload-schemas.md``) and a little more, for convenience:
lists for numeric vectors, a mapping of columns or a list of dicts for a
vector of flat classes, any 2-sequence for a pair, a list of pairs for a map.
Values that do not fit their C++ type are refused, never wrapped.

Each class is written with the newest version its layout declares (what the
C++ class compiled from the newest header writes; ``[0]``, the default, for
every COND_SERIALIZABLE class), with the members present in that version.
Values nest at most :data:`~inspector.payload.archive.types.MAX_NESTING`
levels below the root class, as deep as the reader reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np

from inspector.errors import PayloadEncodeError
from inspector.payload.archive import kernel
from inspector.payload.archive.layout import ArchiveLayout
from inspector.payload.archive.types import (
    MAX_NESTING,
    ArrayType,
    ClassType,
    CType,
    EnumType,
    MapType,
    PairType,
    Primitive,
    SeqType,
    StringType,
    has_header,
)

__all__ = ["DEFAULT_LIBRARY_VERSION", "write_archive"]

#: boost 1.78's library version, as CMSSW 12–14 write it
DEFAULT_LIBRARY_VERSION: Final = 19
_MAGIC: Final = b"\x7f"
_HEADER: Final = b"\x00\x00"  # not tracked, class version 0
_UNTRACKED: Final = b"\x00"


def write_archive(
    layout: ArchiveLayout,
    values: Mapping[str, Any],
    *,
    library_version: int = DEFAULT_LIBRARY_VERSION,
) -> bytes:
    """Serialise the root class's members ``values`` as CMSSW writes the payload."""
    writer = _Writer(layout, library_version)
    writer.parts.append(_MAGIC + kernel.write_tokens([np.array([library_version])], "H"))
    writer.value(ClassType(layout.root), values)
    return b"".join(writer.parts)


class _Writer:
    def __init__(self, layout: ArchiveLayout, library_version: int) -> None:
        self.layout = layout
        self.library_version = library_version
        self.parts: list[bytes] = []
        self.seen: set[str] = set()
        self.path: list[str] = []
        self.depth = 0

    def fail(self, reason: str) -> PayloadEncodeError:
        where = "".join(self.path).lstrip(".") or "the payload"
        return PayloadEncodeError(f"{self.layout.object_type}: {where}: {reason}")

    def tokens(self, values: Any, code: str) -> None:
        self.parts.append(kernel.write_tokens([self.numbers(values, code)], code))

    def numbers(self, values: Any, code: str) -> np.ndarray[Any, Any]:
        """``values`` as a 1-D array of the code's type, refusing what does not fit."""
        arr = np.asarray(values)
        if arr.dtype.kind not in "biuf" or (code == "?" and arr.dtype.kind != "b"):
            want = "bools" if code == "?" else "numbers"
            raise self.fail(f"expected {want}, got {arr.dtype} values")
        target = np.dtype(code)
        if target.kind == "f" and arr.dtype.kind == "f" and arr.dtype.itemsize > target.itemsize:
            with np.errstate(over="ignore"):
                narrowed = arr.astype(target)
            if np.any(np.isinf(narrowed) & np.isfinite(arr)):
                raise self.fail(f"values outside the range of {target}")
        if target.kind in "iu":
            if arr.dtype.kind == "f" and arr.size and not np.array_equal(arr, np.round(arr)):
                raise self.fail(f"non-integer values for {target}")
            info = np.iinfo(target)
            if arr.size and (arr.min() < info.min or arr.max() > info.max):
                raise self.fail(f"values outside the range of {target}")
        return arr.astype(target).reshape(-1)

    def header(self, spelling: str, version: int = 0) -> None:
        if spelling not in self.seen:
            self.seen.add(spelling)
            if version:
                self.parts.append(_UNTRACKED + kernel.write_tokens([np.array([version])], "I"))
            else:
                self.parts.append(_HEADER)

    def version(self, name: str) -> int:
        """The class version written for class ``name``: the newest the layout declares."""
        return max(self.layout.cls(name).versions)

    def written(self, name: str) -> set[str]:
        """Names of the members written for class ``name`` (bases included)."""
        cdef = self.layout.cls(name)
        out = {m.name for m in cdef.members if m.present(self.version(name))}
        for base in cdef.bases:
            out |= self.written(base)
        return out

    def count(self, n: int, *, item_version: bool = True) -> None:
        self.parts.append(kernel.write_tokens([np.array([n], np.uint64)], "Q"))
        if item_version and self.library_version > 3:
            self.parts.append(b"\x00")

    def value(self, node: CType, value: Any) -> None:
        if isinstance(node, Primitive | EnumType):
            if np.ndim(value) != 0:
                raise self.fail(f"expected one {node.spelling}, got {type(value).__name__}")
            self.tokens([value], node.code if isinstance(node, Primitive) else node.underlying.code)
        elif isinstance(node, StringType):
            if not isinstance(value, str):
                raise self.fail(f"expected a string, got {type(value).__name__}")
            data = value.encode("utf-8")
            self.count(len(data), item_version=False)
            self.parts.append(data)
        else:
            if self.depth > MAX_NESTING:  # levels below the root class
                raise self.fail(
                    f"classes and containers nest deeper than {MAX_NESTING} levels, "
                    "which the reader refuses"
                )
            self.depth += 1
            try:
                self.composite(node, value)
            finally:
                self.depth -= 1

    def composite(self, node: CType, value: Any) -> None:
        """A class or container (one nesting level)."""
        if isinstance(node, ClassType):
            self.instance(node.name, value)
        elif isinstance(node, SeqType):
            if has_header(node):
                self.header(node.spelling)
            items = self.collection(value)
            self.count(_length(items))
            self.elements(node.elem, items)
        elif isinstance(node, ArrayType):
            items = self.collection(value)
            if _length(items) != node.length:
                raise self.fail(f"{_length(items)} elements for a C array of {node.length}")
            self.count(node.length, item_version=False)
            self.elements(node.elem, items)
        elif isinstance(node, PairType):
            self.header(node.spelling)
            self.pair(node, value)
        elif isinstance(node, MapType):
            self.mapping(node, value)
        else:  # pragma: no cover - layouts are resolved when parsed
            raise self.fail(f"type {node.spelling} cannot be written")

    def instance(self, name: str, value: Any) -> None:
        if not isinstance(value, Mapping):
            raise self.fail(f"class {name} takes a mapping of its members")
        unknown = set(value) - self.written(name)
        if unknown:
            raise self.fail(f"class {name} has no member(s) {', '.join(sorted(unknown))}")
        self.members_of(name, value)

    def members_of(self, name: str, value: Mapping[str, Any]) -> None:
        """Header, base classes (each a class of its own, even an empty one), then members."""
        version = self.version(name)
        self.header(name, version)
        cdef = self.layout.cls(name)
        for base in cdef.bases:
            self.members_of(base, value)
        for member in cdef.members:
            if not member.present(version):
                continue
            if member.name not in value:
                raise self.fail(f"class {name}: missing member {member.name!r}")
            self.path.append("." + member.name)
            self.value(member.type, value[member.name])
            self.path.pop()

    def pair(self, node: PairType, value: Any) -> None:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise self.fail("a std::pair takes a (first, second) sequence")
        if len(value) != 2:
            raise self.fail(f"a std::pair takes 2 values, not {len(value)}")
        self.path.append(".first")
        self.value(node.first, value[0])
        self.path[-1] = ".second"
        self.value(node.second, value[1])
        self.path.pop()

    def mapping(self, node: MapType, value: Any) -> None:
        items = list(value.items()) if isinstance(value, Mapping) else list(value)
        self.header(node.spelling)
        self.count(len(items))
        for i, item in enumerate(items):
            self.path.append(f"[{i}]")
            self.header(node.item.spelling)
            self.pair(node.item, item)
            self.path.pop()

    def collection(self, value: Any) -> Any:
        if isinstance(value, str | bytes | Mapping) and not _is_columns(value):
            raise self.fail(f"expected a sequence, got {type(value).__name__}")
        return value

    def elements(self, elem: CType, items: Any) -> None:
        flat = _flat_codes(self.layout, elem)
        if flat is not None and _length(items):
            self.flat(elem, items)
            return
        for i, item in enumerate(_rows(items)):
            self.path.append(f"[{i}]")
            self.value(elem, item)
            self.path.pop()

    def flat(self, elem: CType, items: Any) -> None:
        """Flat elements: the first the slow way (it carries any headers), the rest in bulk."""
        n = _length(items)
        columns = _leaf_columns(self.layout, elem, items, n)
        if not self.headers_written(elem):
            self.path.append("[0]")
            self.value(elem, _row(items, 0))
            self.path.pop()
            columns = [(code, col[1:]) for code, col in columns]
        if columns and len(columns[0][1]):
            codes = "".join(code for code, _ in columns)
            arrays = [self.numbers(col, code) for code, col in columns]
            self.parts.append(kernel.write_tokens(arrays, codes))

    def headers_written(self, elem: CType) -> bool:
        if isinstance(elem, ClassType):
            name = elem.name
            return (
                name in self.seen
                and all(b in self.seen for b in self.layout.cls(name).bases)
                and all(self.headers_written(m.type) for _, m in self.layout.members(name))
            )
        if isinstance(elem, ArrayType):
            return self.headers_written(elem.elem)
        return True


def _is_columns(value: Any) -> bool:
    return isinstance(value, Mapping) and all(not isinstance(v, str) for v in value.values())


def _length(items: Any) -> int:
    if isinstance(items, Mapping):  # columns of a flat vector (nested for member classes)
        first: Any = next(iter(items.values()), [])
        return _length(first)
    return len(items)


def _rows(items: Any) -> Any:
    if isinstance(items, Mapping):
        return [_row(items, i) for i in range(_length(items))]
    return items


def _row(items: Any, i: int) -> Any:
    if isinstance(items, Mapping):
        return {k: _row(v, i) if isinstance(v, Mapping) else v[i] for k, v in items.items()}
    row = items[i]
    if isinstance(row, np.void) and row.dtype.names:
        return _void_dict(row)
    return row


def _void_dict(row: Any) -> Any:
    if isinstance(row, np.void) and row.dtype.names:
        return {name: _void_dict(row[name]) for name in row.dtype.names}
    return row


def _flat_codes(layout: ArchiveLayout, elem: CType) -> str | None:
    """The token codes of one flat element, or None when the element is not flat."""
    if isinstance(elem, Primitive):
        return elem.code
    if isinstance(elem, EnumType):
        return elem.underlying.code
    if isinstance(elem, ClassType):
        return "x" if elem.name in layout.flat else None
    if isinstance(elem, ArrayType) and not isinstance(elem.elem, ClassType):
        inner = _flat_codes(layout, elem.elem)
        return None if inner is None else "x"
    return None


def _leaf_columns(layout: ArchiveLayout, elem: CType, items: Any, n: int) -> list[tuple[str, Any]]:
    """``(code, column)`` per token of a flat element, in archive order."""
    if isinstance(elem, Primitive | EnumType):
        code = elem.code if isinstance(elem, Primitive) else elem.underlying.code
        return [(code, _as_array(items))]
    if isinstance(elem, ArrayType):
        arr = _as_array(items)
        if arr.shape[1:2] != (elem.length,):
            raise PayloadEncodeError(
                f"{layout.object_type}: C arrays of {elem.length} given as shape {arr.shape}"
            )
        out: list[tuple[str, Any]] = [("Q", np.full(n, elem.length, np.uint64))]
        for i in range(elem.length):
            out.extend(_leaf_columns(layout, elem.elem, arr[:, i], n))
        return out
    assert isinstance(elem, ClassType)
    table = _table(items)
    out = []
    for _, member in layout.members(elem.name):
        if member.name not in table:
            raise PayloadEncodeError(
                f"{layout.object_type}: class {elem.name}: missing member {member.name!r}"
            )
        out.extend(_leaf_columns(layout, member.type, table[member.name], n))
    return out


def _as_array(items: Any) -> np.ndarray[Any, Any]:
    if isinstance(items, np.ndarray):
        return items
    return np.asarray(list(items))


def _table(items: Any) -> Mapping[str, Any]:
    """Columns of a vector of flat classes from a structured array, columns or rows."""
    if isinstance(items, np.ndarray) and items.dtype.names:
        return {name: items[name] for name in items.dtype.names}
    if isinstance(items, Mapping):
        return items
    rows = [_void_dict(r) for r in items]
    if not all(isinstance(r, Mapping) for r in rows):
        raise PayloadEncodeError("a vector of classes takes mappings (one per element)")
    keys = list(rows[0]) if rows else []
    return {k: _stack([r[k] for r in rows]) for k in keys}


def _stack(column: list[Any]) -> Any:
    if column and isinstance(column[0], Mapping):
        return column
    return np.asarray(column)
