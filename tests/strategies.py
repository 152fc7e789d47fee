"""Hypothesis strategies derived from payload schemas.

``values_for(schema)`` draws a dict of field values that the encoder accepts,
for any schema, so round-trip and fuzz tests cover every declared layout,
including ones plugins add later.  Sizes are kept small except where the
layout fixes them.

``archive_values_for(layout)`` does the same for a CMSSW archive layout,
from its C++ member types alone, and draws the values in the very forms the
decoder returns them (numpy scalars and arrays, structured arrays for
vectors of flat classes, lists, tuples, dicts), so that
``plain(decode(encode(x))) == plain(x)``.  ``archive_layouts()`` discovers
every archive layout there is: the built-in registry, every plugin's, and any
``*.archive.toml`` under ``payload_schemas/`` (subfolders included).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inspector.payload import ArchiveLayout, SchemaRegistry, load_archive_layout
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
from inspector.payload.schema import Field, PayloadSchema

MAX_LEN = 24
TILE = 256


def _elements(dtype: np.dtype[Any]) -> st.SearchStrategy[Any]:
    if dtype.kind == "f":
        return st.floats(width=dtype.itemsize * 8, allow_nan=True, allow_infinity=True)
    info = np.iinfo(dtype)
    return st.integers(int(info.min), int(info.max))


def _array(dtype: np.dtype[Any], shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    native = dtype.newbyteorder("=")
    if int(np.prod(shape)) <= TILE:
        return hnp.arrays(native, shape, elements=_elements(native))
    # Layout-fixed large arrays (61,200 ECAL crystals): tile a drawn pattern,
    # since Hypothesis cannot draw that many elements one by one.
    pattern = hnp.arrays(native, TILE, elements=_elements(native))
    return pattern.map(lambda p: np.resize(p, shape))


def _length(field: Field) -> st.SearchStrategy[int]:
    fixed = field.fixed_length
    if fixed is not None:
        return st.just(fixed)
    if field.count is not None:
        return st.integers(0, min(MAX_LEN, (1 << (8 * field.count.itemsize)) - 1))
    return st.integers(0, MAX_LEN)


@st.composite
def _records(draw: st.DrawFn, field: Field, n: int, target_size: int | None) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for m in field.members:
        columns[m.name] = draw(_array(m.dtype, (n, *m.shape)))
    if field.ranges is not None and target_size is not None:
        bounds = draw(hnp.arrays(np.int64, (n, 2), elements=st.integers(0, target_size)))
        bounds.sort(axis=1)
        columns[field.ranges.begin] = bounds[:, 0]
        columns[field.ranges.end] = bounds[:, 1]
    return columns


@st.composite
def values_for(draw: st.DrawFn, schema: PayloadSchema) -> dict[str, Any]:
    """Draw encoder input for ``schema`` (``length`` scalars are left to the encoder)."""
    implied = {f.length for f in schema.fields if f.length}
    sizes: dict[str, int] = {}
    for f in schema.fields:
        if f.kind != "scalar":
            sizes[f.name] = draw(_length(f))
    values: dict[str, Any] = {}
    for f in schema.fields:
        if f.name in implied:
            continue
        if f.kind == "scalar":
            assert f.dtype is not None
            values[f.name] = draw(_array(f.dtype, ()))[()]
        elif f.kind == "array":
            assert f.dtype is not None
            shape = f.shape if f.shape is not None else (sizes[f.name],)
            values[f.name] = draw(_array(f.dtype, shape))
        elif f.kind == "packed":
            values[f.name] = draw(
                hnp.arrays(np.uint64, (sizes[f.name],), elements=st.integers(0, (1 << f.bits) - 1))
            )
        elif f.kind == "string":
            values[f.name] = draw(st.text(max_size=sizes[f.name]))
        else:
            target = sizes.get(f.ranges.into) if f.ranges else None
            values[f.name] = draw(_records(f, sizes[f.name], target))
    return values


FLAT_LAYOUTS: Final = Path(__file__).resolve().parent / "flat_layouts"


def flat_registry() -> SchemaRegistry:
    """The flat layouts the decoder tests use (``tests/flat_layouts``)."""
    registry = SchemaRegistry()
    registry.load_directory(FLAT_LAYOUTS)
    return registry


# -- CMSSW archive layouts ------------------------------------------------------

ROOT: Final = Path(__file__).resolve().parents[1]
#: Containers deeper than this are drawn empty (classes may hold themselves in containers).
ARCHIVE_DEPTH: Final = 6
#: Elements per drawn container at the top; fewer deeper down.
ARCHIVE_LEN: Final = 5
#: Text without surrogates (which UTF-8 cannot hold).
_TEXT: Final = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


def archive_layouts() -> list[ArchiveLayout]:
    """Every archive layout: built-in, plugins', and ``payload_schemas/**/*.archive.toml``.

    Found, never listed, so a layout added tomorrow (``payload_schemas/cmssw/``
    included, whether or not the registry loads that folder yet) is covered.
    """
    from inspector.plugin import load_plugins

    found: dict[str, ArchiveLayout] = {}
    for layout in [*SchemaRegistry.builtin().archives(), *load_plugins().schemas.archives()]:
        found.setdefault(layout.object_type, layout)
    for path in sorted((ROOT / "payload_schemas").rglob("*.archive.toml")):
        layout = load_archive_layout(path)
        found.setdefault(layout.object_type, layout)
    return [found[k] for k in sorted(found)]


def written_members(layout: ArchiveLayout, name: str) -> list[tuple[CType, str]]:
    """``(type, name)`` of what the writer writes for class ``name``: its newest version."""
    cdef = layout.cls(name)
    out: list[tuple[CType, str]] = []
    for base in cdef.bases:
        out.extend(written_members(layout, base))
    newest = max(cdef.versions)
    out.extend((m.type, m.name) for m in cdef.members if m.present(newest))
    return out


def flat_form(layout: ArchiveLayout, elem: CType) -> np.dtype[Any] | None:
    """The dtype a run of ``elem`` decodes to (as the reader decides), or None for a list."""
    if isinstance(elem, Primitive):
        return elem.dtype
    if isinstance(elem, EnumType):
        return elem.underlying.dtype
    if isinstance(elem, ClassType):
        return layout.flat.get(elem.name)
    if isinstance(elem, ArrayType) and not isinstance(elem.elem, ClassType):
        inner = flat_form(layout, elem.elem)
        return None if inner is None else np.dtype((inner, (elem.length,)))
    return None


def _number(prim: Primitive) -> st.SearchStrategy[Any]:
    """One value of a C++ number type, as a Python value (bool, int or float)."""
    if prim.code == "?":
        return st.booleans()
    if prim.code in "fd":
        return st.floats(width=prim.dtype.itemsize * 8)
    info = np.iinfo(prim.dtype)
    extremes = st.sampled_from([int(info.min), int(info.max), 0, -1 if info.min else 1])
    return extremes | st.integers(int(info.min), int(info.max))


def _enum_value(enum: EnumType) -> st.SearchStrategy[Any]:
    named = [v for _, v in enum.values]
    info = np.iinfo(enum.underlying.dtype)
    valid = [v for v in named if info.min <= v <= info.max]
    anything = st.integers(int(info.min), int(info.max))
    return (st.sampled_from(valid) | anything) if valid else anything


def _leaf_array(dtype: np.dtype[Any], shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """Numbers of one dtype in a shape; big layout-fixed shapes tile a drawn pattern."""
    if dtype.kind == "b":
        elements: st.SearchStrategy[Any] = st.booleans()
    elif dtype.kind == "f":
        elements = st.floats(width=dtype.itemsize * 8)
    else:
        info = np.iinfo(dtype)
        elements = st.integers(int(info.min), int(info.max))
    if int(np.prod(shape)) <= TILE:
        return hnp.arrays(dtype, shape, elements=elements)
    pattern = hnp.arrays(dtype, TILE, elements=elements)
    return pattern.map(lambda p: np.resize(p, shape))


@st.composite
def _flat_run(draw: st.DrawFn, dtype: np.dtype[Any], n: int) -> np.ndarray[Any, Any]:
    """``n`` flat elements of ``dtype`` (a number, a sub-array or a structured class)."""
    out = np.zeros(n, dtype)
    if dtype.names is None and dtype.subdtype is None:
        return np.asarray(draw(_leaf_array(dtype, (n,))))
    if dtype.names is None:
        return np.asarray(draw(_leaf_array(out.dtype, out.shape)))

    def fill(target: np.ndarray[Any, Any]) -> None:
        assert target.dtype.names is not None
        for name in target.dtype.names:
            column = target[name]
            if column.dtype.names:
                fill(column)
            else:
                column[...] = draw(_leaf_array(column.dtype, column.shape))

    fill(out)
    return out


def _key(layout: ArchiveLayout, node: CType) -> st.SearchStrategy[Any] | None:
    """Map keys as the decoder gives them (Python values), or None if a dict cannot hold them."""
    if isinstance(node, Primitive):
        if node.code in "fd":  # no NaN: std::map cannot order it
            return st.floats(width=node.dtype.itemsize * 8, allow_nan=False)
        return _number(node)
    if isinstance(node, EnumType):
        return _enum_value(node)
    if isinstance(node, StringType):
        return _TEXT
    if isinstance(node, PairType):
        first, second = _key(layout, node.first), _key(layout, node.second)
        if first is None or second is None:
            return None
        return st.tuples(first, second)
    return None


def _count(draw: st.DrawFn, depth: int) -> int:
    if depth > ARCHIVE_DEPTH:
        return 0
    return draw(st.integers(0, max(1, ARCHIVE_LEN - depth)))


def _elements_of(draw: st.DrawFn, layout: ArchiveLayout, elem: CType, n: int, depth: int) -> Any:
    """``n`` elements of a vector, set or C array, in their decoded form."""
    dtype = flat_form(layout, elem)
    if dtype is not None:
        return draw(_flat_run(dtype, n))
    if n > TILE:  # a big layout-fixed C array of classes: repeat a few drawn elements
        pattern = [_archive_value(draw, layout, elem, depth) for _ in range(4)]
        return [pattern[i % 4] for i in range(n)]
    return [_archive_value(draw, layout, elem, depth) for _ in range(n)]


def _archive_value(draw: st.DrawFn, layout: ArchiveLayout, node: CType, depth: int) -> Any:
    if isinstance(node, Primitive):
        value = draw(_number(node))
        return value if node.code == "?" else node.dtype.type(value)
    if isinstance(node, EnumType):
        return node.underlying.dtype.type(draw(_enum_value(node)))
    if isinstance(node, StringType):
        return draw(_TEXT)
    if isinstance(node, ClassType):
        return {
            name: _archive_value(draw, layout, ctype, depth + 1)
            for ctype, name in written_members(layout, node.name)
        }
    if isinstance(node, SeqType):
        return _elements_of(draw, layout, node.elem, _count(draw, depth), depth + 1)
    if isinstance(node, ArrayType):
        return _elements_of(draw, layout, node.elem, node.length, depth + 1)
    if isinstance(node, PairType):
        return (
            _archive_value(draw, layout, node.first, depth + 1),
            _archive_value(draw, layout, node.second, depth + 1),
        )
    if isinstance(node, MapType):
        keys = _key(layout, node.key)
        n = _count(draw, depth)
        if keys is None or n == 0:
            return {}
        chosen = draw(st.lists(keys, max_size=n, unique=True))
        return {k: _archive_value(draw, layout, node.value, depth + 2) for k in chosen}
    raise AssertionError(f"unresolved type {node!r}")


@st.composite
def archive_values_for(draw: st.DrawFn, layout: ArchiveLayout) -> dict[str, Any]:
    """Draw the root class's members of ``layout`` in their decoded forms (see above)."""
    value = _archive_value(draw, layout, ClassType(layout.root), 0)
    assert isinstance(value, dict)
    return value
