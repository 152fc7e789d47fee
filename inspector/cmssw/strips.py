"""SiStripNoises: 9-bit noise codes packed into ``v_noises``, one byte range per module.

As ``SiStripNoises::encode`` / ``decode`` do (CondFormats/SiStripObjects
``SiStripNoises.h``, cms-sw/cmssw@c0936fe9ca7a7e348a089d6cac63dd87b974d8d0):
a module's strips are numbered from the *last* byte of its range backwards;
strip j occupies bits ``9j .. 9j+8`` of that reversed byte stream, least
significant bit first; a module of n strips takes ``ceil(9 n / 8)`` bytes
and has ``(8 * bytes) // 9`` strips.  The noise is ``code / 10`` ADC counts.

Both directions work on all modules at once: index arithmetic and one
gather (decode) or one ``bincount`` (encode), never a loop over strips.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BITS_PER_STRIP",
    "NOISE_SCALE",
    "StripNoises",
    "decode_noises",
    "encode_noises",
    "members",
    "strip_noises",
    "strips_per_module",
]

BITS_PER_STRIP: Final = 9
#: physical noise = code × 0.1 ADC counts (``SiStripNoises::getNoise``)
NOISE_SCALE: Final = 0.1
_MASK: Final = (1 << BITS_PER_STRIP) - 1


def strips_per_module(ibegin: npt.ArrayLike, iend: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Strips of each module from its byte range, as ``SiStripNoises::allNoises`` counts."""
    nbytes = np.asarray(iend, np.int64) - np.asarray(ibegin, np.int64)
    return (nbytes * 8) // BITS_PER_STRIP


def _strip_bytes(
    iend: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """For every strip: the byte holding its low bits, the next byte down, the bit shift.

    Bit offsets within a module fit 32 bits (a module has at most 2**28 strips).
    """
    index = np.int64 if iend.size and int(iend[-1]) >= 2**31 else np.int32
    starts = (np.cumsum(counts) - counts).astype(np.int32)
    j = np.arange(int(counts.sum()), dtype=np.int32) - np.repeat(starts, counts)
    low = j * np.int32(BITS_PER_STRIP)
    first = np.repeat((iend - 1).astype(index), counts) - (low >> 3)
    return first, first - 1, (low & 7).astype(np.uint8)


def decode_noises(
    v_noises: npt.NDArray[np.uint8], ibegin: npt.ArrayLike, iend: npt.ArrayLike
) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int64]]:
    """``(codes of every strip, module after module; strips per module)``.

    Raises ``ValueError`` when a range lies outside ``v_noises``.
    """
    data = np.asarray(v_noises, np.uint8)
    begin = np.asarray(ibegin, np.int64)
    end = np.asarray(iend, np.int64)
    if begin.size and (begin.min() < 0 or end.max() > data.size or np.any(end < begin)):
        raise ValueError(f"a module's byte range lies outside v_noises ({data.size} bytes)")
    counts = strips_per_module(begin, end)
    first, second, shift = _strip_bytes(end, counts)
    word: npt.NDArray[np.uint16] = data[first].astype(np.uint16)
    word |= data[second].astype(np.uint16) << 8
    word >>= shift
    word &= _MASK
    return word, counts


def encode_noises(
    codes: npt.ArrayLike, counts: npt.ArrayLike
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """``(v_noises, ibegin, iend)`` for modules of ``counts`` strips holding ``codes``.

    ``codes`` are 9-bit integers (``round(noise * 10)``), module after module.
    """
    values = np.asarray(codes)
    n = np.asarray(counts, np.int64)
    if values.size != int(n.sum()):
        raise ValueError(f"{values.size} codes for {int(n.sum())} strips")
    if values.size and (values.min() < 0 or values.max() > _MASK):
        raise ValueError("noise codes must fit 9 bits (0..511)")
    nbytes = (n * BITS_PER_STRIP + 7) // 8
    iend = np.cumsum(nbytes)
    ibegin = iend - nbytes
    first, second, shift = _strip_bytes(iend, n)
    v = values.astype(np.uint16)
    size = int(iend[-1]) if iend.size else 0
    # A strip starts every 9 bits, so no byte is the first (or the second) byte of two
    # strips: each scatter has unique indices, and the two halves are ORed after.
    low = np.zeros(size, np.uint8)
    low[first] = (v << shift).astype(np.uint8)
    high = np.zeros(size, np.uint8)
    high[second] = (v >> (8 - shift)).astype(np.uint8)
    low |= high
    return low, ibegin.astype(np.uint32), iend.astype(np.uint32)


def members(detids: npt.ArrayLike, codes: npt.ArrayLike, counts: npt.ArrayLike) -> dict[str, Any]:
    """A SiStripNoises payload's members from per-strip codes, module after module."""
    v_noises, ibegin, iend = encode_noises(codes, counts)
    return {
        "v_noises": v_noises,
        "indexes": {"detid": np.asarray(detids, np.uint32), "ibegin": ibegin, "iend": iend},
    }


@dataclass(frozen=True, eq=False)
class StripNoises:
    """A SiStripNoises payload unpacked: per-module strip ranges into per-strip codes."""

    detid: npt.NDArray[np.uint32]
    begin: npt.NDArray[np.int64]  # first strip of each module in ``codes``
    end: npt.NDArray[np.int64]
    codes: npt.NDArray[np.uint16]

    @property
    def strips(self) -> npt.NDArray[np.int64]:
        """Strips per module."""
        return self.end - self.begin

    def noise(self) -> npt.NDArray[np.float64]:
        """Per-strip noise in ADC counts (code / 10: exact to the written decimal)."""
        return self.codes / 10.0

    def module_means(self) -> npt.NDArray[np.float64]:
        """Mean noise of each module (NaN for a module without strips), exact integer sums."""
        csum = np.zeros(self.codes.size + 1, np.int64)
        np.cumsum(self.codes, dtype=np.int64, out=csum[1:])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray((csum[self.end] - csum[self.begin]) / self.strips) / 10.0


def strip_noises(payload: Any) -> StripNoises:
    """The unpacked noises of a decoded SiStripNoises payload (computed once per payload)."""
    return payload.derived("SiStripNoises.codes", lambda: _unpack(payload))  # type: ignore[no-any-return]


def _unpack(payload: Mapping[str, Any]) -> StripNoises:
    indexes = payload["indexes"]
    codes, counts = decode_noises(payload["v_noises"], indexes["ibegin"], indexes["iend"])
    end = np.cumsum(counts)
    return StripNoises(np.asarray(indexes["detid"], np.uint32), end - counts, end, codes)
