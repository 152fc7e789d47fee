"""SiPixelGainCalibrationOffline: 8-bit pedestal (per pixel) and gain (per column block) codes.

As ``SiPixelGainCalibrationOffline::setDataPedestal`` / ``setDataGain`` /
``getPed`` / ``getGain`` do (CondFormats/SiPixelObjects
``src/SiPixelGainCalibrationOffline.cc``, current form as in the
OzAmram/cmssw@3ff46a185d292591ec59a8f5b43aab542082884b fork of CMSSW; the same
byte layout in cms-sw/cmssw@a22fbaa9d7a3e37de1211164cbf4ce42fd185bd2, which
passes the rows per block as ``ROCRows``):

- A module's bytes ``v_pedestals[ibegin:iend]`` hold its columns one after
  the other, ``(iend - ibegin) / ncols`` bytes each.  A column is cut into
  blocks of ``R = numberOfRowsToAverageOver_`` rows (80: one readout chip):
  the R pedestal codes of the block's pixels, row after row, then the one
  gain code of those R pixels.  Pixel ``(col, row)`` is byte
  ``col * L + (row // R) * (R + 1) + row % R`` of the module, its gain byte
  ``col * L + (row // R + 1) * (R + 1) - 1``, with ``L`` the column length.
- So the whole of ``v_pedestals`` is a sequence of ``R + 1``-byte blocks
  (module, column, block order): decoding is one reshape, no index arithmetic.
- A value ``x`` in ``[min, max]`` is stored as the truncated
  ``(x - min) / precision`` with ``precision = (max - min) / nBins``
  (``nBinsToUseForEncoding_``: 253 since the noisy flag exists, 254 before)
  computed in float; a code ``c`` reads back as ``c * precision + min``.
  Codes equal to ``deadFlag_`` (255) or ``noisyFlag_`` (254) mark dead or
  noisy pixels (pedestal byte) and column blocks (gain byte); the C++ still
  decodes them to a number, and raises the caller's flag.
- ``char`` is signed: bytes come back as -128..127 and are taken ``& 0xFF``.

The float arithmetic is reproduced step by step (float32 differences and
precision, a double quotient or product, a float result), so codes and values
are those CMSSW writes and reads, bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEAD_FLAG",
    "NOISY_FLAG",
    "N_BINS",
    "ROWS_PER_BLOCK",
    "PixelGains",
    "decode_blocks",
    "decode_values",
    "encode_blocks",
    "encode_values",
    "members",
    "pixel_gains",
]

#: ``numberOfRowsToAverageOver_``: rows per gain code (one readout chip).
ROWS_PER_BLOCK: Final = 80
#: ``nBinsToUseForEncoding_`` of the current class (254 and 255 are flags).
N_BINS: Final = 253
DEAD_FLAG: Final = 255
NOISY_FLAG: Final = 254
CODES: Final = 256
_CHUNK: Final = 1 << 16

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def _precision(low: float, high: float, nbins: int) -> np.float64:
    """``double precision = (max - min) / static_cast<float>(nBins)``: a float quotient."""
    span = np.float32(high) - np.float32(low)
    return np.float64(np.float32(span / np.float32(nbins)))


def decode_values(codes: npt.ArrayLike, low: float, high: float, nbins: int) -> F32:
    """``decodePed`` / ``decodeGain``: ``(float)(code * precision + min)``, per code."""
    c = np.asarray(codes).astype(np.uint8, copy=False)
    table = np.arange(CODES, dtype=np.float64) * _precision(low, high, nbins)
    table += np.float64(np.float32(low))
    return table.astype(np.float32)[c]


def encode_values(values: npt.ArrayLike, low: float, high: float, nbins: int) -> U8:
    """``encodePed`` / ``encodeGain`` then ``static_cast<unsigned int>(...) & 0xFF``.

    ``values`` are taken as float (the C++ argument type).  Raises
    ``ValueError`` when one lies outside ``[low, high]``, as the C++ throws.
    """
    x = np.asarray(values, dtype=np.float32).ravel()
    lo, hi = np.float32(low), np.float32(high)
    precision = _precision(low, high, nbins)
    out = np.empty(x.size, np.uint8)
    quotient = np.empty(min(x.size, _CHUNK), np.float64)
    for start in range(0, x.size, _CHUNK):  # cache-sized chunks: one pass over memory
        part = x[start : start + _CHUNK]
        if not (bool(np.all(part >= lo)) and bool(np.all(part <= hi))):
            raise ValueError(f"values outside [{lo}, {hi}] cannot be encoded")
        q = quotient[: part.size]
        np.subtract(part, lo, out=q, dtype=np.float32, casting="unsafe")
        q /= precision
        # (float) of the double quotient, then the truncating cast (codes are < 256)
        out[start : start + part.size] = q.astype(np.float32)
    return out.reshape(np.shape(values))


def encode_blocks(
    pedestal_codes: npt.ArrayLike,
    gain_codes: npt.ArrayLike,
    ncols: npt.ArrayLike,
    rows: npt.ArrayLike,
    rows_per_block: int = ROWS_PER_BLOCK,
) -> tuple[U8, npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """``(v_pedestals, ibegin, iend)`` of modules laid out as ``put`` appends them.

    ``pedestal_codes`` has one code per pixel (module, column, row order),
    ``gain_codes`` one per block of ``rows_per_block`` rows (module, column,
    block order); modules have ``ncols`` columns of ``rows`` rows each, a
    multiple of ``rows_per_block``.
    """
    peds = np.asarray(pedestal_codes).astype(np.uint8, copy=False).ravel()
    gains = np.asarray(gain_codes).astype(np.uint8, copy=False).ravel()
    cols, nrows = np.asarray(ncols, np.int64), np.asarray(rows, np.int64)
    r = int(rows_per_block)
    if r < 1 or np.any(nrows % r) or np.any(nrows < 0) or np.any(cols < 0):
        raise ValueError(f"module rows must be whole blocks of {r} rows")
    blocks = cols * (nrows // r)
    if peds.size != int(blocks.sum()) * r or gains.size != int(blocks.sum()):
        raise ValueError(
            f"{peds.size} pedestal and {gains.size} gain codes for "
            f"{int(blocks.sum()) * r} pixels in {int(blocks.sum())} blocks"
        )
    data = np.empty((gains.size, r + 1), np.uint8)
    data[:, :r] = peds.reshape(-1, r)
    data[:, r] = gains
    iend = np.cumsum(blocks * (r + 1))
    return data.reshape(-1), (iend - blocks * (r + 1)).astype(np.uint32), iend.astype(np.uint32)


def decode_blocks(
    v_pedestals: npt.ArrayLike,
    ibegin: npt.ArrayLike,
    iend: npt.ArrayLike,
    ncols: npt.ArrayLike,
    rows_per_block: int = ROWS_PER_BLOCK,
) -> tuple[U8, U8, I64]:
    """``(pedestal codes (blocks × rows_per_block), gain codes, blocks per module)``.

    Blocks come module after module in registry order, each module's column
    after column.  Raises ``ValueError`` when a range lies outside
    ``v_pedestals`` or a module is not whole columns of whole blocks.
    """
    raw = np.asarray(v_pedestals)
    data = raw.view(np.uint8) if raw.dtype.itemsize == 1 else raw.astype(np.uint8)
    data = data.ravel()
    begin, end = np.asarray(ibegin, np.int64), np.asarray(iend, np.int64)
    cols = np.asarray(ncols, np.int64)
    r = int(rows_per_block)
    size = r + 1
    if begin.size and (begin.min() < 0 or end.max() > data.size or np.any(end < begin)):
        raise ValueError(f"a module's byte range lies outside v_pedestals ({data.size} bytes)")
    length = end - begin
    if r < 1 or np.any(cols <= 0) or np.any(length % np.maximum(cols, 1) != 0):
        raise ValueError("a module's bytes are not whole columns")
    if np.any((length // np.maximum(cols, 1)) % size) or np.any(begin % size):
        raise ValueError(f"a module's columns are not whole blocks of {r} rows and a gain")
    counts = length // size
    first = begin // size
    usable = data[: data.size - data.size % size].reshape(-1, size)
    if not counts.size:
        return usable[:0, :r], usable[:0, r], counts
    if np.array_equal(first[1:], (first + counts)[:-1]):
        chosen = usable[int(first[0]) : int(first[-1] + counts[-1])]  # in order: a view
    else:
        starts = np.cumsum(counts) - counts
        index = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(first - starts, counts)
        chosen = usable[index]
    return chosen[:, :r], chosen[:, r], counts


def members(
    detids: npt.ArrayLike,
    ncols: npt.ArrayLike,
    rows: npt.ArrayLike,
    pedestal_codes: npt.ArrayLike,
    gain_codes: npt.ArrayLike,
    *,
    pedestal_range: tuple[float, float],
    gain_range: tuple[float, float],
    rows_per_block: int = ROWS_PER_BLOCK,
    nbins: int = N_BINS,
) -> dict[str, Any]:
    """A SiPixelGainCalibrationOffline payload's members from codes, module after module.

    ``detids`` must be sorted (``put`` keeps the registry ordered by detid).
    """
    ids = np.asarray(detids, np.uint32)
    if np.any(np.diff(ids.astype(np.int64)) <= 0):
        raise ValueError("module ids must be sorted and unique, as the registry keeps them")
    v, ibegin, iend = encode_blocks(pedestal_codes, gain_codes, ncols, rows, rows_per_block)
    return {
        "v_pedestals": v.view(np.int8),
        "indexes": {
            "detid": ids,
            "ibegin": ibegin,
            "iend": iend,
            "ncols": np.asarray(ncols, np.int32),
        },
        "minPed_": np.float32(pedestal_range[0]),
        "maxPed_": np.float32(pedestal_range[1]),
        "minGain_": np.float32(gain_range[0]),
        "maxGain_": np.float32(gain_range[1]),
        "numberOfRowsToAverageOver_": np.uint32(rows_per_block),
        "nBinsToUseForEncoding_": np.uint32(nbins),
        "deadFlag_": np.uint32(DEAD_FLAG),
        "noisyFlag_": np.uint32(NOISY_FLAG),
    }


@dataclass(frozen=True, eq=False)
class PixelGains:
    """A SiPixelGainCalibrationOffline payload unpacked into code blocks.

    Block ``k`` (``pedestal_codes[k]``: its ``rows_per_block`` pixels,
    ``gain_codes[k]``: their gain) belongs to the module ``m`` with
    ``block_begin[m] <= k < block_end[m]``; within a module, block
    ``col * (rows // rows_per_block) + row // rows_per_block`` holds pixel
    ``(col, row)`` at position ``row % rows_per_block``.  ``pedestal_counts``
    and ``gain_counts`` are per-module code histograms (modules × 256), from
    which every distribution and mean follows exactly.
    """

    detid: npt.NDArray[np.uint32]
    ncols: I64
    block_begin: I64
    block_end: I64
    pedestal_codes: U8
    gain_codes: U8
    pedestal_range: tuple[float, float]
    gain_range: tuple[float, float]
    rows_per_block: int
    nbins: int
    dead_flag: int
    noisy_flag: int
    pedestal_counts: I64
    gain_counts: I64

    @property
    def rows(self) -> I64:
        """Pixel rows of each module."""
        return (
            (self.block_end - self.block_begin) // np.maximum(self.ncols, 1) * self.rows_per_block
        )

    def _flags(self) -> npt.NDArray[np.bool_]:
        flagged = np.zeros(CODES, np.bool_)
        flagged[[self.dead_flag & 0xFF, self.noisy_flag & 0xFF]] = True
        return flagged

    def table(self, quantity: str) -> npt.NDArray[np.float64]:
        """The value of every code (NaN for the dead and noisy flags), as CMSSW decodes it."""
        low, high = self.pedestal_range if quantity == "pedestal" else self.gain_range
        values = decode_values(np.arange(CODES), low, high, self.nbins).astype(np.float64)
        values[self._flags()] = np.nan
        return values

    def counts(self, quantity: str) -> I64:
        """Per-module code histograms of ``pedestal`` (pixels) or ``gain`` (column blocks)."""
        return self.pedestal_counts if quantity == "pedestal" else self.gain_counts

    def pedestals(self) -> F32:
        """Every pixel's pedestal as ``getPed`` returns it (flagged pixels decoded too)."""
        return decode_values(self.pedestal_codes.ravel(), *self.pedestal_range, self.nbins)

    def gains(self) -> F32:
        """Every column block's gain as ``getGain`` returns it (flagged blocks decoded too)."""
        return decode_values(self.gain_codes, *self.gain_range, self.nbins)

    def dead_pixels(self) -> npt.NDArray[np.bool_]:
        """Pixels whose pedestal code is the dead flag (blocks × rows)."""
        return np.equal(self.pedestal_codes, self.dead_flag & 0xFF)

    def dead_blocks(self) -> npt.NDArray[np.bool_]:
        """Column blocks whose gain code is the dead flag."""
        return np.equal(self.gain_codes, self.dead_flag & 0xFF)

    def module_means(self, quantity: str) -> tuple[npt.NDArray[np.float64], I64]:
        """``(mean value, entries)`` per module over its unflagged pixels or blocks (NaN: none)."""
        counts = self.counts(quantity)
        table = self.table(quantity)
        live = ~np.isnan(table)
        entries = counts[:, live].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.asarray((counts[:, live] @ table[live]) / entries, np.float64)
        return means, entries


def pixel_gains(payload: Any) -> PixelGains:
    """The unpacked gains of a decoded SiPixelGainCalibrationOffline payload (once per payload)."""
    return payload.derived(  # type: ignore[no-any-return]
        "SiPixelGainCalibrationOffline.blocks", lambda: unpack(payload)
    )


def _module_histograms(codes: U8, counts: I64) -> I64:
    """Code histogram of each module's rows of ``codes`` (modules × 256), in bounded chunks."""
    out = np.zeros((counts.size, CODES), np.int64)
    flat = codes.reshape(codes.shape[0], -1)
    per_block = flat.shape[1]
    end = np.cumsum(counts)
    begin = end - counts
    chunk_blocks = max(1, (1 << 23) // max(per_block, 1))
    m = 0
    while m < counts.size:
        stop = int(np.searchsorted(end, begin[m] + chunk_blocks, side="right"))
        stop = max(stop, m + 1)
        lo, hi = int(begin[m]), int(end[stop - 1])
        module = np.repeat(np.arange(stop - m, dtype=np.int32), counts[m:stop] * per_block)
        index = module * CODES + flat[lo:hi].ravel()
        out[m:stop] = np.bincount(index, minlength=(stop - m) * CODES).reshape(-1, CODES)
        m = stop
    return out


def unpack(payload: Mapping[str, Any]) -> PixelGains:
    """Unpack a SiPixelGainCalibrationOffline payload's members (see :func:`pixel_gains`)."""
    indexes = payload["indexes"]
    r = int(payload["numberOfRowsToAverageOver_"])
    ncols = np.asarray(indexes["ncols"], np.int64)
    peds, gains, counts = decode_blocks(
        payload["v_pedestals"], indexes["ibegin"], indexes["iend"], ncols, r
    )
    end = np.cumsum(counts)
    return PixelGains(
        detid=np.asarray(indexes["detid"], np.uint32),
        ncols=ncols,
        block_begin=end - counts,
        block_end=end,
        pedestal_codes=peds,
        gain_codes=gains,
        pedestal_range=(float(payload["minPed_"]), float(payload["maxPed_"])),
        gain_range=(float(payload["minGain_"]), float(payload["maxGain_"])),
        rows_per_block=r,
        nbins=int(payload["nBinsToUseForEncoding_"]),
        dead_flag=int(payload["deadFlag_"]),
        noisy_flag=int(payload["noisyFlag_"]),
        pedestal_counts=_module_histograms(peds, counts),
        gain_counts=_module_histograms(gains.reshape(-1, 1), counts),
    )
