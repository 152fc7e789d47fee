"""Declared payload layouts: the schema model and its TOML reader.

A payload type's binary layout is data, not code: one TOML file per
(object type, version) lists the fields in blob order.  See
``docs/payload-schemas.md`` for the format; in short, each field has a
``kind``:

``scalar``   one number (``dtype``)
``array``    numbers of one ``dtype``; its length is fixed (``shape``),
             count-prefixed (``count = "u4"``) or taken from an earlier
             integer scalar (``length = "name"``)
``records``  an array of packed structs (``members``), sized like ``array``;
             ``ranges`` may declare per-record ``[begin, end)`` index ranges
             into another field (e.g. per-module strips in a flat array)
``packed``   unsigned integers of ``bits`` bits each (1..32), packed without
             gaps, ``bit_order`` ``msb`` or ``lsb``, sized like ``array``
``string``   UTF-8 text, sized like ``array`` (in bytes)

Every multi-byte number has an explicit byte order: the schema's
``byte_order`` unless a field overrides it.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from inspector.errors import SchemaError

__all__ = [
    "Field",
    "Member",
    "PayloadSchema",
    "Quantization",
    "Ranges",
    "load_schema",
    "parse_schema",
]

Kind = Literal["scalar", "array", "records", "packed", "string"]
KINDS: Final = ("scalar", "array", "records", "packed", "string")
NUMERIC_CODES: Final = frozenset({"u1", "u2", "u4", "u8", "i1", "i2", "i4", "i8", "f4", "f8"})
COUNT_CODES: Final = frozenset({"u1", "u2", "u4", "u8"})
_ORDER: Final = {"little": "<", "big": ">"}
_FIELD_KEYS: Final = frozenset(
    {
        "name",
        "kind",
        "dtype",
        "shape",
        "count",
        "length",
        "members",
        "ranges",
        "bits",
        "bit_order",
        "byte_order",
        "unit",
        "scale",
        "offset",
        "quantized",
        "description",
    }
)
_TOP_KEYS: Final = frozenset({"object_type", "version", "byte_order", "description", "fields"})


@dataclass(frozen=True)
class Member:
    """One member of a record: a numeric type, optionally a fixed sub-array."""

    name: str
    dtype: np.dtype[Any]
    shape: tuple[int, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class Ranges:
    """Per-record ``[begin, end)`` element ranges into another field."""

    into: str
    begin: str
    end: str


@dataclass(frozen=True)
class Quantization:
    """Codes ``0..2**bits-1`` spread linearly over ``[min, max]`` (scalar fields)."""

    min: str
    max: str


@dataclass(frozen=True)
class Field:
    """One field of a payload layout (see the module docstring for kinds)."""

    name: str
    kind: Kind
    dtype: np.dtype[Any] | None = None
    shape: tuple[int, ...] | None = None
    count: np.dtype[Any] | None = None
    length: str | None = None
    members: tuple[Member, ...] = ()
    ranges: Ranges | None = None
    bits: int = 0
    bit_order: Literal["msb", "lsb"] = "msb"
    unit: str = ""
    scale: float | None = None
    offset: float | None = None
    quantized: Quantization | None = None
    description: str = ""

    @property
    def itemsize(self) -> int:
        """Bytes per element (records: per record; packed/string: 0)."""
        if self.dtype is not None and self.kind in ("scalar", "array", "records"):
            return int(self.dtype.itemsize)
        return 0

    @property
    def fixed_length(self) -> int | None:
        """Number of elements when fixed by ``shape``, else ``None``."""
        return math.prod(self.shape) if self.shape is not None else None


@dataclass(frozen=True)
class PayloadSchema:
    """The layout of one version of one payload type."""

    object_type: str
    version: int
    fields: tuple[Field, ...]
    byte_order: Literal["little", "big"] = "little"
    description: str = ""
    source: str = ""
    _by_name: Mapping[str, Field] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    @property
    def key(self) -> tuple[str, int]:
        """``(object_type, version)``: how registries find this schema."""
        return self.object_type, self.version

    def field(self, name: str) -> Field:
        """The field ``name``; :class:`SchemaError` naming the schema if absent."""
        try:
            return self._by_name[name]
        except KeyError:
            raise SchemaError(f"{self.object_type} v{self.version} has no field {name!r}") from None


def load_schema(path: Path) -> PayloadSchema:
    """Read and validate one schema file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemaError(f"{path}: {exc}") from None
    return parse_schema(data, source=str(path))


