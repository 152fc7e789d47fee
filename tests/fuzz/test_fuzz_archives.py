"""Hostile blobs against the CMSSW archive reader, for every archive layout.

A payload blob comes from a database the server does not control, and an
archive is read by walking it token by token, so every count, size byte,
bool, class header and nesting level in it is attacker-chosen.  The reader's
promise (``inspector/payload/archive/reader.py``) is checked here on blobs
that are random, or valid (drawn by ``strategies.archive_values_for`` and
written by the writer) and then truncated at a token of every kind,
extended, bit-flipped, given one huge or negative count, a size byte above
8 or above the type's width, a bad bool, a tracked or unknown-version class
header, a class header written again where it was already written or left
out where it is due, or nested deeper than the reader's limit:

* the only exception is :class:`~inspector.errors.PayloadDecodeError`, and it
  names the payload hash, a member path that exists in the layout and a byte
  offset inside the blob; where the damage says exactly where the reader must
  stop (a huge count, a bad size byte, a bad bool, a tracked or unknown class
  version, leftover bytes, a truncation), the member path and offset are
  checked exactly, against a token walk of the valid blob made here from the
  layout and the encoding rules alone (:class:`Walk`, not the reader);
* each decode finishes within :data:`TIME_LIMIT`;
* each decode allocates at most ``ALLOC_FACTOR * len(blob) + ALLOC_SLACK``
  bytes (``tracemalloc`` peak; :data:`ALLOC_FACTOR_FLAT` for layouts decoded
  into numpy arrays only), measured on blobs inflated to ~1 MiB;
* a blob it accepts re-encodes to the same bytes, or else (a class version
  other than the newest, a container header of another version, a number
  written with more bytes than it needs, a map key written twice) to a blob
  that decodes to the same values.  Damage that keeps the values (container
  versions, wide numbers) must be accepted.

The layouts are discovered, never listed: every archive layout of the
registry and the installed plugins and every ``payload_schemas/**/*.archive
.toml`` (``strategies.archive_layouts``), plus the edge layouts of
``tests/archive_edge_layouts.py`` for the paths no built-in uses (class
version branches, bases, empty classes, sets, maps, pairs, strings, enums,
nested C arrays, classes holding themselves, a vector nested 50 deep).  The
real ``JME::JetResolutionObject`` payloads of the shared CMS files are
damaged the same way.

Three tests per layout family: one drawn damage per example (inflated blobs
among them, for the time and allocation bounds); one valid blob damaged at
up to :data:`SWEEP` places per kind (a third as many examples); the real
payloads; and an ``Edge::Tree`` nested up to and past the reader's limit.

One valid blob the reader refuses, by design, and the strategies step
around: a vector of more elements than bytes left when its elements take no
bytes (an empty class), see :func:`valid_archives`.

Examples per test come from the profile in ``tests/fuzz/conftest.py``
(``inspector-fuzz-archives``: 30 per test by default, derandomized, the
whole file some 30 s on two cores; ``INSPECTOR_STRESS=1`` for 20,000,
``INSPECTOR_FUZZ_EXAMPLES=N`` between the two).
"""

from __future__ import annotations

import hashlib
import re
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import pytest
from archive_edge_layouts import edge_archive_layouts
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from real_archives import REAL_CMS_DIR, RealPayload, real_payloads
from strategies import archive_layouts, archive_values_for, flat_form

from inspector.errors import PayloadDecodeError, PayloadEncodeError
from inspector.payload import ArchiveLayout, decode, encode, parse_archive_layout
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
from inspector.payload.archive.values import plain

#: Seconds one decode may take.  Real payloads decode in milliseconds.  Runs
#: of numbers go through the compiled kernel at a few ns per byte; what the
#: reader walks element by element (classes, strings, nested containers) costs
#: 0.8 us per byte, 4 to 7 under tracemalloc (measured on 0.1-0.4 MB blobs of
#: one-byte elements), so vectors of those are inflated to 4,000 elements at
#: most here; the slowest decode measured is 0.25 s (Edge::Deep).  2 s fails
#: only on a hang or a super-linear path, not on a busy machine.  numba
#: compiles the kernel before any decode is timed (:func:`_compiled`).
TIME_LIMIT: Final = 2.0
#: Allowed peak allocation per blob byte, for layouts whose every container holds
#: numbers or flat classes (decoded as numpy arrays).  Measured on 1-2 MB runs of
#: one-byte tokens (``00``, the costliest): 8x for double, 12x for float and int,
#: 16x for long (the kernel's int64 per token, then the column in its dtype),
#: 24x for a struct of two longs; 2x for an ASCII string, 6x for one of
#: astral-plane characters.  The suite's worst: see :data:`WORST`.
ALLOC_FACTOR_FLAT: Final = 32
#: The same for layouts that decode elements one by one into dicts, lists and
#: tuples: that Python form costs more than the bytes it comes from.  Measured:
#: 108x for a vector of ``{std::string, double}`` written ``00 00`` each (a
#: 184-byte dict and a numpy scalar per two bytes), 60x for vectors of empty
#: vectors or sets, 55x for pairs, 62x for trees.  A constant of the layout,
#: never of the blob: an unchecked count instead allocates gigabytes at once.
ALLOC_FACTOR: Final = 160
#: Fixed allowance: the result, error messages, dtype and numba dispatch caches.
ALLOC_SLACK: Final = 128 * 1024
#: The hash every decode is given, to check that errors carry it.
FUZZ_HASH: Final = "a" * 40
#: boost library versions written: 3 and below have no item_version (boost < 1.36).
LIBRARY_VERSIONS: Final = (3, 11, 19)
#: Bytes a flat vector may be inflated to (the kernel's per-byte cost shows at this size).
_FLAT_BUDGET: Final = 1 << 20
#: Elements a vector of classes may be inflated to (each is a Python walk).
_OBJECT_BUDGET: Final = 4000

