"""Runs of variable-size integers: read and written in bulk.

This first version is plain Python, one token at a time; the compiled
kernel replaces it (same API) so long vectors need no Python step per element.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, Final

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
    "?": 1,
    "f": 4,
    "d": 8,
}


class ScanError(Exception):
    """A token that cannot be read: why, where (byte offset) and which (token index)."""

    def __init__(self, reason: str, offset: int, index: int, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.offset = offset
        self.index = index


def read_tokens(
    buf: np.ndarray[Any, Any], pos: int, count: int, codes: str
) -> tuple[np.ndarray[Any, Any], int]:
    """Read ``count`` tokens from ``pos``, token i of type ``codes[i % len(codes)]``."""
    data = buf.tobytes()
    k = len(codes)
    if count > len(data) - pos:
        raise ScanError("overrun", pos, 0)
    values: list[int] = []
    for i in range(count):
        code = codes[i % k]
        if pos >= len(data):
            raise ScanError("overrun", pos, i)
        size = data[pos] - 256 if data[pos] > 127 else data[pos]
        n = abs(size)
        if n > _WIDTH[code]:
            raise ScanError("size", pos, i, f"size byte {size} is larger than the type")
        if size < 0 and code in "BHIQ?fd":
            raise ScanError("sign", pos, i)
        if pos + 1 + n > len(data):
            raise ScanError("overrun", pos, i)
        value = int.from_bytes(data[pos + 1 : pos + 1 + n], "little")
        if size < 0:
            value -= 1 << (8 * n)
        if code == "?" and value not in (0, 0x54):
            raise ScanError("bool", pos, i)
        values.append(value & 0xFFFFFFFFFFFFFFFF)
        pos += 1 + n
    raw = np.array(values, np.uint64)
    return (split_columns(raw, codes)[0] if k == 1 else raw), pos


def split_columns(raw: np.ndarray[Any, Any], codes: str) -> list[np.ndarray[Any, Any]]:
    """Raw token values (uint64) as one column per code, each in its final dtype."""
    table = raw.reshape(-1, len(codes))
    out: list[np.ndarray[Any, Any]] = []
    for j, code in enumerate(codes):
        col = table[:, j]
        if code == "f":
            out.append(col.astype(np.uint32).view(np.float32))
        elif code == "d":
            out.append(col.view(np.float64))
        elif code == "?":
            out.append(col == 0x54)
        elif code in "bhiq":
            out.append(col.view(np.int64).astype(code))
        else:
            out.append(col.astype(code))
    return out


def write_tokens(values: Sequence[np.ndarray[Any, Any]], codes: str) -> bytes:
    """Columns interleaved token by token, each written as portable_oarchive does."""
    n = len(values[0]) if values else 0
    out = bytearray()
    for i in range(n):
        for j, code in enumerate(codes):
            out += _token(values[j][i], code)
    return bytes(out)


def _token(value: Any, code: str) -> bytes:
    if code == "f":
        v = struct.unpack("<I", struct.pack("<f", float(value)))[0]
    elif code == "d":
        v = struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    elif code == "?":
        v = 0x54 if value else 0
    else:
        v = int(value)
    if v == 0:
        return b"\x00"
    size = 1
    if _WIDTH[code] > 1:
        size, t = 0, v
        while True:
            t >>= 8
            size += 1
            if t in (0, -1):
                break
    head: bytes = struct.pack("b", size if v > 0 else -size)
    body: bytes = (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    return head + body
