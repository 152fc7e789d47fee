"""Hypothesis strategies derived from payload schemas.

``values_for(schema)`` draws a dict of field values that the encoder accepts,
for any schema, so round-trip and fuzz tests cover every declared layout,
including ones plugins add later.  Sizes are kept small except where the
layout fixes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inspector.payload import SchemaRegistry
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
