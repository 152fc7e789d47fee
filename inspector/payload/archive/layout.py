"""Archive layouts: a CMSSW payload class declared as its C++ members.

One TOML file (``<Name>.archive.toml``, see ``docs/payload-schemas.md``)
declares the payload's root class and every class, enum and typedef it uses.
Parsing resolves every type name once, checks what can be checked before any
blob is read (unknown names, typedef cycles, a class that contains itself,
duplicate members), and precomputes for each *flat* class the numpy
structured dtype its vectors decode to.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from inspector.errors import SchemaError
from inspector.payload.archive.types import (
    MAX_NESTING,
    ArrayType,
    ClassType,
    CType,
    EnumType,
    MapType,
    Named,
    PairType,
    Primitive,
    SeqType,
    nesting,
    parse_type,
)

__all__ = ["ArchiveLayout", "ClassDef", "MemberDef", "load_archive_layout", "parse_archive_layout"]

ENCODING: Final = "cmssw-archive"
_TOP_KEYS: Final = frozenset(
    {"encoding", "object_type", "root", "description", "source", "classes", "enums", "typedefs"}
)
_CLASS_KEYS: Final = frozenset({"members", "bases", "versions", "description"})
_MEMBER_KEYS: Final = frozenset(
    {"name", "type", "unit", "description", "min_version", "max_version"}
)


@dataclass(frozen=True)
class MemberDef:
    """One serialised member: its name, resolved type and optional version range."""

    name: str
    type: CType
    unit: str = ""
    description: str = ""
    min_version: int | None = None
    max_version: int | None = None

    def present(self, version: int) -> bool:
        """Whether the member is written by a class of ``version``."""
        low = self.min_version is None or version >= self.min_version
        return low and (self.max_version is None or version <= self.max_version)


@dataclass(frozen=True)
class ClassDef:
    """A declared class: base classes first, then members in declaration order."""

    name: str
    members: tuple[MemberDef, ...]
    bases: tuple[str, ...] = ()
    versions: tuple[int, ...] = (0,)
    description: str = ""


@dataclass(frozen=True)
class ArchiveLayout:
    """The layout of one CMSSW payload class (and the classes it uses)."""

    object_type: str
    root: str
    classes: Mapping[str, ClassDef]
    description: str = ""
    source: str = ""
    origin: str = ""
    #: flat class name → structured dtype its vectors decode to (derived)
    flat: Mapping[str, np.dtype[Any]] = field(default_factory=dict, compare=False)
    #: what readers derive from the declaration once, not per payload (member
    #: lists, flat-run plans); never part of the layout's identity
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, int]:
        """``(object_type, 0)``: archive layouts are not versioned by ``PAYLOAD.VERSION``."""
        return self.object_type, 0

    @property
    def version(self) -> int:
        """Kept for callers that print ``vN`` of a layout: archive layouts show ``v0``."""
        return 0

    def cls(self, name: str) -> ClassDef:
        """The declared class ``name``."""
        return self.classes[name]

    def members(self, name: str, version: int | None = None) -> list[tuple[str, MemberDef]]:
        """``(owner class, member)`` of a class, bases first (all versions if None).

        Computed once per class and version (the reader asks at every instance).
        """
        key = ("members", name, version)
        known = self.derived.get(key)
        if known is None:
            known = []
            cdef = self.classes[name]
            for base in cdef.bases:
                known.extend(self.members(base))
            known.extend((name, m) for m in cdef.members if version is None or m.present(version))
            self.derived[key] = known
        return list(known)


def load_archive_layout(path: Path) -> ArchiveLayout:
    """Read and check one ``*.archive.toml`` file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemaError(f"{path}: {exc}") from None
    return parse_archive_layout(data, source=str(path))