LAYOUTS: Final = [*archive_layouts(), *edge_archive_layouts()]
TREE: Final = next(x for x in LAYOUTS if x.object_type == "Edge::Tree")
REAL: Final = real_payloads()
JER: Final = next(x for x in LAYOUTS if x.object_type == "JME::JetResolutionObject")
needs_real = pytest.mark.skipif(
    not REAL, reason=f"the real CMS files are not at {REAL_CMS_DIR} (they are never copied here)"
)

#: ``draw`` of a composite strategy, or of ``st.data()``
Draw = Callable[[st.SearchStrategy[Any]], Any]

_WIDTH: Final = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8}
_WIDTH.update({"f": 4, "d": 8, "?": 1})
_UNSIGNED: Final = frozenset("BHIQfd?")


# -- an independent token walk of a valid archive ------------------------------------


@dataclass(frozen=True)
class Token:
    """One token of an archive: its kind, C++ code, bytes, member path and value."""

    kind: str  # magic lib tracking version count length array_count item_version number bool bytes
    code: str
    start: int
    end: int
    path: str | None
    value: int = 0
    length: int = 0  # the declared length of a C array (array_count)


@dataclass(frozen=True)
class Header:
    """A class header written the first time its class appears."""

    spelling: str
    path: str | None
    tracking: Token
    version: Token
    #: the versions a declared class may have; None for containers and pairs (boost's
    #: check of those is compiled out: any version is read)
    versions: tuple[int, ...] | None


@dataclass(frozen=True)
class Omitted:
    """Where a class appears again and boost writes no header (the class was seen)."""

    at: int
    spelling: str
    path: str | None


class Walk:
    """The tokens of a *valid* archive, walked from the layout and the encoding rules.

    Its own few lines, not the reader: the targeted damage below is placed
    with it, and the place where the reader must stop is read off it.  It
    trusts the blob (an invalid one raises anything), and names member paths
    as the reader's errors do (``m_records[3].m_params``).
    """

    def __init__(self, layout: ArchiveLayout, blob: bytes) -> None:
        self.layout, self.blob = layout, blob
        self.pos = 0
        self.path: list[str] = []
        self.tokens: list[Token] = []
        self.headers: list[Header] = []
        self.omitted: list[Omitted] = []
        self.seen: dict[str, int] = {}
        self.tokens.append(Token("magic", "", 0, 1, None))
        self.pos = 1
        self.library_version = self.token("lib", "H")
        self.value(ClassType(layout.root))
        if self.pos != len(blob):
            raise ValueError(f"the walk ends at {self.pos}, the blob at {len(blob)}")

    def where(self) -> str | None:
        return "".join(self.path).lstrip(".") or None

    def token(self, kind: str, code: str, length: int = 0) -> int:
        start = self.pos
        size = self.blob[start] - 256 if self.blob[start] > 127 else self.blob[start]
        self.pos = start + 1 + abs(size)
        if self.pos > len(self.blob) or abs(size) > _WIDTH[code]:
            raise ValueError(f"not a valid token at {start}")
        value = int.from_bytes(self.blob[start + 1 : self.pos], "little")
        if size < 0:
            value -= 1 << (8 * -size)
        if kind in ("count", "length") and value > len(self.blob) - self.pos:
            # not a valid blob (or one the reader refuses): elements of no bytes
            # would otherwise keep a damaged count of 2**60 walking for ever
            raise ValueError(f"a count of {value} at {start}")
        self.tokens.append(Token(kind, code, start, self.pos, self.where(), value, length))
        return value

    def header(self, spelling: str, versions: tuple[int, ...] | None) -> int:
        if spelling in self.seen:
            self.omitted.append(Omitted(self.pos, spelling, self.where()))
            return self.seen[spelling]
        self.token("tracking", "B")
        version = self.token("version", "I")
        tracking, token = self.tokens[-2:]
        self.headers.append(Header(spelling, self.where(), tracking, token, versions))
        self.seen[spelling] = version
        return version

    def item_version(self) -> None:
        if self.library_version > 3:
            self.token("item_version", "I")

    def items(self, elem: CType, n: int) -> None:
        for i in range(n):
            self.path.append(f"[{i}]")
            self.value(elem)
            self.path.pop()

    def pair(self, node: PairType) -> None:
        self.path.append(".first")
        self.value(node.first)
        self.path[-1] = ".second"
        self.value(node.second)
        self.path.pop()

    def value(self, node: CType) -> None:
        if isinstance(node, Primitive):
            self.token("bool" if node.code == "?" else "number", node.code)
        elif isinstance(node, EnumType):
            self.token("number", node.underlying.code)
        elif isinstance(node, StringType):
            n = self.token("length", "Q")
            self.tokens.append(Token("bytes", "", self.pos, self.pos + n, self.where()))
            self.pos += n
        elif isinstance(node, ClassType):
            self.instance(node.name)
        elif isinstance(node, SeqType):
            if has_header(node):
                self.header(node.spelling, None)
            n = self.token("count", "Q")
            self.item_version()
            self.items(node.elem, n)
        elif isinstance(node, ArrayType):
            self.items(node.elem, self.token("array_count", "Q", node.length))
        elif isinstance(node, PairType):
            self.header(node.spelling, None)
            self.pair(node)
        elif isinstance(node, MapType):
            self.header(node.spelling, None)
            n = self.token("count", "Q")
            self.item_version()
            for i in range(n):
                self.path.append(f"[{i}]")
                self.header(node.item.spelling, None)
                self.pair(node.item)
                self.path.pop()
        else:  # pragma: no cover - layouts are resolved when parsed
            raise AssertionError(node)

    def instance(self, name: str) -> None:
        cdef = self.layout.cls(name)
        version = self.header(name, cdef.versions)
        for base in cdef.bases:
            self.instance(base)
        for member in cdef.members:
            if member.present(version):
                self.path.append("." + member.name)
                self.value(member.type)
                self.path.pop()

    def versions(self) -> dict[str, int]:
        """Class version of every declared class met, from its header."""
        return {h.spelling: h.version.value for h in self.headers if h.versions is not None}