def parse_schema(data: Mapping[str, Any], *, source: str = "<schema>") -> PayloadSchema:
    """Validate a parsed schema document, naming the file and field on errors."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SchemaError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    object_type = _require(data, "object_type", str, source)
    version = _require(data, "version", int, source)
    if version < 1:
        raise SchemaError(f"{source}: version must be a positive integer")
    order = data.get("byte_order", "little")
    if order not in _ORDER:
        raise SchemaError(f"{source}: byte_order must be 'little' or 'big', not {order!r}")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise SchemaError(f"{source}: [[fields]] must list at least one field")
    fields: list[Field] = []
    for i, raw in enumerate(raw_fields):
        where = f"{source}: field #{i + 1}"
        if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
            where = f"{source}: field {raw['name']!r}"
        fields.append(_parse_field(raw, order, where))
    schema = PayloadSchema(
        object_type=object_type,
        version=version,
        fields=tuple(fields),
        byte_order=order,
        description=str(data.get("description", "")),
        source=source,
    )
    _check_references(schema, source)
    return schema


def _require(data: Mapping[str, Any], key: str, typ: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
        raise SchemaError(f"{where}: {key!r} is required and must be a {typ.__name__}")
    return value


def _numeric(
    code: Any, order: str, where: str, *, allowed: frozenset[str] = NUMERIC_CODES
) -> np.dtype[Any]:
    if code not in allowed:
        raise SchemaError(f"{where}: dtype {code!r} is not one of {', '.join(sorted(allowed))}")
    return np.dtype(_ORDER[order] + str(code))


def _parse_field(raw: Any, default_order: str, where: str) -> Field:
    if not isinstance(raw, Mapping):
        raise SchemaError(f"{where}: must be a table")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = _require(raw, "name", str, where)
    if not name.isidentifier():
        raise SchemaError(f"{where}: name must be an identifier")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SchemaError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    order = raw.get("byte_order", default_order)
    if order not in _ORDER:
        raise SchemaError(f"{where}: byte_order must be 'little' or 'big'")
    common: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "unit": str(raw.get("unit", "")),
        "description": str(raw.get("description", "")),
        "scale": _opt_float(raw, "scale", where),
        "offset": _opt_float(raw, "offset", where),
    }
    if "quantized" in raw:
        q = raw["quantized"]
        if not isinstance(q, Mapping) or set(q) != {"min", "max"}:
            raise SchemaError(f"{where}: quantized must be {{ min = FIELD, max = FIELD }}")
        common["quantized"] = Quantization(str(q["min"]), str(q["max"]))
    if kind == "scalar":
        _no_size(raw, where)
        return Field(dtype=_numeric(raw.get("dtype"), order, where), **common)
    size = _parse_size(raw, order, where)
    if kind == "array":
        return Field(dtype=_numeric(raw.get("dtype"), order, where), **size, **common)
    if kind == "records":
        members = _parse_members(raw.get("members"), order, where)
        dtype = _record_dtype(members)
        ranges = _parse_ranges(raw.get("ranges"), members, where)
        return Field(dtype=dtype, members=members, ranges=ranges, **size, **common)
    if kind == "packed":
        bits = raw.get("bits")
        if not isinstance(bits, int) or not 1 <= bits <= 32:
            raise SchemaError(f"{where}: bits must be an integer from 1 to 32")
        bit_order = raw.get("bit_order", "msb")
        if bit_order not in ("msb", "lsb"):
            raise SchemaError(f"{where}: bit_order must be 'msb' or 'lsb'")
        return Field(bits=bits, bit_order=bit_order, **size, **common)
    return Field(**size, **common)  # string


def _opt_float(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SchemaError(f"{where}: {key} must be a finite number")
    return float(value)


def _no_size(raw: Mapping[str, Any], where: str) -> None:
    given = [k for k in ("shape", "count", "length") if k in raw]
    if given:
        raise SchemaError(f"{where}: a scalar takes no {', '.join(given)}")


def _parse_size(raw: Mapping[str, Any], order: str, where: str) -> dict[str, Any]:
    given = [k for k in ("shape", "count", "length") if k in raw]
    if len(given) != 1:
        raise SchemaError(f"{where}: give exactly one of shape, count or length")
    if "shape" in raw:
        shape = raw["shape"]
        shape = [shape] if isinstance(shape, int) else shape
        if (
            not isinstance(shape, list)
            or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise SchemaError(f"{where}: shape must be a non-negative integer or a list of them")
        if raw.get("kind") in ("packed", "string", "records") and len(shape) != 1:
            raise SchemaError(f"{where}: a {raw['kind']} field takes a one-dimensional shape")
        return {"shape": tuple(shape)}
    if "count" in raw:
        return {"count": _numeric(raw["count"], order, where, allowed=COUNT_CODES)}
    length = raw["length"]
    if not isinstance(length, str):
        raise SchemaError(f"{where}: length must name an earlier integer scalar field")
    return {"length": length}


def _parse_members(raw: Any, order: str, where: str) -> tuple[Member, ...]:
    if not isinstance(raw, list) or not raw:
        raise SchemaError(f"{where}: records need a non-empty members list")
    members: list[Member] = []
    for m in raw:
        if not isinstance(m, Mapping) or not isinstance(m.get("name"), str):
            raise SchemaError(f"{where}: each member needs a name and a dtype")
        extra = set(m) - {"name", "dtype", "shape", "unit"}
        if extra:
            raise SchemaError(f"{where}: member {m['name']!r}: unknown key(s) {sorted(extra)}")
        shape = m.get("shape", [])
        shape = [shape] if isinstance(shape, int) else shape
        if not isinstance(shape, list) or not all(isinstance(d, int) and d > 0 for d in shape):
            raise SchemaError(f"{where}: member {m['name']!r}: shape must be positive integers")
        dtype = _numeric(m.get("dtype"), order, f"{where}: member {m['name']!r}")
        members.append(Member(m["name"], dtype, tuple(shape), str(m.get("unit", ""))))
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise SchemaError(f"{where}: member names must be unique")
    return tuple(members)


def _record_dtype(members: Sequence[Member]) -> np.dtype[Any]:
    """A packed (no padding) structured dtype: the blob has no alignment."""
    formats: list[Any] = [(m.dtype, m.shape) if m.shape else m.dtype for m in members]
    return np.dtype({"names": [m.name for m in members], "formats": formats}, align=False)


def _parse_ranges(raw: Any, members: Sequence[Member], where: str) -> Ranges | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"into", "begin", "end"}:
        raise SchemaError(f"{where}: ranges must be {{ into = FIELD, begin = M, end = M }}")
    names = {m.name: m for m in members}
    for key in ("begin", "end"):
        member = names.get(str(raw[key]))
        if member is None or member.dtype.kind not in "iu" or member.shape:
            raise SchemaError(f"{where}: ranges.{key} must name an integer member")
    return Ranges(str(raw["into"]), str(raw["begin"]), str(raw["end"]))


def _check_references(schema: PayloadSchema, source: str) -> None:
    """Names referred to exist, are unique and point the right way."""
    seen: dict[str, Field] = {}
    for f in schema.fields:
        if f.name in seen:
            raise SchemaError(f"{source}: field {f.name!r} is declared twice")
        if f.length is not None:
            ref = seen.get(f.length)
            if (
                ref is None
                or ref.kind != "scalar"
                or ref.dtype is None
                or ref.dtype.kind not in "iu"
            ):
                raise SchemaError(
                    f"{source}: field {f.name!r}: length {f.length!r} must name an "
                    "earlier integer scalar field"
                )
        seen[f.name] = f
    for f in schema.fields:
        if f.ranges is not None:
            target = seen.get(f.ranges.into)
            if target is None or target.kind not in ("array", "packed") or target is f:
                raise SchemaError(
                    f"{source}: field {f.name!r}: ranges.into must name an array or packed field"
                )
        if f.quantized is not None:
            if f.kind not in ("array", "packed"):
                raise SchemaError(f"{source}: field {f.name!r}: only arrays can be quantized")
            for bound_name in (f.quantized.min, f.quantized.max):
                bound = seen.get(bound_name)
                if bound is None or bound.kind != "scalar":
                    raise SchemaError(
                        f"{source}: field {f.name!r}: quantized bound {bound_name!r} "
                        "must be a scalar field"
                    )
