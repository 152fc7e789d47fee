"""Walks over decoded archive values: their size, their leaves, their JSON form.

A decoded CMSSW class is a tree (dicts, lists, tuples, numpy arrays and
scalars).  Summaries aggregate the leaves across list elements
(``m_records[*].m_parameters_values``) so a payload of 300 records is a
dozen lines, not thousands; :func:`plain` gives the whole tree in JSON types
for ``inspector decode --values``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inspector.payload.archive.layout import ArchiveLayout
from inspector.payload.archive.types import (
    ArrayType,
    ClassType,
    CType,
    EnumType,
    MapType,
    PairType,
    Primitive,
    SeqType,
    StringType,
)

__all__ = ["Leaf", "leaves", "plain"]


class Leaf:
    """Every value met at one member path, gathered across list elements."""

    __slots__ = ("kind", "parts", "path", "unit")

    def __init__(self, path: str, kind: str, unit: str) -> None:
        self.path = path
        self.kind = kind
        self.unit = unit
        self.parts: list[Any] = []

    def values(self) -> np.ndarray[Any, Any]:
        """All numbers of this path as one array (strings: their lengths)."""
        if not self.parts:
            return np.zeros(0)
        if self.kind == "string":
            return np.asarray([len(s) for s in self.parts], dtype=np.int64)
        if len(self.parts) == 1:  # one value: keep its shape (a 7x7 covariance)
            return np.asarray(self.parts[0])
        return np.concatenate([np.asarray(p).reshape(-1) for p in self.parts])


def leaves(layout: ArchiveLayout, root: dict[str, Any]) -> list[Leaf]:
    """The leaves of a decoded root class, in member order."""
    found: dict[str, Leaf] = {}
    _walk(layout, ClassType(layout.root), root, "", "", found)
    return list(found.values())


def _add(found: dict[str, Leaf], path: str, kind: str, unit: str, value: Any) -> None:
    leaf = found.get(path)
    if leaf is None:
        leaf = found[path] = Leaf(path, kind, unit)
    leaf.parts.append(value)


def _walk(
    layout: ArchiveLayout, node: CType, value: Any, path: str, unit: str, found: dict[str, Leaf]
) -> None:
    if isinstance(node, Primitive | EnumType):
        _add(found, path, "bool" if getattr(node, "code", "") == "?" else "number", unit, value)
    elif isinstance(node, StringType):
        _add(found, path, "string", unit, value)
    elif isinstance(node, ClassType):
        if isinstance(value, np.void | np.ndarray):  # an element of a flat vector
            _walk_record(layout, node, value, path, found)
            return
        for _, member in layout.members(node.name):
            if member.name in value:
                sub = f"{path}.{member.name}" if path else member.name
                _walk(layout, member.type, value[member.name], sub, member.unit or unit, found)
    elif isinstance(node, SeqType | ArrayType):
        _walk_items(layout, node.elem, value, path, unit, found)
    elif isinstance(node, PairType):
        _walk(layout, node.first, value[0], f"{path}.first", unit, found)
        _walk(layout, node.second, value[1], f"{path}.second", unit, found)
    elif isinstance(node, MapType):
        for k, v in value.items():
            _walk(layout, node.key, k, f"{path}[*].first", unit, found)
            _walk(layout, node.value, v, f"{path}[*].second", unit, found)


def _walk_items(
    layout: ArchiveLayout, elem: CType, value: Any, path: str, unit: str, found: dict[str, Leaf]
) -> None:
    if isinstance(value, np.ndarray):
        if value.dtype.names and isinstance(elem, ClassType):
            _walk_record(layout, elem, value, f"{path}[*]", found)
        else:
            kind = "bool" if value.dtype.kind == "b" else "array"
            _add(found, path, kind, unit, value)
        return
    for item in value:
        _walk(layout, elem, item, f"{path}[*]", unit, found)


def _walk_record(
    layout: ArchiveLayout, node: ClassType, value: Any, path: str, found: dict[str, Leaf]
) -> None:
    """Columns of a structured array (a vector of a flat class)."""
    for _, member in layout.members(node.name):
        column = value[member.name]
        sub = f"{path}.{member.name}"
        if isinstance(member.type, ClassType):
            _walk_record(layout, member.type, column, sub, found)
        else:
            _add(found, sub, "records member", member.unit, column)


def plain(value: Any) -> Any:
    """A decoded value in JSON types: arrays as (nested) lists, maps as objects.

    float32 values print as their shortest decimal form (``1.32``, not
    ``1.3200000524520874``); NaN and infinities become ``null`` (JSON has no
    such numbers).
    """
    if isinstance(value, np.ndarray):
        if value.dtype.names:
            return _records(value)
        return _numbers(value)
    if isinstance(value, np.generic):
        return _numbers(np.asarray(value))
    if isinstance(value, dict):
        return {k if isinstance(k, str) else _key(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _key(key: Any) -> str:
    return str(plain(key))


def _records(value: np.ndarray[Any, Any]) -> Any:
    names = value.dtype.names or ()
    columns = [plain(value[name]) for name in names]
    if value.ndim == 0:
        return dict(zip(names, columns, strict=True))
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _numbers(arr: np.ndarray[Any, Any]) -> Any:
    if arr.dtype.kind != "f":
        return arr.tolist()
    if arr.dtype.itemsize < 8:
        # numpy prints float32 as its shortest round-trip decimal; read that as a double
        arr = arr.astype(str).astype(np.float64)
    finite = np.isfinite(arr)
    if finite.all():
        return arr.tolist()
    out: list[Any] = arr.astype(object).tolist() if arr.ndim else [arr.item()]
    flat = np.asarray(out, dtype=object).reshape(-1)
    flat[~finite.reshape(-1)] = None
    return flat.reshape(arr.shape).tolist()