_PATH_PART: Final = re.compile(r"\.?([A-Za-z_]\w*)|\[(\d+)\]")


def member_path_exists(layout: ArchiveLayout, path: str) -> bool:
    """Whether ``path`` (``m_records[3].m_params[0]``) leads through the layout's types."""
    node: CType = ClassType(layout.root)
    if path.startswith("."):
        return False
    pos = 0
    while pos < len(path):
        m = _PATH_PART.match(path, pos)
        if m is None:
            return False
        pos = m.end()
        name = m.group(1)
        if name is not None:
            if isinstance(node, PairType) and name in ("first", "second"):
                node = node.first if name == "first" else node.second
            elif isinstance(node, ClassType):
                types = {mm.name: mm.type for _, mm in layout.members(node.name)}
                if name not in types:
                    return False
                node = types[name]
            else:
                return False
        elif isinstance(node, SeqType | ArrayType):
            node = node.elem
        elif isinstance(node, MapType):
            node = node.item
        else:
            return False
    return True


# -- valid blobs, then damage ---------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What the reader must do with a damaged blob.

    ``any``: whatever it does must keep the promises; ``fail``: raise exactly
    at ``path`` and ``offset``; ``truncated``: raise between the first token
    that a reader can tell does not fit (``low``) and the cut; ``same``: decode
    to ``values`` (the damage changed no value).
    """

    kind: str
    path: str | None = None
    offset: int = 0
    low: int = 0
    tokens: tuple[Token, ...] = ()
    values: Any = None


@dataclass(frozen=True)
class Hostile:
    """A blob and how it was made; the repr stays short for big blobs."""

    blob: bytes
    how: tuple[str, ...]
    expect: Expect

    def __repr__(self) -> str:
        digest = hashlib.sha1(self.blob).hexdigest()[:12]
        head = self.blob[:32].hex()
        return f"Hostile({len(self.blob)} B sha1 {digest}… head {head}, how={list(self.how)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints failing examples with this, not ``repr``, for dataclasses."""
        printer.text(repr(self))


def _sites(layout: ArchiveLayout, node: CType, value: Any, out: list[Any]) -> None:
    """``(holder, key, type)`` of every vector or string in a decoded tree, for inflating."""
    if isinstance(node, ClassType) and isinstance(value, dict):
        for _, member in layout.members(node.name):
            if member.name not in value:
                continue
            if isinstance(member.type, SeqType | StringType):
                out.append((value, member.name, member.type))
            _sites(layout, member.type, value[member.name], out)
    elif isinstance(node, SeqType | ArrayType) and isinstance(value, list):
        for item in value[:4]:
            _sites(layout, node.elem, item, out)
    elif isinstance(node, MapType) and isinstance(value, dict):
        for item in list(value.values())[:4]:
            _sites(layout, node.value, item, out)


