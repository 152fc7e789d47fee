"""SiPixelGainCalibrationOffline and SiPixelGainCalibrationForHLT: 8-bit pedestal and gain codes.

Both classes keep, per module, a byte range ``v_pedestals[ibegin:iend]`` of
``ncols`` columns one after the other, each column cut into blocks of
``R = numberOfRowsToAverageOver_`` rows (80: one readout chip).  They differ
in what a block holds:

- **Offline** (``SiPixelGainCalibrationOffline::setDataPedestal`` /
  ``setDataGain`` / ``getPed`` / ``getGain``, CondFormats/SiPixelObjects
  ``src/SiPixelGainCalibrationOffline.cc``, current form as in the
  OzAmram/cmssw@3ff46a185d292591ec59a8f5b43aab542082884b fork of CMSSW; the
  same byte layout in cms-sw/cmssw@a22fbaa9d7a3e37de1211164cbf4ce42fd185bd2,
  which passes the rows per block as ``ROCRows``): the R pedestal codes of the
  block's pixels, row after row, then the one gain code of those R pixels:
  ``R + 1`` bytes.  Pixel ``(col, row)`` is byte
  ``col * L + (row // R) * (R + 1) + row % R`` of the module, its gain byte
  ``col * L + (row // R + 1) * (R + 1) - 1``, with ``L`` the column length.
- **ForHLT** (``SiPixelGainCalibrationForHLT::setData`` / ``getPed`` /
  ``getGain``, ``src/SiPixelGainCalibrationForHLT.cc``,
  cms-sw/cmssw@60997960d9e1a9a70d9be68a6b594c3404ab2081): one gain and one
  pedestal code for the block's R pixels, 2 bytes, the gain first
  (``setData`` copies ``(ped << 8) | gain`` as a little-endian 16-bit value;
  the SoA ES producer at cms-sw/cmssw@0a3fdcf9a53536b4edc5ca7c9f17c9ec33c6bf6b
  reads ``data[i]`` as gain and ``data[i + 1]`` as pedestal).  Column ``col``'s
  block of row ``row`` is bytes ``col * L + 2 * (row // R)`` and ``+ 1``.

So the whole of ``v_pedestals`` is a sequence of equal blocks (module,
column, block order) for either class: decoding is one reshape, no index
arithmetic, and the two classes share every step but the block's shape.

- A value ``x`` in ``[min, max]`` is stored as the truncated
  ``(x - min) / precision`` with ``precision = (max - min) / nBins``
  (``nBinsToUseForEncoding_``: 253 since the noisy flag exists, 254 before)
  computed in float; a code ``c`` reads back as ``c * precision + min``.
  ForHLT also stores that float ``precision`` (``pedPrecision``,
  ``gainPrecision``); it is used when present.
- Codes equal to ``deadFlag_`` (255) or ``noisyFlag_`` (254) mark dead or
  noisy pixels (Offline pedestal byte) and column blocks (the gain byte;
  ForHLT writes the flag in both bytes); the C++ still decodes them to a
  number, and raises the caller's flag.
- ``char`` is signed: bytes come back as -128..127 and are taken ``& 0xFF``.

The float arithmetic is reproduced step by step (float32 differences and
precision, a double quotient or product, a float result), so codes and values
are those CMSSW writes and reads, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEAD_FLAG",
    "FOR_HLT",
    "HLT_BLOCK",
    "NOISY_FLAG",
    "N_BINS",
    "OFFLINE",
    "ROWS_PER_BLOCK",
    "BlockForm",
    "decode_blocks",
    "decode_hlt_blocks",
    "decode_payload_blocks",
    "decode_values",
    "encode_blocks",
    "encode_hlt_blocks",
    "encode_values",
    "hlt_members",
    "members",
]

OFFLINE: Final = "SiPixelGainCalibrationOffline"
FOR_HLT: Final = "SiPixelGainCalibrationForHLT"
#: ``numberOfRowsToAverageOver_``: rows per gain code (one readout chip).
ROWS_PER_BLOCK: Final = 80
#: ``nBinsToUseForEncoding_`` of the current classes (254 and 255 are flags).
N_BINS: Final = 253
DEAD_FLAG: Final = 255
NOISY_FLAG: Final = 254
#: Bytes of a ForHLT column block: the gain code, then the pedestal code.
HLT_BLOCK: Final = 2
CODES: Final = 256
_CHUNK: Final = 1 << 16

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]


@dataclass(frozen=True)
class BlockForm:
    """Where the codes of one column block sit among its bytes.

    ``pedestals`` codes from byte ``pedestal_at`` on, the gain code at byte
    ``gain_at``; ``size`` bytes in all.
    """

    pedestals: int
    pedestal_at: int
    gain_at: int

    @property
    def size(self) -> int:
        """Bytes per block."""
        return self.pedestals + 1

    @staticmethod
    def of(object_type: str, rows_per_block: int) -> BlockForm:
        """The block of ``object_type``: Offline R pedestals, gain; ForHLT gain, pedestal."""
        if object_type == FOR_HLT:
            return BlockForm(pedestals=1, pedestal_at=1, gain_at=0)
        if object_type == OFFLINE:
            r = int(rows_per_block)
            return BlockForm(pedestals=r, pedestal_at=0, gain_at=r)
        raise ValueError(f"not a pixel gain class: {object_type!r}")


def _precision(low: float, high: float, nbins: int) -> np.float64:
    """``double precision = (max - min) / static_cast<float>(nBins)``: a float quotient."""
    span = np.float32(high) - np.float32(low)
    return np.float64(np.float32(span / np.float32(nbins)))


def decode_values(
    codes: npt.ArrayLike, low: float, high: float, nbins: int, precision: float | None = None
) -> F32:
    """``decodePed`` / ``decodeGain``: ``(float)(code * precision + min)``, per code.

    ``precision`` is the stored float step (ForHLT's ``pedPrecision`` /
    ``gainPrecision``); by default it is computed from the range as CMSSW does.
    """
    c = np.asarray(codes).astype(np.uint8, copy=False)
    step = _precision(low, high, nbins) if precision is None else np.float64(np.float32(precision))
    table = np.arange(CODES, dtype=np.float64) * step
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


def _encode(
    form: BlockForm,
    pedestal_codes: npt.ArrayLike,
    gain_codes: npt.ArrayLike,
    ncols: npt.ArrayLike,
    rows: npt.ArrayLike,
    rows_per_block: int,
) -> tuple[U8, npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """``(v_pedestals, ibegin, iend)``: blocks of ``form``, module after module."""
    peds = np.asarray(pedestal_codes).astype(np.uint8, copy=False).ravel()
    gains = np.asarray(gain_codes).astype(np.uint8, copy=False).ravel()
    cols, nrows = np.asarray(ncols, np.int64), np.asarray(rows, np.int64)
    r = int(rows_per_block)
    if r < 1 or np.any(nrows % r) or np.any(nrows < 0) or np.any(cols < 0):
        raise ValueError(f"module rows must be whole blocks of {r} rows")
    blocks = cols * (nrows // r)
    total = int(blocks.sum())
    if peds.size != total * form.pedestals or gains.size != total:
        raise ValueError(
            f"{peds.size} pedestal and {gains.size} gain codes for "
            f"{total * form.pedestals} pedestals in {total} blocks"
        )
    data = np.empty((total, form.size), np.uint8)
    data[:, form.pedestal_at : form.pedestal_at + form.pedestals] = peds.reshape(-1, form.pedestals)
    data[:, form.gain_at] = gains
    iend = np.cumsum(blocks * form.size)
    ibegin = iend - blocks * form.size
    return data.reshape(-1), ibegin.astype(np.uint32), iend.astype(np.uint32)


def decode_payload_blocks(
    form: BlockForm,
    v_pedestals: npt.ArrayLike,
    ibegin: npt.ArrayLike,
    iend: npt.ArrayLike,
    ncols: npt.ArrayLike,
) -> tuple[U8, U8, I64]:
    """``(pedestal codes (blocks × form.pedestals), gain codes, blocks per module)``."""
    raw = np.asarray(v_pedestals)
    data = raw.view(np.uint8) if raw.dtype.itemsize == 1 else raw.astype(np.uint8)
    data = data.ravel()
    begin, end = np.asarray(ibegin, np.int64), np.asarray(iend, np.int64)
    cols = np.asarray(ncols, np.int64)
    size = form.size
    if begin.size and (begin.min() < 0 or end.max() > data.size or np.any(end < begin)):
        raise ValueError(f"a module's byte range lies outside v_pedestals ({data.size} bytes)")
    length = end - begin
    if np.any(cols <= 0) or np.any(length % np.maximum(cols, 1) != 0):
        raise ValueError("a module's bytes are not whole columns")
    if np.any((length // np.maximum(cols, 1)) % size) or np.any(begin % size):
        raise ValueError(
            f"a module's columns are not whole blocks of {form.pedestals} pedestals and a gain"
        )
    counts = length // size
    first = begin // size
    usable = data[: data.size - data.size % size].reshape(-1, size)
    if not counts.size:
        chosen = usable[:0]
    elif np.array_equal(first[1:], (first + counts)[:-1]):
        chosen = usable[int(first[0]) : int(first[-1] + counts[-1])]  # in order: a view
    else:
        starts = np.cumsum(counts) - counts
        index = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(first - starts, counts)
        chosen = usable[index]
    peds = chosen[:, form.pedestal_at : form.pedestal_at + form.pedestals]
    return peds, chosen[:, form.gain_at], counts


def encode_blocks(
    pedestal_codes: npt.ArrayLike,
    gain_codes: npt.ArrayLike,
    ncols: npt.ArrayLike,
    rows: npt.ArrayLike,
    rows_per_block: int = ROWS_PER_BLOCK,
) -> tuple[U8, npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """Offline ``(v_pedestals, ibegin, iend)`` of modules laid out as ``put`` appends them.

    ``pedestal_codes`` has one code per pixel (module, column, row order),
    ``gain_codes`` one per block of ``rows_per_block`` rows (module, column,
    block order); modules have ``ncols`` columns of ``rows`` rows each, a
    multiple of ``rows_per_block``.
    """
    form = BlockForm.of(OFFLINE, rows_per_block)
    return _encode(form, pedestal_codes, gain_codes, ncols, rows, rows_per_block)


def decode_blocks(
    v_pedestals: npt.ArrayLike,
    ibegin: npt.ArrayLike,
    iend: npt.ArrayLike,
    ncols: npt.ArrayLike,
    rows_per_block: int = ROWS_PER_BLOCK,
) -> tuple[U8, U8, I64]:
    """Offline ``(pedestal codes (blocks × rows_per_block), gain codes, blocks per module)``.

    Blocks come module after module in registry order, each module's column
    after column.  Raises ``ValueError`` when a range lies outside
    ``v_pedestals`` or a module is not whole columns of whole blocks.
    """
    if int(rows_per_block) < 1:
        raise ValueError(f"a module's columns are not whole blocks of {rows_per_block} rows")
    form = BlockForm.of(OFFLINE, rows_per_block)
    return decode_payload_blocks(form, v_pedestals, ibegin, iend, ncols)


def encode_hlt_blocks(
    pedestal_codes: npt.ArrayLike,
    gain_codes: npt.ArrayLike,
    ncols: npt.ArrayLike,
    rows: npt.ArrayLike,
    rows_per_block: int = ROWS_PER_BLOCK,
) -> tuple[U8, npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """ForHLT ``(v_pedestals, ibegin, iend)``: one pedestal and one gain code per block.

    Both code arrays have one code per block of ``rows_per_block`` rows
    (module, column, block order), as ``setData`` appends them column by column.
    """
    form = BlockForm.of(FOR_HLT, rows_per_block)
    return _encode(form, pedestal_codes, gain_codes, ncols, rows, rows_per_block)


def decode_hlt_blocks(
    v_pedestals: npt.ArrayLike, ibegin: npt.ArrayLike, iend: npt.ArrayLike, ncols: npt.ArrayLike
) -> tuple[U8, U8, I64]:
    """ForHLT ``(pedestal codes (blocks × 1), gain codes, blocks per module)``."""
    form = BlockForm.of(FOR_HLT, ROWS_PER_BLOCK)
    return decode_payload_blocks(form, v_pedestals, ibegin, iend, ncols)


def _sorted_ids(detids: npt.ArrayLike) -> npt.NDArray[np.uint32]:
    ids = np.asarray(detids, np.uint32)
    if np.any(np.diff(ids.astype(np.int64)) <= 0):
        raise ValueError("module ids must be sorted and unique, as the registry keeps them")
    return ids


def _members(
    v: U8,
    ids: npt.NDArray[np.uint32],
    ibegin: npt.NDArray[np.uint32],
    iend: npt.NDArray[np.uint32],
    ncols: npt.ArrayLike,
    pedestal_range: tuple[float, float],
    gain_range: tuple[float, float],
    precisions: dict[str, np.float32],
    rows_per_block: int,
    nbins: int,
) -> dict[str, Any]:
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
        **precisions,
        "numberOfRowsToAverageOver_": np.uint32(rows_per_block),
        "nBinsToUseForEncoding_": np.uint32(nbins),
        "deadFlag_": np.uint32(DEAD_FLAG),
        "noisyFlag_": np.uint32(NOISY_FLAG),
    }


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
    ids = _sorted_ids(detids)
    v, ibegin, iend = encode_blocks(pedestal_codes, gain_codes, ncols, rows, rows_per_block)
    return _members(
        v, ids, ibegin, iend, ncols, pedestal_range, gain_range, {}, rows_per_block, nbins
    )


def hlt_members(
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
    """A SiPixelGainCalibrationForHLT payload's members from per-block codes.

    ``pedPrecision`` and ``gainPrecision`` are the float steps the
    constructor computes from the ranges.  ``detids`` must be sorted.
    """
    ids = _sorted_ids(detids)
    v, ibegin, iend = encode_hlt_blocks(pedestal_codes, gain_codes, ncols, rows, rows_per_block)
    precisions = {
        "pedPrecision": np.float32(_precision(*pedestal_range, nbins)),
        "gainPrecision": np.float32(_precision(*gain_range, nbins)),
    }
    return _members(
        v, ids, ibegin, iend, ncols, pedestal_range, gain_range, precisions, rows_per_block, nbins
    )
