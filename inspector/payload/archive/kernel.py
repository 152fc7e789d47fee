"""Runs of variable-size integers, read and written without a Python step per token.

eos::portable_oarchive writes every number as a size byte and that many
little-endian bytes, so a vector of ten million numbers cannot be one
``numpy.frombuffer``: each token's position depends on every size before it.
Reading is therefore one compiled loop (numba, from wheels: no compiler on the
user's machine); writing has no such dependency and is plain numpy (every
token's size is known up front).

Token codes are numpy type characters: ``b B h H i I q Q`` integers, ``f d``
float bit patterns, ``?`` bool (``00`` or ``01 54``).  A run may cycle
through several codes (the members of a flat struct, element after element).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numba
import numpy as np

__all__ = ["ScanError", "read_tokens", "split_columns", "write_tokens"]

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
def _scan_bytes(
    buf: np.ndarray, pos: Any, count: int, signed: bool, out: np.ndarray
) -> tuple[int, Any, int]:  # pragma: no cover - compiled; tested through read_tokens
    """The common long run: one-byte integers (``00`` or ``±01 xx``) straight into ``out``.

    ``out`` is a uint8 view: a one-byte type keeps its byte whatever the sign.
    Branch-free on the valid path (the value is ``buf[p + a] * a`` with a = 0
    or 1), and with unsigned indices, which spare numba its negative-index
    fix-up on every access: the loop's only dependency is the position.
    """
    u = np.uint64
    n, one, fold = u(buf.shape[0]), u(1), u(254 if signed else 0)
    p = u(pos)
    for i in range(count):
        if p >= n:
            return 1, np.int64(p), i
        s = u(buf[p])
        a = u(s != 0)
        if (s ^ (fold * (s == 255))) > one:
            return (3 if s == 255 else 2), np.int64(p), i
        if p + a >= n:
            return 1, np.int64(p), i
        out[u(i)] = buf[p + a] * a
        p += one + a
    return 0, np.int64(p), count


@numba.njit(cache=True, nogil=True)
def _emit(
    flat: np.ndarray, size: np.ndarray, negative: np.ndarray, out: np.ndarray
) -> Any:  # pragma: no cover - compiled; tested through write_tokens
    """Write each token's size byte and its ``size`` low bytes; the bytes written."""
    pos: Any = 0
    for i in range(flat.shape[0]):
        a = size[i]
        out[pos] = np.uint8((256 - a) if negative[i] and a else a)
        pos += 1
        v = flat[i]
        for b in range(a):
            out[pos] = np.uint8((v >> (8 * b)) & 0xFF)
            pos += 1
    return pos


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
    widths = np.array([_WIDTH[c] for c in codes], np.int64)
    signed = np.array([c in _SIGNED for c in codes], np.bool_)
    booleans = np.array([c == "?" for c in codes], np.bool_)
    if codes in ("B", "b"):
        out = np.empty(count, np.dtype(codes))
        status, end, index = _scan_bytes(buf, pos, count, codes == "b", out.view(np.uint8))
        if not status:
            return out, end
        raw = out  # only its failure is reported below
    else:
        raw = np.empty(count, np.int64)
        status, end, index = _scan(buf, pos, count, widths, signed, booleans, raw)
    if status:
        reason = _REASONS[status]
        code = codes[index % len(codes)]
        message = (
            f"size byte {int(buf[end]) - 256 if buf[end] > 127 else int(buf[end])} is larger "
            f"than the {_WIDTH[code]}-byte type"
            if reason == "size"
            else reason
        )
        raise ScanError(reason, end, index, message)
    if len(codes) == 1:
        return split_columns(raw, codes)[0], end
    return raw, end


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

    Each token's byte count is computed for all tokens at once (numpy); one
    compiled pass then writes them.
    """
    if not values or len(values[0]) == 0:
        return b""
    bits = np.stack(
        [_bit_patterns(np.asarray(v), c) for v, c in zip(values, codes, strict=True)], 1
    )
    widths = np.array([_WIDTH[c] for c in codes], np.int64)
    flat = bits.reshape(-1)
    width = np.tile(widths, len(values[0]))
    signed = np.tile(np.array([c in _SIGNED for c in codes]), len(values[0]))
    negative = (flat < 0) & signed
    # bytes of |value|: of v for positives, of ~v for negatives (the rest is 0xff)
    magnitude = np.where(negative, ~flat, flat).view(np.uint64)
    size = np.zeros(flat.size, np.int64)
    for b in range(1, 8):
        size += magnitude >= (np.uint64(1) << np.uint64(8 * b))
    size += 1
    size[(flat == 0)] = 0
    size[(width == 1) & (flat != 0)] = 1  # one-byte types: always one byte
    out = np.empty(int(size.sum()) + flat.size, np.uint8)
    _emit(flat, size, negative, out)
    return out.tobytes()


def _bit_patterns(values: np.ndarray[Any, Any], code: str) -> np.ndarray[Any, Any]:
    """Each value as the int64 that portable_oarchive writes (floats: their bits, unsigned)."""
    if code == "f":
        return values.astype(np.float32).view(np.uint32).astype(np.int64)
    if code == "d":
        return values.astype(np.float64).view(np.int64).astype(np.uint64).view(np.int64)
    if code == "?":
        return np.where(values.astype(bool), _BOOL_TRUE, 0).astype(np.int64)
    if code == "Q":
        return values.astype(np.uint64).view(np.int64)
    return values.astype(code).astype(np.int64)