def _leaves(target: np.ndarray[Any, Any], rng: np.random.Generator, zeros: bool) -> None:
    """Fill a (structured) array with random numbers, or leave its zeros (one-byte tokens)."""
    if target.dtype.names:
        for name in target.dtype.names:
            _leaves(target[name], rng, zeros)
    elif not zeros:
        if target.dtype.kind == "b":
            target[...] = rng.integers(0, 2, target.shape).astype(bool)
        else:
            target[...] = np.frombuffer(rng.bytes(target.nbytes), target.dtype).reshape(
                target.shape
            )


def _inflate(draw: st.DrawFn, layout: ArchiveLayout, values: dict[str, Any]) -> str | None:
    """Grow one vector (to ~1 MiB of numbers, or thousands of classes) or one string.

    Big blobs are what measure the reader's allocation per byte, which small
    ones hide behind fixed costs.  Zeros (one-byte tokens) cost the most per byte.
    """
    sites: list[Any] = []
    _sites(layout, ClassType(layout.root), values, sites)
    if not sites:
        return None
    holder, key, node = draw(st.sampled_from(sites))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if isinstance(node, StringType):
        n = draw(st.integers(1, _FLAT_BUDGET // 4))
        holder[key] = draw(st.sampled_from(["x", "é", "☃", "\U0001f600"])) * n
        return f"inflate {key}: a string of {n} characters"
    dtype = flat_form(layout, node.elem)
    if dtype is not None:
        n = draw(st.integers(1, _FLAT_BUDGET // max(1, 8 * dtype.itemsize // 4)))
        zeros = draw(st.booleans())
        big = np.zeros(n, dtype)
        _leaves(big, rng, zeros)
        holder[key] = big
        return f"inflate {key}: {n} flat elements ({'zeros' if zeros else f'seed {seed}'})"
    current = holder[key]
    if not isinstance(current, list) or not current or not takes_a_byte(layout, node.elem):
        return None  # elements of no bytes cannot outnumber the bytes left (see valid_archives)
    n = draw(st.integers(1, _OBJECT_BUDGET))
    holder[key] = [current[i % len(current)] for i in range(n)]
    return f"inflate {key}: {n} elements"


def takes_a_byte(layout: ArchiveLayout, node: CType) -> bool:
    """Whether every value of ``node`` takes a byte at least once its class headers are written.

    Not a class made only of classes without members: boost writes nothing
    for such an instance, so a vector of them takes its count and no more.
    """
    if isinstance(node, PairType):
        return takes_a_byte(layout, node.first) or takes_a_byte(layout, node.second)
    if isinstance(node, ClassType):
        cdef = layout.cls(node.name)
        newest = max(cdef.versions)
        return any(takes_a_byte(layout, ClassType(b)) for b in cdef.bases) or any(
            takes_a_byte(layout, m.type) for m in cdef.members if m.present(newest)
        )
    return True  # numbers, strings and containers write a token


@st.composite
def valid_archives(draw: st.DrawFn, layout: ArchiveLayout) -> tuple[bytes, Walk, list[str]]:
    """A valid blob of ``layout`` (sometimes with one vector or string inflated), walked."""
    values = draw(archive_values_for(layout))
    how = []
    if draw(st.integers(0, 3)) == 0:
        grown = _inflate(draw, layout, values)
        if grown:
            how.append(grown)
    library_version = draw(st.sampled_from(LIBRARY_VERSIONS))
    blob = encode(layout, values, library_version=library_version)
    how.append(f"valid, boost {library_version}, {len(blob)} B")
    try:
        decode(blob, layout)
    except PayloadDecodeError as exc:
        # The reader's one refusal of a valid blob: a count larger than the bytes
        # left, for elements that take none (an empty class), which bounds what
        # such a count can allocate.  CMSSW conditions hold no vectors of empty
        # classes; the writer does not refuse to write one.
        assert "bytes remain" in exc.reason, exc
        sites: list[Any] = []
        _sites(layout, ClassType(layout.root), values, sites)
        assert any(
            isinstance(node, SeqType) and not takes_a_byte(layout, node.elem)
            for _, _, node in sites
        ), exc
        reject()
    return blob, Walk(layout, blob), how


def _uint(value: int) -> bytes:
    """A non-negative integer token, as few bytes as it needs."""
    data = value.to_bytes((value.bit_length() + 7) // 8, "little")
    return bytes([len(data)]) + data


def _splice(blob: bytes, token: Token, data: bytes) -> bytes:
    return blob[: token.start] + data + blob[token.end :]


def _first_detectable(tokens: list[Token], cut: int) -> int:
    """Where a reader of the blob cut to ``cut`` bytes can first tell: ``Expect.low``.

    The first token that does not fit, or the first count (of elements or
    string bytes) larger than the bytes left after it (each takes one byte at
    least); everything before is whole and plausible.
    """
    for t in tokens:
        if t.end > cut:
            return t.start
        if t.kind in ("count", "length") and t.value > cut - t.end:
            return t.start
    raise AssertionError(f"a cut at {cut} leaves every token whole")


_BAD_BOOLS: Final = [
    b"\x01\x00",
    b"\x01\x01",
    b"\x01\x55",
    b"\x01\xff",
    b"\x02",
    b"\x02\x54\x00",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"\xff\x54",
    b"\x08\x54\x00\x00\x00\x00\x00\x00\x00",
]
_TRACKED: Final = [b"\x01\x01", b"\x01\x02", b"\x01\x54", b"\x01\xff", b"\x02\x01\x00"]
_STRICT: Final = ("truncate", "extend", "huge count", "size byte", "bool", "tracking", "version")
_LOOSE: Final = ("flip", "repeat header", "drop header", "container version", "wide number")


def targets(kind: str, walk: Walk) -> list[Any]:
    """The tokens, headers or places a kind of damage may hit in a walked blob."""
    tokens = walk.tokens
    found: dict[str, list[Any]] = {
        "truncate": [t for t in tokens if t.end > t.start],
        "huge count": [t for t in tokens if t.kind in ("count", "length", "array_count")],
        "size byte": [t for t in tokens if t.code in _WIDTH and t.kind != "bool"],
        "bool": [t for t in tokens if t.kind == "bool"],
        "tracking": walk.headers,
        "drop header": walk.headers,
        "version": [h for h in walk.headers if h.versions is not None],
        "container version": [h for h in walk.headers if h.versions is None],
        "repeat header": walk.omitted,
        "wide number": [
            t
            for t in tokens
            if t.kind not in ("magic", "bytes", "bool") and t.end - t.start - 1 < _WIDTH[t.code]
        ],
    }
    return found.get(kind, [None])


def _damage(
    draw: Draw, kind: str, blob: bytes, walk: Walk, target: Any = None
) -> tuple[bytes, str, Expect]:
    """One kind of damage to a valid blob (at ``target``, else a drawn one), and its demand."""
    tokens = walk.tokens
    if target is None:
        target = draw(st.sampled_from(targets(kind, walk)))
    t = h = o = target
    if kind == "truncate":
        cut = draw(st.sampled_from(sorted({t.start, (t.start + t.end) // 2, t.end - 1})))
        low = _first_detectable(tokens, cut)
        return (
            blob[:cut],
            f"truncate at {cut} ({t.kind} {t.path})",
            Expect("truncated", offset=cut, low=low, tokens=tuple(tokens)),
        )
    if kind == "extend":
        extra = draw(st.binary(min_size=1, max_size=64))
        return blob + extra, f"extend by {extra.hex()}", Expect("fail", None, len(blob))
    if kind == "huge count":
        left = len(blob) - t.end
        if t.kind == "array_count":
            choices = [0, t.length - 1, t.length + 1, 2**32 + t.length, 2**60, 2**64 - 1]
        else:
            choices = [2**60, 2**63, 2**64 - 1, 2**32, left + 1, len(blob)]
        value = draw(
            st.sampled_from([v for v in choices if v != t.length or t.kind != "array_count"])
        )
        data = draw(st.sampled_from([_uint(value), b"\xff\x01", b"\xf8" + b"\xff" * 8]))
        what = f"{t.kind} at {t.start} ({t.path}) := {data.hex()}"
        return _splice(blob, t, data), what, Expect("fail", t.path, t.start)
    if kind == "size byte":
        width = _WIDTH[t.code]
        sizes = [*range(width + 1, 128), *(256 - s for s in range(width + 1, 129))]
        if t.code in _UNSIGNED:
            sizes += [256 - s for s in range(1, width + 1)]  # negative: refused for unsigned
        size = draw(st.sampled_from(sizes))
        what = f"size byte of {t.kind} {t.code} at {t.start} ({t.path}) := {size:02x}"
        return (
            blob[: t.start] + bytes([size]) + blob[t.start + 1 :],
            what,
            Expect("fail", t.path, t.start),
        )
    if kind == "bool":
        data = draw(st.sampled_from(_BAD_BOOLS))
        what = f"bool at {t.start} ({t.path}) := {data.hex()}"
        return _splice(blob, t, data), what, Expect("fail", t.path, t.start)
    if kind == "tracking":
        data = draw(st.sampled_from(_TRACKED))
        what = f"tracking of {h.spelling} at {h.tracking.start} := {data.hex()}"
        return _splice(blob, h.tracking, data), what, Expect("fail", h.path, h.tracking.start)
    if kind == "version":
        assert h.versions is not None
        known = h.versions
        value = draw(
            st.sampled_from([max(known) + 1, 2**31, 2**32 - 1])
            | st.integers(0, 2**32 - 1).filter(lambda v: v not in known)
        )
        what = f"version of {h.spelling} at {h.version.start} := {value}"
        return (
            _splice(blob, h.version, _uint(value)),
            what,
            Expect("fail", h.path, h.tracking.start),
        )
    if kind == "flip":
        flipped = bytearray(blob)
        flips = []
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(flipped) - 1))
            bit = draw(st.integers(0, 7))
            flipped[i] ^= 1 << bit
            flips.append(f"{i}.{bit}")
        return bytes(flipped), f"flip {' '.join(flips)}", Expect("any")
    if kind == "repeat header":
        first = next(h for h in walk.headers if h.spelling == o.spelling)
        again = draw(st.sampled_from([b"\x00\x00", blob[first.tracking.start : first.version.end]]))
        what = f"header of {o.spelling} again at {o.at} ({o.path}): {again.hex()}"
        return blob[: o.at] + again + blob[o.at :], what, Expect("any")
    if kind == "drop header":
        what = f"header of {h.spelling} left out at {h.tracking.start} ({h.path})"
        return blob[: h.tracking.start] + blob[h.version.end :], what, Expect("any")
    if kind == "container version":
        value = draw(st.integers(1, 2**32 - 1))
        what = f"version of {h.spelling} at {h.version.start} := {value}"
        return _splice(blob, h.version, _uint(value)), what, Expect("same")
    if kind == "wide number":
        size = t.end - t.start - 1
        wider = draw(st.integers(size + 1, _WIDTH[t.code]))
        body = blob[t.start + 1 : t.end]
        fill = b"\xff" if blob[t.start] > 127 else b"\x00"
        data = bytes([256 - wider if blob[t.start] > 127 else wider]) + body
        data += fill * (wider - size)
        what = f"{t.kind} at {t.start} ({t.path}) widened to {data.hex()}"
        return _splice(blob, t, data), what, Expect("same")
    raise AssertionError(kind)


def _kinds(walk: Walk) -> list[str]:
    """The kinds of damage this blob has a place for."""
    return [k for k in (*_STRICT, *_LOOSE) if targets(k, walk)]


@st.composite
def hostile_archives(draw: st.DrawFn, layout: ArchiveLayout) -> Hostile:
    """Random bytes, or a valid blob of ``layout`` with one kind of damage, or several."""
    pick = draw(st.integers(0, 19))
    if pick == 0:
        return Hostile(draw(st.binary(max_size=512)), ("random",), Expect("any"))
    if pick == 1:  # past the magic byte and the library version, into the classes
        head = b"\x7f" + _uint(draw(st.sampled_from(LIBRARY_VERSIONS)))
        body = draw(st.binary(max_size=512))
        return Hostile(head + body, (f"random after {head.hex()}",), Expect("any"))
    blob, walk, how = draw(valid_archives(layout))
    values = plain(dict(decode(blob, layout)))
    if pick == 2:  # several kinds at once: only the promises hold
        for _ in range(draw(st.integers(2, 3))):
            now: Walk | None
            try:
                now = Walk(layout, blob)
            except (ValueError, IndexError):  # damaged already: bytes-level damage only
                now = None
            kinds = ["truncate", "extend", "flip"] if now is None else _kinds(now)
            kind = draw(st.sampled_from(kinds))
            if now is None:
                blob, what = _blind(draw, kind, blob)
            else:
                blob, what, _ = _damage(draw, kind, blob, now)
            how.append(what)
        return Hostile(blob, tuple(how), Expect("any"))
    kind = draw(st.sampled_from(_kinds(walk)))
    damaged, what, expect = _damage(draw, kind, blob, walk)
    if expect.kind == "same":
        expect = replace(expect, values=values)
    return Hostile(damaged, (*how, what), expect)


def _blind(draw: st.DrawFn, kind: str, blob: bytes) -> tuple[bytes, str]:
    """Damage that needs no token walk (for a blob damaged already)."""
    if not blob:
        return blob, "nothing to damage"
    if kind == "truncate":
        cut = draw(st.integers(0, len(blob) - 1))
        return blob[:cut], f"truncate at {cut}"
    if kind == "extend":
        extra = draw(st.binary(min_size=1, max_size=64))
        return blob + extra, f"extend by {extra.hex()}"
    i = draw(st.integers(0, len(blob) - 1))
    bit = draw(st.integers(0, 7))
    return blob[:i] + bytes([blob[i] ^ (1 << bit)]) + blob[i + 1 :], f"flip {i}.{bit}"


# -- measuring one decode, and the checks -------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One measured decode."""

    values: dict[str, Any] | None
    library_version: int
    error: Exception | None
    seconds: float
    peak: int


#: The worst seen in this run (``pytest -s`` prints it at the end of the module).
WORST: Final[dict[str, Any]] = {"seconds": 0.0, "factor": 0.0, "flat factor": 0.0, "decodes": 0}


def _decode_measured(blob: bytes, layout: ArchiveLayout) -> Outcome:
    """Decode once under ``tracemalloc``, which then sees only the reader's allocations."""
    values: dict[str, Any] | None = None
    library_version = 0
    error: Exception | None = None
    tracemalloc.start()
    start = time.perf_counter()
    try:
        decoded = decode(blob, layout, payload_hash=FUZZ_HASH)
        values, library_version = dict(decoded), decoded.library_version or 0
    except Exception as exc:
        error = exc
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    WORST["decodes"] += 1
    if seconds > WORST["seconds"]:
        WORST.update(seconds=seconds, slowest=(layout.object_type, len(blob)))
    key = "flat factor" if all_flat(layout) else "factor"
    if len(blob) >= 16 * 1024 and peak / len(blob) > WORST[key]:
        WORST.update({key: peak / len(blob), f"{key} of": (layout.object_type, len(blob), peak)})
    return Outcome(values, library_version, error, seconds, peak)


def all_flat(layout: ArchiveLayout) -> bool:
    """Whether the layout's containers all hold numbers or flat classes (numpy arrays)."""

    def flat(node: CType) -> bool:
        if isinstance(node, SeqType | ArrayType):
            return flat_form(layout, node.elem) is not None or (
                isinstance(node, ArrayType) and flat(node.elem)
            )
        return not isinstance(node, MapType | PairType)

    return all(flat(m.type) for c in layout.classes.values() for m in c.members)


def _same_values(a: Any, b: Any) -> bool:
    """Equal decoded trees (NaN equal to NaN: JSON forms compare them as None)."""
    return bool(plain(a) == plain(b))


def _check_accepted(blob: bytes, layout: ArchiveLayout, outcome: Outcome) -> None:
    """An accepted blob re-encodes to the same bytes, or to the same values.

    The re-encoding writes every class in the version the blob's header gave
    it (the writer writes the newest a layout declares), found by the
    independent walk, which must also agree that the blob is whole.
    """
    values = outcome.values
    assert values is not None
    walk = Walk(layout, blob)  # the reader's acceptance, checked by other means
    pinned = {
        n: replace(c, versions=(walk.versions()[n],))
        for n, c in layout.classes.items()
        if n in walk.versions()
    }
    again_layout = replace(layout, classes={**layout.classes, **pinned})
    try:
        again = encode(again_layout, values, library_version=outcome.library_version)
    except PayloadEncodeError as exc:  # pragma: no cover - a failure to report
        raise AssertionError(f"accepted values the writer refuses: {exc}") from exc
    if again == blob:
        return
    second = dict(decode(again, layout))
    assert _same_values(values, second), "accepted values change on re-encoding"


def _check(hostile: Hostile, layout: ArchiveLayout, outcome: Outcome) -> None:
    """The reader's promises for one decode, then what this damage demands."""
    blob, expect, error = hostile.blob, hostile.expect, outcome.error
    if error is not None and not isinstance(error, PayloadDecodeError):
        kind = type(error).__name__
        raise AssertionError(f"decode raised {kind}, not PayloadDecodeError") from error
    if isinstance(error, PayloadDecodeError):
        assert error.payload_hash == FUZZ_HASH, error
        assert 0 <= error.offset <= len(blob), error
        assert error.field is None or member_path_exists(layout, error.field), error
    assert outcome.seconds <= TIME_LIMIT, f"decode took {outcome.seconds:.2f} s"
    limit = (ALLOC_FACTOR_FLAT if all_flat(layout) else ALLOC_FACTOR) * len(blob) + ALLOC_SLACK
    assert outcome.peak <= limit, f"decode allocated {outcome.peak} B for a {len(blob)} B blob"
    if expect.kind == "same":
        assert error is None, f"damage that keeps the values was refused: {error}"
        assert _same_values(outcome.values, expect.values), "the values changed"
    elif expect.kind == "fail":
        assert isinstance(error, PayloadDecodeError), "an invalid blob was accepted"
        assert (error.field, error.offset) == (expect.path, expect.offset), error
    elif expect.kind == "truncated":
        assert isinstance(error, PayloadDecodeError), "a truncated blob was accepted"
        assert expect.low <= error.offset <= expect.offset, (expect.low, error)
        at = [t for t in expect.tokens if t.start == error.offset and t.kind != "bytes"]
        if at:
            assert error.field == at[0].path, (at[0], error)
    if outcome.values is not None:
        _check_accepted(blob, layout, outcome)


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> Iterator[None]:
    """Compile the numba kernel (every entry point) before any decode is timed."""
    layout = parse_archive_layout(
        {
            "encoding": "cmssw-archive",
            "object_type": "Warm",
            "classes": {
                "P": {"members": [{"name": "x", "type": "float"}, {"name": "n", "type": "int"}]},
                "Warm": {
                    "members": [
                        {"name": "d", "type": "std::vector<double>"},
                        {"name": "u", "type": "std::vector<unsigned char>"},
                        {"name": "p", "type": "std::vector<P>"},
                    ]
                },
            },
        },
        source="warm-up",
    )
    points = np.zeros(3, layout.flat["P"])
    values = {"d": np.arange(3.0), "u": np.arange(3, dtype=np.uint8), "p": points}
    blob = encode(layout, values)
    decode(blob, layout)
    for cut in range(len(blob)):
        with pytest.raises(PayloadDecodeError):
            decode(blob[:cut], layout)
    yield
    print(f"\n{__name__}: worst of {WORST}")


def _sweep_examples() -> int:
    """A third of the profile's examples: each example decodes some 50 damaged blobs."""
    return max(1, settings.get_profile("inspector-fuzz-archives").max_examples // 3)


def _layout_id(layout: ArchiveLayout) -> str:
    return layout.object_type


# -- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS, ids=_layout_id)
@settings(settings.get_profile("inspector-fuzz-archives"))
@given(data=st.data())
def test_hostile_archives_only_raise_precise_decode_errors_quickly_and_cheaply(
    layout: ArchiveLayout, data: st.DataObject
) -> None:
    """Any blob: its values or a PayloadDecodeError at the right place, fast, in bounded memory."""
    hostile = data.draw(hostile_archives(layout), label="hostile")
    _check(hostile, layout, _decode_measured(hostile.blob, layout))


#: Places per kind of damage that one valid blob is damaged at, spread over the blob.
SWEEP: Final = 6


def _spread(items: list[Any], n: int) -> list[Any]:
    """Up to ``n`` of ``items``, first and last included, evenly apart."""
    if len(items) <= n:
        return items
    return [items[i * (len(items) - 1) // (n - 1)] for i in range(n)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=_layout_id)
@settings(settings.get_profile("inspector-fuzz-archives"), max_examples=_sweep_examples())
@given(data=st.data())
def test_every_kind_of_damage_at_places_across_one_blob(
    layout: ArchiveLayout, data: st.DataObject
) -> None:
    """One valid blob, each kind of damage at up to :data:`SWEEP` places across it.

    Every token kind in the blob meets every damage that fits it, whichever
    path reads it (one by one, or the kernel's bulk runs), which a single
    drawn damage per example would reach only by chance.
    """
    values = data.draw(archive_values_for(layout), label="values")
    library_version = data.draw(st.sampled_from(LIBRARY_VERSIONS), label="boost")
    blob = encode(layout, values, library_version=library_version)
    try:
        decode(blob, layout)
    except PayloadDecodeError as exc:
        assert "bytes remain" in exc.reason, exc  # elements of no bytes: see valid_archives
        reject()
    walk = Walk(layout, blob)
    kept = plain(dict(decode(blob, layout)))
    for kind in (*_STRICT, "container version", "wide number"):
        for target in _spread(targets(kind, walk), SWEEP):
            damaged, what, expect = _damage(data.draw, kind, blob, walk, target)
            if expect.kind == "same":
                expect = replace(expect, values=kept)
            hostile = Hostile(damaged, (f"valid, boost {library_version}", what), expect)
            _check(hostile, layout, _decode_measured(damaged, layout))


@needs_real
@settings(settings.get_profile("inspector-fuzz-archives"))
@given(data=st.data())
def test_damaged_real_payloads_only_raise_precise_decode_errors(data: st.DataObject) -> None:
    """The real JER payloads (boost 11, 14 and 19), damaged in every way above."""
    payload: RealPayload = data.draw(st.sampled_from(REAL), label="payload")
    blob = payload.data
    walk = Walk(JER, blob)
    kind = data.draw(st.sampled_from(_kinds(walk)), label="kind")
    damaged, what, expect = _damage(data.draw, kind, blob, walk)
    if expect.kind == "same":
        expect = replace(expect, values=plain(dict(decode(blob, JER))))
    hostile = Hostile(damaged, (repr(payload), what), expect)
    _check(hostile, JER, _decode_measured(damaged, JER))


def _tree_chain(levels: int) -> tuple[bytes, list[int]]:
    """An ``Edge::Tree`` whose first child has a first child, ``levels`` deep (boost 19).

    Returns the blob and, per level, the offset of that Tree's children
    vector (after its label): the reader's nesting limit refuses the first
    vector past it there.
    """
    out = bytearray(b"\x7f\x01\x13\x00\x00")  # magic, boost 19, Edge::Tree header
    vectors = []
    for level in range(levels + 1):
        out += b"\x00"  # label: ""
        vectors.append(len(out))
        if level == 0:
            out += b"\x00\x00"  # std::vector<Edge::Tree> header
        out += b"\x00\x00" if level == levels else b"\x01\x01\x00"  # children: count, version
    out += b"\x00\x00" + b"\x00\x00" * (levels + 1)  # std::map header, then every by_id empty
    return bytes(out), vectors


#: Tree levels below the root the reader reads: each is a vector and a class (two
#: nesting levels), and the deepest Tree still opens its children vector.
DEEPEST_TREE: Final = (MAX_NESTING - 2) // 2


@settings(settings.get_profile("inspector-fuzz-archives"))
@given(
    levels=st.sampled_from([0, 1, DEEPEST_TREE, DEEPEST_TREE + 1, 10_000])
    | st.integers(0, 3 * MAX_NESTING)
)
def test_nesting_past_the_limit_fails_where_the_limit_is_crossed(levels: int) -> None:
    """A blob claiming any nesting: read up to the limit, refused past it, no RecursionError."""
    blob, vectors = _tree_chain(levels)
    refused = DEEPEST_TREE + 1
    path = ".".join(["children[0]"] * refused + ["children"])
    expect = Expect("fail", path, vectors[refused]) if levels >= refused else Expect("any")
    outcome = _decode_measured(blob, TREE)
    _check(Hostile(blob, (f"tree {levels} deep",), expect), TREE, outcome)
    assert (outcome.error is None) == (levels <= DEEPEST_TREE), outcome.error
