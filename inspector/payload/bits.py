"""Vectorised packing and unpacking of N-bit unsigned integers.

``count`` values of ``bits`` bits each are stored back to back.  With
``msb`` bit order the first value starts at the most significant bit of the
first byte (CMS strip noise uses this); with ``lsb`` at the least significant.

Unpacking never loops over elements: ``g`` consecutive values always occupy a
whole number ``G`` of bytes (``g = 8 / gcd(bits, 8)``), so the packed bytes are
read as ``g`` strided, unaligned integer *views* — one per position inside a
group — each shifted and masked in one numpy operation.  Byte-aligned widths
(8, 16, 32 bits) are plain zero-copy views.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["pack_bits", "packed_nbytes", "unpack_bits", "unpacked_dtype"]

BitOrder = Literal["msb", "lsb"]

#: Groups unpacked per block (see _unpack_groups); 64 Ki keeps temporaries in L2.
_BLOCK_GROUPS = 1 << 16


def packed_nbytes(count: int, bits: int) -> int:
    """Bytes taken by ``count`` values of ``bits`` bits."""
    return (count * bits + 7) // 8


def unpacked_dtype(bits: int, bit_order: BitOrder) -> np.dtype[Any]:
    """Smallest unsigned dtype holding ``bits`` bits (byte order for aligned views)."""
    size = 1 if bits <= 8 else 2 if bits <= 16 else 4
    if bits == 8 * size:
        return np.dtype((">" if bit_order == "msb" else "<") + f"u{size}")
    return np.dtype(f"=u{size}")


def unpack_bits(
    data: bytes | memoryview | npt.NDArray[np.uint8],
    count: int,
    bits: int,
    bit_order: BitOrder = "msb",
) -> npt.NDArray[np.unsignedinteger[Any]]:
    """Unpack ``count`` values; ``data`` must hold exactly ``packed_nbytes`` bytes."""
    raw = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    need = packed_nbytes(count, bits)
    if raw.size != need:
        raise ValueError(f"{count} values of {bits} bits take {need} bytes, got {raw.size}")
    dtype = unpacked_dtype(bits, bit_order)
    if bits in (8, 16, 32):
        return raw.view(dtype)
    g = 8 // math.gcd(bits, 8)
    group_bytes = bits * g // 8
    window = _window_bytes(bits, g)
    out = np.empty(count, dtype=dtype)
    full = count // g
    # Groups whose windows stay inside ``raw``; the rest go through a padded copy.
    safe = max(0, min(full, (raw.size - group_bytes - window) // group_bytes + 1))
    if safe:
        _unpack_groups(raw, safe, bits, g, window, bit_order, out[: safe * g].reshape(safe, g))
    done = safe * g
    if done < count:
        tail_groups = -(-(count - done) // g)
        tail = np.zeros(tail_groups * group_bytes + window, dtype=np.uint8)
        rest = raw[done * bits // 8 :]
        tail[: rest.size] = rest
        scratch = np.empty((tail_groups, g), dtype=dtype)
        _unpack_groups(tail, tail_groups, bits, g, window, bit_order, scratch)
        out[done:] = scratch.reshape(-1)[: count - done]
    return out


def _window_bytes(bits: int, g: int) -> int:
    """Smallest integer width (2, 4 or 8 bytes) covering every value of a group."""
    widest = max((k * bits) % 8 + bits for k in range(g))
    return next(w for w in (2, 4, 8) if widest <= 8 * w)


def _unpack_groups(
    raw: npt.NDArray[np.uint8],
    groups: int,
    bits: int,
    g: int,
    window: int,
    bit_order: BitOrder,
    out: npt.NDArray[Any],
) -> None:
    group_bytes = bits * g // 8
    wdtype = np.dtype((">" if bit_order == "msb" else "<") + f"u{window}")
    native = np.dtype(f"=u{window}")
    mask = native.type((1 << bits) - 1)
    views: list[npt.NDArray[Any]] = []
    shifts: list[Any] = []
    for k in range(g):
        start, shift = divmod(k * bits, 8)
        if bit_order == "msb":
            shift = 8 * window - shift - bits
        views.append(
            np.ndarray((groups,), dtype=wdtype, buffer=raw, offset=start, strides=(group_bytes,))
        )
        shifts.append(native.type(shift))
    # Blocks of groups small enough for the temporaries to stay in cache:
    # copy (and byte-swap) into native order, shift and mask in place, then
    # one strided store per position.  Measured ~2x faster than whole-array ops.
    scratch = np.empty(min(groups, _BLOCK_GROUPS), dtype=native)
    for lo in range(0, groups, _BLOCK_GROUPS):
        hi = min(groups, lo + _BLOCK_GROUPS)
        tmp = scratch[: hi - lo]
        for k in range(g):
            np.copyto(tmp, views[k][lo:hi], casting="unsafe")
            np.right_shift(tmp, shifts[k], out=tmp)
            np.bitwise_and(tmp, mask, out=tmp)
            out[lo:hi, k] = tmp


def pack_bits(
    values: npt.ArrayLike, bits: int, bit_order: BitOrder = "msb", *, chunk: int = 1 << 20
) -> bytes:
    """Pack unsigned values of at most ``bits`` bits (inverse of :func:`unpack_bits`).

    Works in chunks of whole groups so memory stays bounded for large arrays.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or int(arr.max()) >> bits):
        raise ValueError(f"values must be unsigned integers below 2**{bits}")
    wide = arr.astype(np.uint64, copy=False)
    g = 8 // math.gcd(bits, 8)
    step = max(g, chunk - chunk % g)
    shifts = np.arange(bits, dtype=np.uint64)
    if bit_order == "msb":
        shifts = shifts[::-1]
    order: Literal["big", "little"] = "big" if bit_order == "msb" else "little"
    parts = []
    for lo in range(0, wide.size, step):
        block = wide[lo : lo + step]
        matrix = ((block[:, None] >> shifts[None, :]) & np.uint64(1)).astype(np.uint8)
        parts.append(np.packbits(matrix.reshape(-1), bitorder=order).tobytes())
    return b"".join(parts)
