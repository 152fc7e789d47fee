"""Named values → blob: the exact inverse of :func:`inspector.payload.decode`.

Used to build the demo database and in tests, where
``decode(encode(schema, x), schema) == x`` is checked for every schema.
Counts and ``length`` scalars are filled in from the arrays given; values that
do not fit the declared types are rejected, never silently wrapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from inspector.errors import PayloadEncodeError
from inspector.payload.archive.layout import ArchiveLayout
from inspector.payload.archive.writer import DEFAULT_LIBRARY_VERSION, write_archive
from inspector.payload.bits import pack_bits
from inspector.payload.schema import Field, PayloadSchema

__all__ = ["encode"]


def encode(
    schema: PayloadSchema | ArchiveLayout,
    values: Mapping[str, Any],
    *,
    library_version: int = DEFAULT_LIBRARY_VERSION,
) -> bytes:
    """Serialise ``values`` with ``schema``.

    Flat layouts take field name → scalar, array or string; archive layouts
    take the root class's member name → value in the decoded forms of
    ``docs/payload-schemas.md`` and write the boost ``library_version``
    (19: boost 1.78) in the archive header.
    """
    if isinstance(schema, ArchiveLayout):
        return write_archive(schema, values, library_version=library_version)
    unknown = set(values) - {f.name for f in schema.fields}
    if unknown:
        raise PayloadEncodeError(
            f"{schema.object_type} v{schema.version} has no field(s) {', '.join(sorted(unknown))}"
        )
    filled = _fill_lengths(schema, values)
    parts: list[bytes] = []
    for field in schema.fields:
        if field.name not in filled:
            raise PayloadEncodeError(f"{schema.object_type}: missing field {field.name!r}")
        try:
            parts.append(_encode_field(field, filled[field.name], filled))
        except (ValueError, TypeError, OverflowError) as exc:
            raise PayloadEncodeError(f"{schema.object_type}: field {field.name!r}: {exc}") from None
    return b"".join(parts)


def _fill_lengths(schema: PayloadSchema, values: Mapping[str, Any]) -> dict[str, Any]:
    """Set each ``length`` scalar from its array, or check the one given."""
    filled = dict(values)
    for field in schema.fields:
        if field.length is None or field.name not in values:
            continue
        n = _length_of(field, values[field.name])
        given = filled.get(field.length)
        if given is not None and int(given) != n:
            raise PayloadEncodeError(
                f"{schema.object_type}: {field.length!r} is {given} but {field.name!r} has {n}"
            )
        filled[field.length] = n
    return filled


def _length_of(field: Field, value: Any) -> int:
    if field.kind == "string":
        return len(str(value).encode("utf-8"))
    return int(np.asarray(value).shape[0]) if np.ndim(value) else 0


def _encode_field(field: Field, value: Any, values: Mapping[str, Any]) -> bytes:
    if field.kind == "scalar":
        assert field.dtype is not None
        return _checked_array(value, field.dtype).reshape(()).tobytes()
    if field.kind == "string":
        data = str(value).encode("utf-8")
        return _prefix(field, len(data)) + data
    if field.kind == "packed":
        arr = np.asarray(value)
        if arr.ndim != 1:
            raise ValueError("a packed field takes a one-dimensional array")
        _check_fixed(field, arr.shape[0])
        return _prefix(field, arr.shape[0]) + pack_bits(arr, field.bits, field.bit_order)
    assert field.dtype is not None
    if field.kind == "records":
        arr = _records(field, value)
    else:
        arr = _checked_array(value, field.dtype)
        if field.shape is not None and arr.shape != field.shape:
            raise ValueError(f"shape {arr.shape} differs from the declared {field.shape}")
        if field.shape is None and arr.ndim != 1:
            raise ValueError("a sized array takes a one-dimensional array")
    n = arr.shape[0] if field.shape is None else field.fixed_length or 0
    _check_fixed(field, n)
    return _prefix(field, n) + arr.tobytes()


def _prefix(field: Field, n: int) -> bytes:
    if field.count is None:
        return b""
    if n >= 1 << (8 * field.count.itemsize):
        raise ValueError(f"{n} elements do not fit a {field.count.str} count")
    return np.array(n, dtype=field.count).tobytes()


def _check_fixed(field: Field, n: int) -> None:
    fixed = field.fixed_length
    if fixed is not None and n != fixed:
        raise ValueError(f"{n} elements but the layout fixes {fixed}")


def _checked_array(value: Any, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    arr = np.asarray(value)
    if arr.dtype.kind == "O" or arr.dtype.kind not in "biuf":
        raise TypeError(f"expected numbers for {dtype.str}, got {arr.dtype}")
    if dtype.kind in "iu":
        if arr.dtype.kind == "f" and arr.size and not np.array_equal(arr, np.round(arr)):
            raise ValueError(f"non-integer values for {dtype.str}")
        info = np.iinfo(dtype)
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            raise ValueError(f"values outside the range of {dtype.str}")
    return arr.astype(dtype)


def _records(field: Field, value: Any) -> np.ndarray[Any, Any]:
    """Accept a structured array or a mapping of member name → column."""
    assert field.dtype is not None
    if isinstance(value, np.ndarray) and value.dtype.names:
        columns: Mapping[str, Any] = {name: value[name] for name in value.dtype.names}
    elif isinstance(value, Mapping):
        columns = value
    else:
        raise TypeError("records take a structured array or a mapping of columns")
    missing = [m.name for m in field.members if m.name not in columns]
    if missing:
        raise ValueError(f"missing member(s) {', '.join(missing)}")
    n = int(np.asarray(columns[field.members[0].name]).shape[0])
    out = np.zeros(n, dtype=field.dtype)
    for m in field.members:
        col = _checked_array(columns[m.name], m.dtype)
        if col.shape != (n, *m.shape):
            raise ValueError(f"member {m.name!r} has shape {col.shape}, expected {(n, *m.shape)}")
        out[m.name] = col
    if field.shape is not None:
        out = out.reshape(field.shape)
    return out