def parse_archive_layout(data: Mapping[str, Any], *, source: str = "<layout>") -> ArchiveLayout:
    """Check a parsed archive layout document, naming the file, class and member on errors."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SchemaError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    if data.get("encoding") != ENCODING:
        raise SchemaError(f"{source}: an archive layout declares encoding = {ENCODING!r}")
    object_type = data.get("object_type")
    if not isinstance(object_type, str) or not object_type:
        raise SchemaError(f"{source}: 'object_type' is required and must be a string")
    names = _Names(source)
    names.read_enums(_table(data, "enums", source))
    names.read_typedefs(_table(data, "typedefs", source))
    raw_classes = _table(data, "classes", source)
    if not raw_classes:
        raise SchemaError(f"{source}: [classes] must declare at least the root class")
    names.declare_classes(raw_classes)
    classes = {
        names.class_name(raw_name): _parse_class(names, raw_name, raw)
        for raw_name, raw in raw_classes.items()
    }
    names.check_typedefs()  # the ones no member uses, too
    root_text = data.get("root", object_type)
    if not isinstance(root_text, str):
        raise SchemaError(f"{source}: 'root' must be a class name")
    root = names.class_name(root_text)
    if root not in classes:
        raise SchemaError(f"{source}: the root class {root!r} is not declared under [classes]")
    layout = ArchiveLayout(
        object_type=object_type,
        root=root,
        classes=classes,
        description=str(data.get("description", "")),
        source=str(data.get("source", "")),
        origin=source,
    )
    _check_classes(layout, source)
    object.__setattr__(layout, "flat", _flat_dtypes(layout))
    return layout


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise SchemaError(f"{source}: [{key}] must be a table")
    return value


class _Names:
    """Declared names (classes, enums, typedefs) and the resolution of type spellings."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.enums: dict[str, EnumType] = {}
        self.typedefs: dict[str, str] = {}
        self.classes: set[str] = set()
        self._resolving: list[str] = []

    def class_name(self, text: str) -> str:
        """The canonical spelling of a declared class name (templates normalised)."""
        node = parse_type(text, where=f"{self.source}: class {text!r}")
        if not isinstance(node, Named):
            raise SchemaError(f"{self.source}: {text!r} is a built-in type, not a class name")
        return node.name

    def declare(self, text: str) -> str:
        """A new enum, typedef or class name, canonical; declaring one twice is an error."""
        name = self.class_name(text)
        if name in self.enums or name in self.typedefs or name in self.classes:
            raise SchemaError(f"{self.source}: {name!r} is declared twice")
        return name

    def read_enums(self, raw: Mapping[str, Any]) -> None:
        for text, spec in raw.items():
            name = self.declare(text)
            where = f"{self.source}: enum {name!r}"
            if not isinstance(spec, Mapping) or set(spec) - {"type", "values", "description"}:
                raise SchemaError(f"{where}: takes type, values and description")
            underlying = parse_type(str(spec.get("type", "int")), where=where)
            if not isinstance(underlying, Primitive) or underlying.code in "fd?":
                raise SchemaError(f"{where}: the underlying type must be an integer type")
            values = spec.get("values", {})
            if not isinstance(values, Mapping) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in values.values()
            ):
                raise SchemaError(f"{where}: values must map names to integers")
            self.enums[name] = EnumType(name, underlying, tuple(values.items()))

    def read_typedefs(self, raw: Mapping[str, Any]) -> None:
        for text, spelling in raw.items():
            name = self.declare(text)
            if not isinstance(spelling, str):
                raise SchemaError(f"{self.source}: typedef {name!r} must be a type spelling")
            self.typedefs[name] = spelling

    def declare_classes(self, raw: Mapping[str, Any]) -> None:
        for raw_name in raw:
            self.classes.add(self.declare(raw_name))

    def check_typedefs(self) -> None:
        """Resolve every typedef once, used or not: unknown names and cycles are errors."""
        for name in self.typedefs:
            self.resolve(Named(name), f"{self.source}: typedef {name!r}")

    def resolve(self, node: CType, where: str) -> CType:
        """Replace every :class:`Named` by the class, enum or typedef it names."""
        if isinstance(node, Named):
            if node.name in self.classes:
                return ClassType(node.name)
            if node.name in self.enums:
                return self.enums[node.name]
            if node.name in self.typedefs:
                if node.name in self._resolving:
                    chain = " -> ".join([*self._resolving, node.name])
                    raise SchemaError(f"{where}: typedef cycle {chain}")
                if len(self._resolving) >= MAX_NESTING:
                    raise SchemaError(
                        f"{where}: typedefs refer to typedefs more than {MAX_NESTING} deep"
                    )
                self._resolving.append(node.name)
                try:
                    target = parse_type(self.typedefs[node.name], where=f"{where} ({node.name})")
                    return self.resolve(target, where)
                finally:
                    self._resolving.pop()
            raise SchemaError(
                f"{where}: type {node.name!r} is not declared (declare it under [classes], "
                "[enums] or [typedefs])"
            )
        if isinstance(node, SeqType):
            return SeqType(node.kind, self.resolve(node.elem, where))
        if isinstance(node, MapType):
            return MapType(self.resolve(node.key, where), self.resolve(node.value, where))
        if isinstance(node, PairType):
            return PairType(self.resolve(node.first, where), self.resolve(node.second, where))
        if isinstance(node, ArrayType):
            return ArrayType(self.resolve(node.elem, where), node.length)
        return node


def _parse_class(names: _Names, raw_name: str, raw: Any) -> ClassDef:
    name = names.class_name(raw_name)
    where = f"{names.source}: class {name!r}"
    if not isinstance(raw, Mapping):
        raise SchemaError(f"{where}: must be a table")
    unknown = set(raw) - _CLASS_KEYS
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    bases_raw = raw.get("bases", [])
    if not isinstance(bases_raw, list) or not all(isinstance(b, str) for b in bases_raw):
        raise SchemaError(f"{where}: bases must be a list of class names")
    bases = tuple(names.class_name(b) for b in bases_raw)
    if len(set(bases)) != len(bases):
        raise SchemaError(f"{where}: a base class is listed twice")
    for base in bases:
        if base not in names.classes:
            raise SchemaError(f"{where}: base class {base!r} is not declared")
    versions = raw.get("versions", [0])
    if (
        not isinstance(versions, list)
        or not versions
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in versions)
    ):
        raise SchemaError(f"{where}: versions must list non-negative integers")
    if len(set(versions)) != len(versions):
        raise SchemaError(f"{where}: versions lists a version twice")
    members_raw = raw.get("members", [])
    if not isinstance(members_raw, list):
        raise SchemaError(f"{where}: members must be a list of {{ name, type }} tables")
    members = tuple(_parse_member(names, where, m) for m in members_raw)
    for member in members:
        if not any(member.present(v) for v in versions):
            raise SchemaError(
                f"{where} member {member.name!r}: present in none of the class versions "
                f"{versions} (min_version {member.min_version}, max_version {member.max_version})"
            )
    return ClassDef(name, members, bases, tuple(versions), str(raw.get("description", "")))


