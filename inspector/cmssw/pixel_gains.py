"""A pixel gain payload unpacked once: code blocks per module and per-module code histograms.

What drawers read of a SiPixelGainCalibrationOffline or ForHLT payload,
built from the codec of :mod:`inspector.cmssw.pixels` and memoised with the
decoded payload, so every distribution, mean and map of one payload
unpacks it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from inspector.cmssw.pixels import (
    CODES,
    F32,
    FOR_HLT,
    I32,
    I64,
    OFFLINE,
    U8,
    BlockForm,
    decode_payload_blocks,
    decode_values,
)

__all__ = ["PixelGains", "pixel_gains", "unpack"]


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
    peds, gains, counts = decode_payload_blocks(
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
