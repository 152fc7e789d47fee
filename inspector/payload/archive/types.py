"""C++ member types of archive layouts: parsed from their C++ spelling.

A layout names each member's type as the class header does
(``std::vector<std::pair<unsigned int, float>>``, ``double[7][7]``), so a
detector group can copy declarations from its header.  This module parses
such a spelling into a small tree of :class:`CType` nodes and gives each node
its *canonical spelling*: boost identifies a class by its C++ type, so
``std::vector<uint32_t>`` and ``std::vector<unsigned int>`` are one class,
and the per-archive record of classes already seen is keyed by that spelling.

Names that are not built in (declared classes, enums, typedefs) are left as
:class:`Named` nodes; :mod:`inspector.payload.archive.layout` resolves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

import numpy as np

from inspector.errors import SchemaError

__all__ = [
    "MAX_NESTING",
    "PRIMITIVES",
    "ArrayType",
    "CType",
    "ClassType",
    "EnumType",
    "MapType",
    "Named",
    "PairType",
    "Primitive",
    "SeqType",
    "StringType",
    "has_header",
    "nesting",
    "parse_type",
]


@dataclass(frozen=True)
class Primitive:
    """A number or bool: written as one variable-size integer token."""

    spelling: str
    code: str  # one numpy type char: b B h H i I q Q f d ?

    @cached_property
    def dtype(self) -> np.dtype[Any]:
        """The numpy dtype of decoded values (native order: they are computed, not viewed).

        64-bit integers are ``int64`` / ``uint64`` (numpy's ``q`` / ``Q`` codes name
        ``longlong`` types, whose scalars are not instances of ``np.int64``).
        """
        return np.dtype(_SIZED.get(self.code, self.code))


@dataclass(frozen=True)
class StringType:
    """``std::string``: length, then UTF-8 bytes."""

    spelling: str = "std::string"


# The composite types cache their spelling: the reader asks for it at every
# element's header, and computing it walks the whole subtree (quadratic in
# the nesting otherwise).  cached_property writes the instance's __dict__,
# which a frozen dataclass allows; equality and hashing still use the fields.


@dataclass(frozen=True)
class SeqType:
    """``std::vector<T>`` or ``std::set<T>``: count, item_version, elements."""

    kind: str  # "vector" | "set"
    elem: CType

    @cached_property
    def spelling(self) -> str:
        return f"std::{self.kind}<{self.elem.spelling}>"


@dataclass(frozen=True)
class MapType:
    """``std::map<K, V>``: count, item_version, ``std::pair<const K, V>`` elements."""

    key: CType
    value: CType

    @cached_property
    def spelling(self) -> str:
        return f"std::map<{self.key.spelling},{self.value.spelling}>"

    @cached_property
    def item(self) -> PairType:
        """The element type boost writes (its first member is const)."""
        return PairType(self.key, self.value, const_first=True)


@dataclass(frozen=True)
class PairType:
    """``std::pair<A, B>``: first, then second."""

    first: CType
    second: CType
    const_first: bool = False

    @cached_property
    def spelling(self) -> str:
        const = "const " if self.const_first else ""
        return f"std::pair<{const}{self.first.spelling},{self.second.spelling}>"


@dataclass(frozen=True)
class ArrayType:
    """A C array ``T[N]`` (``T[N][M]`` nests): count, then the elements."""

    elem: CType
    length: int

    @cached_property
    def spelling(self) -> str:
        inner, dims = self.elem, [self.length]
        while isinstance(inner, ArrayType):
            dims.append(inner.length)
            inner = inner.elem
        return inner.spelling + "".join(f"[{d}]" for d in dims)


@dataclass(frozen=True)
class ClassType:
    """A class declared in the layout (its members live in the layout)."""

    name: str

    @property
    def spelling(self) -> str:
        return self.name


@dataclass(frozen=True)
class EnumType:
    """An enum declared in the layout: written as its underlying integer."""

    name: str
    underlying: Primitive
    values: tuple[tuple[str, int], ...] = ()

    @property
    def spelling(self) -> str:
        return self.name


@dataclass(frozen=True)
class Named:
    """A name the layout must declare (class, enum or typedef); unresolved."""

    name: str

    @property
    def spelling(self) -> str:
        return self.name


_SIZED: Final = {"q": np.int64, "Q": np.uint64}

CType = (
    Primitive | StringType | SeqType | MapType | PairType | ArrayType | ClassType | EnumType | Named
)


def _primitives() -> dict[str, Primitive]:
    """Every spelling of the built-in numbers (Linux LP64: long is 8 bytes, char signed)."""
    groups: dict[tuple[str, str], tuple[str, ...]] = {
        ("bool", "?"): ("bool",),
        ("char", "b"): ("char", "signed char", "int8_t"),
        ("unsigned char", "B"): ("unsigned char", "uint8_t"),
        ("short", "h"): ("short", "short int", "signed short", "int16_t"),
        ("unsigned short", "H"): ("unsigned short", "unsigned short int", "uint16_t"),
        ("int", "i"): ("int", "signed int", "signed", "int32_t"),
        ("unsigned int", "I"): ("unsigned int", "unsigned", "uint32_t"),
        ("long", "q"): (
            "long",
            "long int",
            "signed long",
            "long long",
            "long long int",
            "signed long long",
            "int64_t",
        ),
        ("unsigned long", "Q"): (
            "unsigned long",
            "unsigned long int",
            "unsigned long long",
            "unsigned long long int",
            "uint64_t",
            "size_t",
        ),
        ("float", "f"): ("float",),
        ("double", "d"): ("double",),
    }
    out: dict[str, Primitive] = {}
    for (canonical, code), spellings in groups.items():
        prim = Primitive(canonical, code)
        for s in spellings:
            out[s] = prim
            if s.endswith("_t"):
                out["std::" + s] = prim
    return out


#: How deep types and values may nest (templates and C arrays in a spelling; classes and
#: containers in a payload).  Real CMS payloads nest a handful of levels; the limit keeps
#: every recursive walk (parser, reader, writer, value walks) far from Python's recursion
#: limit, so a hostile spelling or blob gets a clear error instead of a RecursionError.
MAX_NESTING: Final = 64
#: spelling → primitive, every accepted spelling of every built-in number.
PRIMITIVES: Final = _primitives()
#: the standard templates an archive layout may use, with their number of type arguments
_TEMPLATES: Final = {"std::vector": 1, "std::set": 1, "std::map": 2, "std::pair": 2}
_WORDS: Final = frozenset({"unsigned", "signed", "short", "long", "int", "char"})
_TOKEN: Final = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][\w]*(?:::[A-Za-z_]\w*)*)|(?P<num>\d+)|(?P<p>[<>,\[\]]))"
)


def parse_type(text: str, *, where: str = "type") -> CType:
    """Parse one C++ type spelling; :class:`SchemaError` naming ``where`` if malformed."""
    parser = _Parser(text, where)
    node = parser.type_expr()
    parser.expect_end()
    if nesting(node) > MAX_NESTING:
        raise parser.error(f"nests deeper than {MAX_NESTING} levels")
    return node


def nesting(node: CType) -> int:
    """Levels of containers, pairs and C arrays in a type (0 for a number, string or class).

    Iterative, so that it can measure any type, however deep, without recursing.
    """
    deepest = 0
    stack: list[tuple[CType, int]] = [(node, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, SeqType | ArrayType):
            stack.append((item.elem, level + 1))
        elif isinstance(item, PairType):
            stack.extend([(item.first, level + 1), (item.second, level + 1)])
        elif isinstance(item, MapType):  # its elements are pairs: two levels
            stack.extend([(item.key, level + 2), (item.value, level + 2)])
    return deepest


class _Parser:
    """Recursive descent over: name [< type, ... >] ([N])*."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                at = len(text) - len(text[pos:].lstrip())
                raise self.error(f"unexpected character {text[at]!r}", at)
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def error(self, reason: str, at: int | None = None) -> SchemaError:
        where = "" if at is None else f" at column {at + 1}"
        return SchemaError(f"{self.where}: type {self.text!r}{where}: {reason}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise self.error(f"ends early{f', expected {value!r}' if value else ''}")
        if value is not None and tok[1] != value:
            raise self.error(f"expected {value!r}, found {tok[1]!r}", tok[2])
        self.i += 1
        return tok

    def expect_end(self) -> None:
        tok = self.peek()
        if tok is not None:
            raise self.error(f"unexpected {tok[1]!r}", tok[2])

    def type_expr(self) -> CType:
        self.depth += 1
        if self.depth > MAX_NESTING + 1:  # the innermost type is not a level
            tok = self.peek()
            raise self.error(
                f"nests deeper than {MAX_NESTING} levels", None if tok is None else tok[2]
            )
        node = self.base()
        self.depth -= 1
        dims: list[int] = []
        while (tok := self.peek()) is not None and tok[1] == "[":
            self.take("[")
            kind, value, at = self.take()
            if kind != "num" or int(value) <= 0:
                raise self.error("an array size must be a positive integer", at)
            dims.append(int(value))
            if len(dims) > MAX_NESTING:
                raise self.error(f"nests deeper than {MAX_NESTING} levels", at)
            self.take("]")
        for d in reversed(dims):
            node = ArrayType(node, d)
        return node

    def base(self) -> CType:
        kind, value, at = self.take()
        if value == "const":
            raise self.error(
                "'const' does not change what is serialised: drop it "
                "(write std::map<K, V>, not its pair type)",
                at,
            )
        if kind != "name":
            raise self.error(f"expected a type name, found {value!r}", at)
        if value in _WORDS:
            words = [value]
            while (tok := self.peek()) is not None and tok[1] in _WORDS:
                words.append(self.take()[1])
            spelling = " ".join(words)
            if spelling not in PRIMITIVES:
                raise self.error(f"{spelling!r} is not a C++ number type", at)
            return PRIMITIVES[spelling]
        if value in PRIMITIVES:
            return PRIMITIVES[value]
        if value == "std::string":
            return StringType()
        if value.startswith("std::") and value not in _TEMPLATES:
            raise self.error(
                f"{value} is not supported (bool, numbers, std::string, std::vector, "
                "std::set, std::map, std::pair, C arrays and declared names are)",
                at,
            )
        args = self.arguments() if (tok := self.peek()) is not None and tok[1] == "<" else []
        return self.template(value, args, at)

    def arguments(self) -> list[CType]:
        self.take("<")
        args = [self.type_expr()]
        while (tok := self.peek()) is not None and tok[1] == ",":
            self.take(",")
            args.append(self.type_expr())
        self.take(">")
        return args

    def template(self, name: str, args: list[CType], at: int) -> CType:
        if name in _TEMPLATES:
            if len(args) != _TEMPLATES[name]:
                raise self.error(f"{name} takes {_TEMPLATES[name]} type argument(s)", at)
            if name == "std::map":
                return MapType(args[0], args[1])
            if name == "std::pair":
                return PairType(args[0], args[1])
            return SeqType(name.removeprefix("std::"), args[0])
        if args:
            # A template class declared in the layout under its full name.
            return Named(f"{name}<{','.join(a.spelling for a in args)}>")
        return Named(name)


def has_header(node: CType) -> bool:
    """Whether boost writes a class header the first time this type appears.

    Classes, pairs, maps and sets are classes; a vector is one unless its
    elements are numbers or bools (boost's collection traits make those
    vectors header-less); strings, numbers, enums and C arrays never are.
    """
    if isinstance(node, ClassType | PairType | MapType):
        return True
    if isinstance(node, SeqType):
        return node.kind == "set" or not isinstance(node.elem, Primitive)
    return False