def _parse_member(names: _Names, where: str, raw: Any) -> MemberDef:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise SchemaError(f"{where}: each member is a table with a name and a type")
    mwhere = f"{where} member {raw['name']!r}"
    unknown = set(raw) - _MEMBER_KEYS
    if unknown:
        raise SchemaError(f"{mwhere}: unknown key(s) {', '.join(sorted(unknown))}")
    if not raw["name"].isidentifier():
        raise SchemaError(f"{mwhere}: the name must be an identifier")
    if not isinstance(raw.get("type"), str):
        raise SchemaError(f"{mwhere}: 'type' is required (a C++ type spelling)")
    ctype = names.resolve(parse_type(raw["type"], where=mwhere), mwhere)
    if nesting(ctype) > MAX_NESTING:
        raise SchemaError(
            f"{mwhere}: type {raw['type']!r} nests deeper than {MAX_NESTING} levels "
            "(typedefs expanded)"
        )
    bounds: dict[str, int | None] = {}
    for key in ("min_version", "max_version"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise SchemaError(f"{mwhere}: {key} must be an integer")
        bounds[key] = value
    return MemberDef(
        raw["name"],
        ctype,
        str(raw.get("unit", "")),
        str(raw.get("description", "")),
        bounds["min_version"],
        bounds["max_version"],
    )


def _check_classes(layout: ArchiveLayout, source: str) -> None:
    """No class containing itself by value, then unique member names (bases included)."""
    for name in layout.classes:
        _check_no_cycle(layout, name, [], source)
    for name in layout.classes:
        seen: set[str] = set()
        for owner, member in layout.members(name):
            if member.name in seen:
                raise SchemaError(
                    f"{source}: class {name!r}: member {member.name!r} (from {owner!r}) "
                    "is declared twice (bases included)"
                )
            seen.add(member.name)


def _check_no_cycle(layout: ArchiveLayout, name: str, stack: list[str], source: str) -> None:
    if name in stack:
        raise SchemaError(
            f"{source}: class {name!r} contains itself ({' -> '.join([*stack, name])})"
        )
    if len(stack) >= MAX_NESTING:
        raise SchemaError(
            f"{source}: class {stack[0]!r} nests classes (bases and members held by value) "
            f"more than {MAX_NESTING} deep"
        )
    cdef = layout.classes[name]
    for base in cdef.bases:
        _check_no_cycle(layout, base, [*stack, name], source)
    for member in cdef.members:
        for inner in _direct_classes(member.type):
            _check_no_cycle(layout, inner, [*stack, name], source)


def _direct_classes(node: CType) -> list[str]:
    """Classes held by value (arrays, pairs); containers may be empty, so they break cycles."""
    if isinstance(node, ClassType):
        return [node.name]
    if isinstance(node, ArrayType):
        return _direct_classes(node.elem)
    if isinstance(node, PairType):
        return _direct_classes(node.first) + _direct_classes(node.second)
    return []


def _flat_dtypes(layout: ArchiveLayout) -> dict[str, np.dtype[Any]]:
    """Structured dtypes of the classes made only of numbers, bools and C arrays of them."""
    out: dict[str, np.dtype[Any]] = {}
    for name in layout.classes:
        dtype = _flat_dtype(layout, ClassType(name))
        if dtype is not None:
            out[name] = dtype
    return out


def _flat_dtype(layout: ArchiveLayout, node: CType) -> np.dtype[Any] | None:
    if isinstance(node, Primitive):
        return node.dtype
    if isinstance(node, EnumType):
        return node.underlying.dtype
    if isinstance(node, ArrayType):
        if isinstance(node.elem, ClassType):
            return None  # C arrays of classes decode as lists (their headers differ)
        inner = _flat_dtype(layout, node.elem)
        return None if inner is None else np.dtype((inner, (node.length,)))
    if isinstance(node, ClassType):
        names, formats = [], []
        for _, member in layout.members(node.name):
            if member.min_version is not None or member.max_version is not None:
                return None
            dtype = _flat_dtype(layout, member.type)
            if dtype is None:
                return None
            names.append(member.name)
            formats.append(dtype)
        if not names:
            return None  # an empty class writes only its header: nothing to hold in bulk
        return np.dtype({"names": names, "formats": formats})
    return None  # strings, containers and pairs are not flat
