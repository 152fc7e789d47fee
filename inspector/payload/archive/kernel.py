"""Runs of variable-size integers, read and written without a Python step per token.

eos::portable_oarchive writes every number as a size byte and that many
little-endian bytes (CondFormats/Serialization/interface/eos/portable_oarchive.hpp,
cms-sw/cmssw@0461abd1baa26b53e1ffc97a94c7b7602dcb2d38), so a vector of ten
million numbers cannot be one ``numpy.frombuffer``: each token's position
depends on every size before it.  Reading and writing are therefore compiled
loops (numba, from wheels: no compiler on the user's machine).

What makes the reader fast is measured in ``benchmarks/bench_decode.py``:
numpy alone needs several whole-array passes (~400 ms for the 21 MB
full-tracker SiStripNoises); a branch-free loop whose next position is
computed from the byte just loaded makes every load wait for the one before
(~21 ms); :func:`_scan_fixed` moves by a constant inside a run of same-size
tokens and lets the CPU predict the branch that leaves it (~9 ms, about
12x a memcpy of the decoded bytes).

Token codes are numpy type characters: ``b B h H i I q Q`` integers, ``f d``
float bit patterns, ``?`` bool (``00`` or ``01 54``).  A run may cycle
through several codes (the members of a flat struct, element after element).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Final

import numba
import numpy as np

__all__ = ["ScanError", "read_tokens", "split_columns", "warm", "write_tokens"]

_WIDTH: Final = {
    "b": 1,
    "B": 1,
    "h": 2,
    "H": 2,
    "i": 4,
    "I": 4,
    "q": 8,
    "Q": 8,
    "f": 4,
    "d": 8,
    "?": 1,
}
_SIGNED: Final = frozenset("bhiq")
_BOOL_TRUE: Final = 0x54
#: what the compiled loop reports (index into this tuple), 0 being success
_REASONS: Final = ("", "overrun", "size", "sign", "bool")


class ScanError(Exception):
    """A token that cannot be read: why (``reason``), its byte ``offset`` and its ``index``."""

    def __init__(self, reason: str, offset: int, index: int, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.offset = offset
        self.index = index


@numba.njit(cache=True, nogil=True)
def _scan(
    buf: np.ndarray,
    pos: Any,
    count: int,
    widths: np.ndarray,
    signed: np.ndarray,
    booleans: np.ndarray,
    out: np.ndarray,
) -> tuple[int, int, int]:  # pragma: no cover - compiled; tested through read_tokens
    """Decode ``count`` tokens into ``out`` (int64 bit patterns); (status, pos, index)."""
    n = buf.shape[0]
    k = widths.shape[0]
    j = 0
    for i in range(count):
        if pos >= n:
            return 1, pos, i
        size = np.int64(buf[pos])
        if size == 0:
            out[i] = 0
            pos += 1
        else:
            if size > 127:
                size -= 256
            a = -size if size < 0 else size
            if a > widths[j]:
                return 2, pos, i
            if size < 0 and not signed[j]:
                return 3, pos, i
            if pos + 1 + a > n:
                return 1, pos, i
            v = np.int64(0)
            for b in range(a):
                v |= np.int64(buf[pos + 1 + b]) << (8 * b)
            if size < 0 and a < 8:
                v -= np.int64(1) << (8 * a)
            if booleans[j] and v != 0x54:
                return 4, pos, i
            out[i] = v
            pos += 1 + a
        j += 1
        if j == k:
            j = 0
    return 0, pos, count


@numba.njit(cache=True, nogil=True)
def _scan_fixed(
    buf: np.ndarray, pos: Any, count: int, width: int, signed: bool, out: np.ndarray
) -> tuple[int, Any, Any]:  # pragma: no cover - compiled; tested through read_tokens
    """``count`` numbers of one ``width``-byte type, as little-endian bytes into ``out``.

    ``out`` is ``count * width`` bytes, viewed by the caller as the type: a
    token ``size b0 .. b(size-1)`` is its low bytes, the rest zero (or 0xff
    for a negative size), so full-width tokens are copied byte for byte.

    Why it is fast although each token's position depends on every size
    before it: in a real vector nearly every token has the same size (``01
    xx`` for bytes, the full width for floats), so inside such a run the
    position moves by a constant and the loaded size byte only decides a
    branch that the CPU predicts; no load waits for the one before it.  A
    token of another size leaves the run and is read on its own.
    Returns (status, position, index) as :func:`_scan` does.
    """
    u = np.uint64
    n, cnt, w, p, k = u(buf.shape[0]), u(count), u(width), u(pos), u(0)
    one = u(1)
    step = w + one
    full = w  # size byte of a full-width token, and of a negative one
    negative_full = u(256) - w if signed else u(0x1FF)
    while k < cnt:
        if p >= n:
            return 1, np.int64(p), np.int64(k)
        s = u(buf[p])
        if s == full or s == negative_full:  # noqa: SIM109 (numba: no tuple membership)
            stop = k + min(cnt - k, (n - p) // step)
            if stop == k:
                return 1, np.int64(p), np.int64(k)
            if w == one:  # the common long run (packed codes): its own tight loop
                while True:
                    out[k] = buf[p + one]
                    k += one
                    p += step
                    if k == stop:
                        break
                    s = u(buf[p])
                    if s != full and s != negative_full:
                        break
                continue
            while True:
                o = k * w
                for b in range(w):
                    out[o + u(b)] = buf[p + one + u(b)]
                k += one
                p += step
                if k == stop:
                    break
                s = u(buf[p])
                if s != full and s != negative_full:
                    break
        else:
            status, p = _short_token(buf, p, k, w, signed, out)
            if status:
                return status, np.int64(p), np.int64(k)
            k += one
    return 0, np.int64(p), np.int64(k)


@numba.njit(cache=True, nogil=True)
def _short_token(
    buf: np.ndarray, p: Any, k: Any, w: Any, signed: bool, out: np.ndarray
) -> tuple[int, Any]:  # pragma: no cover - compiled; tested through read_tokens
    """Number ``k`` of :func:`_scan_fixed` from a token shorter than its type: (status, position).

    Out of line: it is the rare case (a run of tokens of one size is left for it).
    """
    u = np.uint64
    one = u(1)
    size = np.int64(buf[p]) - 256 if buf[p] > 127 else np.int64(buf[p])
    a = u(-size) if size < 0 else u(size)
    if a > w:
        return 2, p
    if size < 0 and not signed:
        return 3, p
    if p + one + a > u(buf.shape[0]):
        return 1, p
    o = k * w
    fill = np.uint8(0xFF) if size < 0 else np.uint8(0)
    for b in range(w):
        out[o + u(b)] = buf[p + one + u(b)] if u(b) < a else fill
    return 0, p + one + a


@numba.njit(cache=True, nogil=True)
def _emit(
    table: np.ndarray, widths: np.ndarray, signed: np.ndarray, out: np.ndarray
) -> Any:  # pragma: no cover - compiled; tested through write_tokens
    """Write each row's tokens (little-endian bytes, ``widths`` per column); the bytes written.

    portable_oarchive writes a number as few low bytes as hold it: a positive
    one up to its highest non-zero byte, a negative one up to its highest
    byte that is not 0xff (the reader fills the rest with 0xff), with the
    count as the size byte (negated for a negative number); zero is the size
    byte 0 alone.
    """
    pos: Any = 0
    k = widths.shape[0]
    for i in range(table.shape[0]):
        o = 0
        for j in range(k):
            w = widths[j]
            negative = signed[j] and table[i, o + w - 1] >= 128
            fill = 255 if negative else 0
            size = w
            while size > 0 and table[i, o + size - 1] == fill:
                size -= 1
            if negative and size == 0:
                size = 1  # -1: one byte 0xff
            out[pos] = np.uint8(256 - size) if negative else np.uint8(size)
            pos += 1
            for b in range(size):
                out[pos] = table[i, o + b]
                pos += 1
            o += w
    return pos


def warm() -> None:
    """Compile the reading loops now (or load them from numba's cache: ~0.5 s).

    Otherwise the first payload a process decodes pays for it, and leaves
    some 50,000 objects of numba's compiler behind; a served worker calls
    this at start-up and then freezes them out of the garbage collector's
    scans (:mod:`inspector.web.settle`).
    """
    buf = np.frombuffer(b"\x01\x05" * 8, np.uint8)
    read_tokens(buf, 0, 4, "i")  # one code: a run of one type
    read_tokens(buf, 0, 4, "if")  # several: a struct's members in turn


def read_tokens(
    buf: np.ndarray[Any, Any], pos: int, count: int, codes: str
) -> tuple[np.ndarray[Any, Any], int]:
    """Read ``count`` tokens from ``buf[pos:]``, token i of type ``codes[i % len(codes)]``.

    One code: the values in their dtype (``B`` → uint8, ``f`` → float32, ``?``
    → bool).  Several codes: int64 bit patterns, for :func:`split_columns`.
    A token that does not fit raises :class:`ScanError`; nothing is allocated
    before ``count`` is checked against the bytes left (a token is ≥ 1 byte).
    """
    if count > buf.shape[0] - pos:
        raise ScanError("overrun", pos, 0, f"{count:,} numbers cannot fit in the bytes left")
    if len(codes) == 1 and codes != "?":
        width = _WIDTH[codes]
        out = np.empty(count * width, np.uint8)
        status, end, index = _scan_fixed(buf, pos, count, width, codes in _SIGNED, out)
        if status:
            raise _scan_error(buf, status, end, index, codes)
        return out.view(np.dtype(codes).newbyteorder("<")), end
    raw = np.empty(count, np.int64)
    widths, signed, booleans = _code_tables(codes)
    status, end, index = _scan(buf, pos, count, widths, signed, booleans, raw)
    if status:
        raise _scan_error(buf, status, end, index, codes)
    return (split_columns(raw, codes)[0] if len(codes) == 1 else raw), end


@functools.lru_cache(maxsize=1024)
def _code_tables(
    codes: str,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Widths, signedness and bool flags of a cycle of codes (a layout has few cycles)."""
    return (
        np.array([_WIDTH[c] for c in codes], np.int64),
        np.array([c in _SIGNED for c in codes], np.bool_),
        np.array([c == "?" for c in codes], np.bool_),
    )


def _scan_error(
    buf: np.ndarray[Any, Any], status: int, offset: int, index: int, codes: str
) -> ScanError:
    """What a compiled loop's failure ``status`` at ``offset`` (token ``index``) means."""
    reason = _REASONS[status]
    if reason != "size":
        return ScanError(reason, offset, index)
    size = int(buf[offset]) - 256 if buf[offset] > 127 else int(buf[offset])
    width = _WIDTH[codes[index % len(codes)]]
    return ScanError(
        reason, offset, index, f"size byte {size} is larger than the {width}-byte type"
    )


def split_columns(raw: np.ndarray[Any, Any], codes: str) -> list[np.ndarray[Any, Any]]:
    """int64 bit patterns of a cycled run as one column per code, in each code's dtype."""
    table = raw.reshape(-1, len(codes))
    out: list[np.ndarray[Any, Any]] = []
    for j, code in enumerate(codes):
        col = table[:, j]
        if code == "f":
            out.append(col.astype(np.uint32).view(np.float32))
        elif code == "d":
            out.append(col.view(np.float64))
        elif code == "?":
            out.append(col == _BOOL_TRUE)
        elif code in _SIGNED:
            out.append(col.astype(code))  # in range: sign-extended when read
        else:
            out.append(col.view(np.uint64).astype(code))
    return out


def write_tokens(values: Sequence[np.ndarray[Any, Any]], codes: str) -> bytes:
    """Columns (one per code, equal lengths) interleaved token by token, as portable_oarchive does.

    The columns become one table of little-endian bytes (a view when there is
    one column); one compiled pass then writes every token.
    """
    if not values or len(values[0]) == 0:
        return b""
    columns = [_column_bytes(np.asarray(v), c) for v, c in zip(values, codes, strict=True)]
    table = columns[0] if len(columns) == 1 else np.concatenate(columns, axis=1)
    widths = np.array([_WIDTH[c] for c in codes], np.int64)
    signed = np.array([c in _SIGNED for c in codes], np.bool_)
    out = np.empty(table.shape[0] * (len(codes) + table.shape[1]), np.uint8)
    return out[: _emit(table, widths, signed, out)].tobytes()


def _column_bytes(values: np.ndarray[Any, Any], code: str) -> np.ndarray[Any, Any]:
    """``values`` as the little-endian bytes portable_oarchive takes them from, one row each.

    Floats are their bit patterns, with NaN made the one pattern
    portable_oarchive writes (all exponent and mantissa bits, no sign);
    bools are 0x54 or 0.
    """
    if code == "?":
        raw = np.where(values.astype(bool), np.uint8(_BOOL_TRUE), np.uint8(0))
    else:
        raw = np.ascontiguousarray(values.astype(np.dtype(code).newbyteorder("<"), copy=False))
        if code in "fd" and np.isnan(raw).any():
            unsigned = np.uint32 if code == "f" else np.uint64
            bits = raw.view(unsigned).copy()
            bits[np.isnan(raw)] = np.iinfo(unsigned).max >> 1  # exponent | significand
            raw = bits
    return raw.view(np.uint8).reshape(len(values), _WIDTH[code])
