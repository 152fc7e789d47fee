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

from collections.abc import Mapping
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
    "PixelGains",
    "decode_blocks",
    "decode_hlt_blocks",
    "decode_values",
    "encode_blocks",
    "encode_hlt_blocks",
    "encode_values",
    "hlt_members",
    "members",
    "pixel_gains",
    "unpack",
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


def _decode(
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
    return _decode(BlockForm.of(OFFLINE, rows_per_block), v_pedestals, ibegin, iend, ncols)


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
    return _decode(BlockForm.of(FOR_HLT, ROWS_PER_BLOCK), v_pedestals, ibegin, iend, ncols)


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


@dataclass(frozen=True, eq=False)
class PixelGains:
    """A SiPixelGainCalibrationOffline or ForHLT payload unpacked into code blocks.

    Block ``k`` (``pedestal_codes[k]``: its pedestal codes, ``gain_codes[k]``:
    its gain) belongs to the module ``m`` with ``block_begin[m] <= k <
    block_end[m]``; within a module, block ``col * (rows // rows_per_block)
    + row // rows_per_block`` holds pixel ``(col, row)``.  An Offline block
    has a pedestal per pixel (``pedestal_codes[k, row % rows_per_block]``),
    a ForHLT block one for all its pixels (``pedestal_codes[k, 0]``).
    ``pedestal_counts`` and ``gain_counts`` are per-module code histograms
    (modules × 256), from which every distribution and mean follows exactly.
    """

    object_type: str
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
    pedestal_counts: I32
    gain_counts: I32
    #: the stored float steps (ForHLT), or None: computed from the ranges
    precisions: tuple[float, float] | None = None

    @property
    def rows(self) -> I64:
        """Pixel rows of each module."""
        return (
            (self.block_end - self.block_begin) // np.maximum(self.ncols, 1) * self.rows_per_block
        )

    @property
    def pedestal_per_pixel(self) -> bool:
        """Whether there is a pedestal per pixel (Offline) or per column block (ForHLT)."""
        return self.object_type == OFFLINE

    def _flags(self) -> npt.NDArray[np.bool_]:
        flagged = np.zeros(CODES, np.bool_)
        flagged[[self.dead_flag & 0xFF, self.noisy_flag & 0xFF]] = True
        return flagged

    def _decode(self, quantity: str, codes: npt.ArrayLike) -> F32:
        low, high = self.pedestal_range if quantity == "pedestal" else self.gain_range
        step = None
        if self.precisions is not None:  # the stored step, unless it is no step at all
            stored = self.precisions[0 if quantity == "pedestal" else 1]
            step = stored if np.isfinite(stored) and stored > 0 else None
        return decode_values(codes, low, high, self.nbins, step)

    def table(self, quantity: str) -> npt.NDArray[np.float64]:
        """The value of every code (NaN for the dead and noisy flags), as CMSSW decodes it."""
        values = self._decode(quantity, np.arange(CODES)).astype(np.float64)
        values[self._flags()] = np.nan
        return values

    def counts(self, quantity: str) -> I32:
        """Per-module code histograms of ``pedestal`` (pixels or blocks) or ``gain`` (blocks)."""
        return self.pedestal_counts if quantity == "pedestal" else self.gain_counts

    def pedestals(self) -> F32:
        """Every stored pedestal as ``getPed`` returns it (flagged ones decoded too).

        One per pixel (Offline) or per column block (ForHLT).
        """
        return self._decode("pedestal", self.pedestal_codes.ravel())

    def gains(self) -> F32:
        """Every column block's gain as ``getGain`` returns it (flagged blocks decoded too)."""
        return self._decode("gain", self.gain_codes)

    def dead_pixels(self) -> npt.NDArray[np.bool_]:
        """Pedestal codes that are the dead flag (blocks × pedestals a block)."""
        return np.equal(self.pedestal_codes, self.dead_flag & 0xFF)

    def dead_blocks(self) -> npt.NDArray[np.bool_]:
        """Column blocks whose gain code is the dead flag."""
        return np.equal(self.gain_codes, self.dead_flag & 0xFF)

    def module_means(self, quantity: str) -> tuple[npt.NDArray[np.float64], I64]:
        """``(mean value, entries)`` per module over its unflagged codes (NaN: none)."""
        counts = self.counts(quantity)
        table = self.table(quantity)
        live = ~np.isnan(table)
        entries = counts[:, live].sum(axis=1, dtype=np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.asarray((counts[:, live] @ table[live]) / entries, np.float64)
        return means, entries


def pixel_gains(payload: Any) -> PixelGains:
    """The unpacked gains of a decoded Offline or ForHLT payload (once per payload)."""
    object_type = str(payload.schema.object_type)
    return payload.derived(  # type: ignore[no-any-return]
        f"{object_type}.blocks", lambda: unpack(payload, object_type)
    )


def _module_histograms(codes: U8, counts: I64) -> I32:
    """Code histogram of each module's rows of ``codes`` (modules × 256), in bounded chunks.

    int32: a module has far fewer than 2**31 pixels.
    """
    out = np.zeros((counts.size, CODES), np.int32)
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


def unpack(payload: Mapping[str, Any], object_type: str | None = None) -> PixelGains:
    """Unpack a SiPixelGainCalibrationOffline or ForHLT payload's members.

    ``object_type`` names the class; by default it is ForHLT when the
    members hold ``pedPrecision`` (only that class has it), else Offline.
    See :func:`pixel_gains` for the cached form.
    """
    kind = object_type or (FOR_HLT if "pedPrecision" in payload else OFFLINE)
    indexes = payload["indexes"]
    r = int(payload["numberOfRowsToAverageOver_"])
    if r < 1:
        raise ValueError(f"numberOfRowsToAverageOver_ is {r}: a block needs rows")
    ncols = np.asarray(indexes["ncols"], np.int64)
    peds, gains, counts = _decode(
        BlockForm.of(kind, r), payload["v_pedestals"], indexes["ibegin"], indexes["iend"], ncols
    )
    end = np.cumsum(counts)
    precisions = None
    if kind == FOR_HLT:
        precisions = (float(payload["pedPrecision"]), float(payload["gainPrecision"]))
    return PixelGains(
        object_type=kind,
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
        precisions=precisions,
    )
