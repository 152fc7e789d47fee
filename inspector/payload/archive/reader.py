"""CMSSW archive blob → decoded values, following an :class:`ArchiveLayout`.

The reader walks the layout's classes as boost wrote them: the archive
header, then the root class.  It keeps the per-archive record of classes
already seen (boost writes a class header only the first time a class
appears), consumes the whole blob, and stops at the first thing that does
not fit with a :class:`~inspector.errors.PayloadDecodeError` naming the
payload hash, the member path (``m_records[3].m_params_values``) and the byte
offset.  Counts are checked against the bytes left before anything is
allocated: every token takes at least one byte.  Classes and containers nest
at most :data:`~inspector.payload.archive.types.MAX_NESTING` levels below the
root class (as deep as a member type may be spelled): a blob claiming deeper
values is refused, so no blob can drive the reader into Python's recursion
limit.

Long runs of numbers (a vector of ten million bytes, a vector of flat
structs) go to the compiled kernel (:mod:`inspector.payload.archive.kernel`)
in one call; the Python walk handles only the structure around them.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import numpy as np

from inspector.errors import PayloadDecodeError
from inspector.payload.archive import kernel
from inspector.payload.archive.layout import ArchiveLayout
from inspector.payload.archive.plans import (
    COUNT,
    Slot,
    as_record,
    element_plan,
    plan_codes,
    scan_reason,
    uniform_values,
)
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

__all__ = ["MAGIC", "read_archive"]

MAGIC: Final = 0x7F
#: widths in bytes of the integer codes (float bits are read as unsigned integers)
_WIDTH: Final = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8, "?": 1}
_UNSIGNED: Final = frozenset("BHIQ?")
_FLOAT_BITS: Final = {
    "f": ("I", struct.Struct("<I"), struct.Struct("<f")),
    "d": ("Q", struct.Struct("<Q"), struct.Struct("<d")),
}
_BOOL_TRUE: Final = 0x54  # 'T'
#: boost's strong typedefs, written as unsigned integers of their width
_LIBRARY_VERSION: Final = "H"
_ITEM_VERSION: Final = "I"
_TRACKING: Final = "B"
_CLASS_VERSION: Final = "I"


def read_archive(
    blob: bytes, layout: ArchiveLayout, *, payload_hash: str | None = None
) -> tuple[dict[str, Any], int]:
    """Decode ``blob``: ``(root class members, boost library version)``."""
    reader = _Reader(blob, layout, payload_hash)
    return reader.archive()


class _Reader:
    """One pass over one archive: position, classes seen, the member path for errors."""

    def __init__(self, blob: bytes, layout: ArchiveLayout, payload_hash: str | None) -> None:
        self.blob = blob
        self.buf = np.frombuffer(blob, np.uint8)
        self.pos = 0
        self.layout = layout
        self.hash = payload_hash
        self.path: list[str] = []
        #: canonical type spelling → class version read from its header
        self.seen: dict[str, int] = {}
        self.library_version = 0
        #: classes and containers open around the current position (the root class is 1)
        self.depth = 0

    # -- errors ---------------------------------------------------------------

    def fail(self, reason: str, at: int | None = None) -> PayloadDecodeError:
        where = "".join(self.path).lstrip(".") or None
        return PayloadDecodeError(
            reason, payload_hash=self.hash, field=where, offset=self.pos if at is None else at
        )

    # -- the archive ----------------------------------------------------------

    def archive(self) -> tuple[dict[str, Any], int]:
        if not self.blob:
            raise self.fail("empty blob: a CMSSW archive starts with the byte 0x7f")
        if self.blob[0] != MAGIC:
            raise self.fail(
                f"not a CMSSW archive: first byte 0x{self.blob[0]:02x}, expected 0x7f "
                "(eos::portable_oarchive)"
            )
        self.pos = 1
        self.library_version = self.integer(_LIBRARY_VERSION)
        root = self.value(ClassType(self.layout.root))
        if self.pos != len(self.blob):
            self.path.clear()
            raise self.fail(f"{len(self.blob) - self.pos} unexpected bytes after the payload")
        return root, self.library_version

    # -- tokens ---------------------------------------------------------------

    def integer(self, code: str) -> int:
        """One variable-size integer of type ``code`` (see ``portable_iarchive::load``)."""
        blob, pos = self.blob, self.pos
        if pos >= len(blob):
            raise self.fail("the blob ends where a number was expected")
        size = blob[pos]
        if size == 0:
            self.pos = pos + 1
            return 0
        if size > 127:
            size -= 256
        n = -size if size < 0 else size
        width = _WIDTH[code]
        if n > width:
            raise self.fail(f"size byte {size} is larger than the {width}-byte type")
        if size < 0 and code in _UNSIGNED:
            raise self.fail(f"size byte {size} makes an unsigned value negative")
        end = pos + 1 + n
        if end > len(blob):
            raise self.fail(f"a {n}-byte number runs past the end of the blob")
        value = int.from_bytes(blob[pos + 1 : end], "little")
        if size < 0:
            value -= 1 << (8 * n)
        if code not in _UNSIGNED:
            half = 1 << (8 * width - 1)
            value = (value + half) % (half << 1) - half  # as C++ reads it into the type
        self.pos = end
        return value

    def primitive(self, prim: Primitive) -> Any:
        code = prim.code
        if code == "?":
            return self.boolean()
        if code in _FLOAT_BITS:
            int_code, as_int, as_float = _FLOAT_BITS[code]
            blob, pos, width = self.blob, self.pos, as_float.size
            if pos + width < len(blob) and blob[pos] == width:
                # nearly every float is written full width: its bytes are the value's
                self.pos = pos + 1 + width
                return prim.dtype.type(as_float.unpack_from(blob, pos + 1)[0])
            bits = self.integer(int_code)
            return prim.dtype.type(as_float.unpack(as_int.pack(bits))[0])
        return prim.dtype.type(self.integer(code))

    def boolean(self) -> bool:
        """``00`` (false) or ``01 54`` (true), nothing else (``portable_iarchive::load(bool&)``)."""
        blob, at = self.blob, self.pos
        if at >= len(blob):
            raise self.fail("the blob ends where a bool was expected")
        if blob[at] == 0:
            self.pos = at + 1
            return False
        if blob[at] != 1:
            raise self.fail(f"bad bool: size byte {blob[at]:02x}, expected 00 or 01 54", at)
        if at + 1 >= len(blob):
            raise self.fail("the blob ends inside a bool", at)
        if blob[at + 1] != _BOOL_TRUE:
            raise self.fail(f"bad bool: bytes 01 {blob[at + 1]:02x}, expected 00 or 01 54", at)
        self.pos = at + 2
        return True

    def string(self) -> str:
        at = self.pos
        length = self.integer(COUNT)
        if length > len(self.blob) - self.pos:
            raise self.fail(
                f"a string of {length} bytes, but {len(self.blob) - self.pos} remain", at
            )
        start = self.pos
        self.pos += length
        try:
            return self.blob[start : self.pos].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail(f"string is not UTF-8 ({exc.reason})", start + exc.start) from None

    def header(self, spelling: str) -> int:
        """The class version of ``spelling``, reading its header the first time only."""
        version = self.seen.get(spelling)
        if version is not None:
            return version
        at = self.pos
        tracking = self.integer(_TRACKING)
        version = self.integer(_CLASS_VERSION)
        if tracking == 1:
            raise self.fail(
                f"class {spelling} is tracked (written through pointers), which CMSSW "
                "conditions do not use and this reader does not support",
                at,
            )
        if tracking:
            raise self.fail(f"class {spelling}: bad tracking flag {tracking} (expected 0)", at)
        self.seen[spelling] = version
        return version

    def count(self, what: str) -> int:
        """A collection size, checked against the bytes left (a token is ≥ 1 byte)."""
        at = self.pos
        n = self.integer(COUNT)
        left = len(self.blob) - self.pos
        if n > left:
            raise self.fail(f"{what} of {n:,} elements, but only {left:,} bytes remain", at)
        return n

    # -- values ---------------------------------------------------------------

    def value(self, node: CType) -> Any:
        if isinstance(node, Primitive):
            return self.primitive(node)
        if isinstance(node, EnumType):
            return node.underlying.dtype.type(self.integer(node.underlying.code))
        if isinstance(node, StringType):
            return self.string()
        if self.depth > MAX_NESTING:  # levels below the root class
            raise self.fail(
                f"classes and containers nest deeper than {MAX_NESTING} levels, "
                "which this reader refuses"
            )
        self.depth += 1
        try:
            return self.composite(node)
        finally:
            self.depth -= 1

    def composite(self, node: CType) -> Any:
        """A class or container (one nesting level)."""
        if isinstance(node, ClassType):
            return self.instance(node.name)
        if isinstance(node, SeqType):
            return self.sequence(node)
        if isinstance(node, ArrayType):
            return self.array(node)
        if isinstance(node, PairType):
            self.header(node.spelling)
            return self.pair(node)
        if isinstance(node, MapType):
            return self.mapping(node)
        raise self.fail(f"type {node.spelling} cannot be read")  # unresolved: a layout bug

    def instance(self, name: str) -> dict[str, Any]:
        at = self.pos
        version = self.header(name)
        cdef = self.layout.cls(name)
        if version not in cdef.versions:
            known = ", ".join(map(str, cdef.versions))
            raise self.fail(f"class {name} has version {version}; the layout knows {known}", at)
        out: dict[str, Any] = {}
        for base in cdef.bases:
            out.update(self.instance(base))
        for member in cdef.members:
            if not member.present(version):
                continue
            self.path.append("." + member.name)
            out[member.name] = self.value(member.type)
            self.path.pop()
        return out

    def pair(self, node: PairType) -> tuple[Any, Any]:
        self.path.append(".first")
        first = self.value(node.first)
        self.path[-1] = ".second"
        second = self.value(node.second)
        self.path.pop()
        return first, second

    def mapping(self, node: MapType) -> dict[Any, Any]:
        self.header(node.spelling)
        n = self.count("a map")
        if self.library_version > 3:
            self.integer(_ITEM_VERSION)
        item = node.item
        out: dict[Any, Any] = {}
        for i in range(n):
            self.path.append(f"[{i}]")
            self.header(item.spelling)
            key, value = self.pair(item)
            try:
                # boost inserts each pair into the std::map: a repeated key keeps the first
                out.setdefault(_hashable(key), value)
            except TypeError:
                raise self.fail("a map key of this type cannot be held in a dict") from None
            self.path.pop()
        return out

    def sequence(self, node: SeqType) -> Any:
        if has_header(node):
            self.header(node.spelling)
        n = self.count(f"a std::{node.kind}")
        if self.library_version > 3:
            self.integer(_ITEM_VERSION)
        return self.elements(node.elem, n)

    def array(self, node: ArrayType) -> Any:
        at = self.pos
        n = self.integer(COUNT)  # the layout fixes the length: no need to trust this
        if n != node.length:
            raise self.fail(f"C array of {node.length} elements written with count {n}", at)
        return self.elements(node.elem, n)

    def elements(self, elem: CType, n: int) -> Any:
        """``n`` elements: one kernel call when they are flat, else one by one."""
        flat = self.flat_dtype(elem)
        if flat is not None:
            return self.flat(elem, flat, n)
        out = []
        for i in range(n):
            self.path.append(f"[{i}]")
            out.append(self.value(elem))
            self.path.pop()
        return out

    # -- flat runs ------------------------------------------------------------

    def flat_dtype(self, elem: CType) -> np.dtype[Any] | None:
        if isinstance(elem, Primitive):
            return elem.dtype
        if isinstance(elem, EnumType):
            return elem.underlying.dtype
        if isinstance(elem, ClassType):
            return self.layout.flat.get(elem.name)
        if isinstance(elem, ArrayType) and not isinstance(elem.elem, ClassType):
            inner = self.flat_dtype(elem.elem)
            return None if inner is None else np.dtype((inner, (elem.length,)))
        return None

    def flat(self, elem: CType, dtype: np.dtype[Any], n: int) -> np.ndarray[Any, Any]:
        """``n`` flat elements into one array; headers inside the first are read first."""
        if n == 0:
            return np.zeros(0, dtype)
        plan = element_plan(self.layout, elem)
        codes = plan_codes(self.layout, elem, plan)
        k = len(codes)
        first: Any = None
        done = 0
        if not self.headers_seen(elem):
            self.path.append("[0]")
            first = self.value(elem)
            self.path.pop()
            done = 1
        start = self.pos
        total = (n - done) * k
        left = len(self.blob) - start
        try:
            # Never more tokens than bytes left (each takes one at least): a run that
            # claims more fails at its real end, the first token past the blob.
            raw, end = kernel.read_tokens(self.buf, start, min(total, left), codes)
        except kernel.ScanError as exc:
            self.wrong_count(plan, codes, start, exc.index, done)
            raise self.scan_failure(scan_reason(exc), exc.offset, exc.index, plan, done) from None
        if total > left:
            self.wrong_count(plan, codes, start, left, done)
            reason = scan_reason(kernel.ScanError("overrun", len(self.blob), left))
            raise self.scan_failure(reason, len(self.blob), left, plan, done)
        uniform = uniform_values(self.layout, elem, plan) if k > 1 and not dtype.fields else None
        if uniform is not None and bool((raw.reshape(-1, k)[:, uniform[0]] == uniform[1]).all()):
            # C arrays of one number type (double[7][7]): every count as the layout says,
            # the values are one selection of the run, converted once
            self.pos = end
            (column,) = kernel.split_columns(
                raw.reshape(-1, k)[:, uniform[2]].reshape(-1), uniform[3]
            )
            return _with_first(first, column.reshape(-1, *np.empty(0, dtype).shape[1:]), n, dtype)
        if k > 1:
            self.wrong_count(plan, codes, start, total, done, raw)
        self.pos = end
        if k == 1 and not dtype.fields and dtype.shape == ():
            rest = np.asarray(raw)
            if rest.dtype.type is not dtype.type:  # int64, not longlong: same bits
                rest = rest.view(dtype)
            return _with_first(first, rest, n, dtype)
        columns = [raw] if k == 1 else kernel.split_columns(raw, codes)
        return _records(plan, columns, first, n, dtype, done)

    def scan_failure(
        self, reason: str, offset: int, index: int, plan: list[Slot], done: int
    ) -> PayloadDecodeError:
        """The error for token ``index`` of a flat run, named as the one-by-one walk names it."""
        k = len(plan)
        self.path.append(f"[{done + index // k}]{plan[index % k].where()}")
        return self.fail(reason, offset)

    def wrong_count(
        self,
        plan: list[Slot],
        codes: str,
        start: int,
        upto: int,
        done: int,
        raw: np.ndarray[Any, Any] | None = None,
    ) -> None:
        """Refuse the first C-array count among the first ``upto`` tokens that is not its length.

        ``raw`` holds those tokens when they were read already (int64 bit patterns);
        otherwise they are read again (only on the way to an error).
        """
        k = len(codes)
        counts = [j for j, slot in enumerate(plan) if slot.expect is not None]
        if not counts or upto == 0:
            return
        if raw is None:
            raw, _ = kernel.read_tokens(self.buf, start, upto, codes)
        bad = [
            j + k * int(wrong[0])
            for j in counts
            if (wrong := np.flatnonzero(raw[j:upto:k] != plan[j].expect)).size
        ]
        if not bad:
            return
        index = min(bad)
        offset = start if index == 0 else kernel.read_tokens(self.buf, start, index, codes)[1]
        written = int(np.asarray(raw[index]).view(np.uint64))
        slot = plan[index % k]
        raise self.scan_failure(
            f"C array of {slot.expect} elements written with count {written}",
            offset,
            index,
            plan,
            done,
        )

    def headers_seen(self, elem: CType) -> bool:
        """Whether every class inside a flat element has had its header already."""
        if isinstance(elem, ClassType):
            if elem.name not in self.seen:
                return False
            return all(
                self.headers_seen(m.type) for _, m in self.layout.members(elem.name)
            ) and all(b in self.seen for b in self.layout.cls(elem.name).bases)
        if isinstance(elem, ArrayType):
            return self.headers_seen(elem.elem)
        return True


def _with_first(
    first: Any, rest: np.ndarray[Any, Any], n: int, dtype: np.dtype[Any]
) -> np.ndarray[Any, Any]:
    """``rest`` after the element read the slow way (headers first), if there was one."""
    if first is None:
        return rest
    out = np.empty(n, dtype)
    out[0] = first
    out[1:] = rest
    return out


def _records(
    plan: list[Slot],
    columns: list[np.ndarray[Any, Any]],
    first: Any,
    n: int,
    dtype: np.dtype[Any],
    done: int,
) -> np.ndarray[Any, Any]:
    """Flat structs: each token column into its member (and C-array index) of the records."""
    out = np.zeros(n, dtype)
    if first is not None:
        out[0] = as_record(first, dtype)
    for slot, column in zip(plan, columns, strict=True):
        if slot.expect is not None:
            continue
        target = out[done:]
        for key in slot.path:
            target = target[key]
        index: tuple[Any, ...] = (slice(None), *slot.index)
        target[index] = column
    return out


def _hashable(key: Any) -> Any:
    """Map keys as Python values (numpy scalars hash like their value; tuples of them too)."""
    if isinstance(key, np.generic):
        return key.item()
    if isinstance(key, tuple):
        return tuple(_hashable(k) for k in key)
    if isinstance(key, dict | list | np.ndarray):
        raise TypeError("unhashable map key")
    return key
