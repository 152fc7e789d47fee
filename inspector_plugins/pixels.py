"""Built-in drawers for the pixel gain calibrations: SiPixelGainCalibrationForHLT and Offline.

They read CMSSW's members (``v_pedestals`` codes, ``indexes``, the code
ranges, ``nBinsToUseForEncoding_`` and the flags), unpacked once per payload
by :mod:`inspector.cmssw.pixels`, and decode codes as ``getGain`` /
``getPed`` do.  What one entry is:

- **gain**: one per column block, the column of one readout chip
  (``numberOfRowsToAverageOver_`` rows, 80), in both classes;
- **pedestal**: one per column block for ForHLT, one per *pixel* for
  Offline (its per-pixel pedestals, as stored; not averaged first).

Codes carrying the dead or noisy flag are not values: they are left out of
distributions (a note counts them) and of means; a module with no unflagged
code has no mean (NaN, grey on a map).  Everything is computed from the
per-module code histograms, so a distribution over the 123 million
pedestals of an Offline payload costs no more than one over the 1.5 million
blocks of an HLT one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.cmssw.pixel_gains import PixelGains, pixel_gains
from inspector.cmssw.pixels import FOR_HLT, OFFLINE
from inspector.drawers import Drawer, Param, ParamValue, drawer
from inspector.payload import DecodedPayload
from inspector.plots import Histogram1D
from inspector.plugin import hookimpl

from .partitions import PIXEL_PARTITIONS, codes, grouped_mean, mask, module_row, partition_param

#: The payload types the pixel drawers read.
OBJECT_TYPES: Final = (FOR_HLT, OFFLINE)
UNITS: Final = {"gain": "ADC/VCAL", "pedestal": "ADC counts"}
#: The module a per-module history opens with: the first BPix layer-1 module of the payloads.
FIRST_PIXEL_MODULE: Final = 303042564


def entries_label(gains: PixelGains, quantity: str) -> str:
    """What one entry of ``quantity`` is: a pixel or a column block (the column of a ROC)."""
    return "pixels" if quantity == "pedestal" and gains.pedestal_per_pixel else "ROC columns"


def code_counts(
    gains: PixelGains, quantity: str, partition: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """``(value of each code, entries with that code)`` over the modules of ``partition``.

    Flagged codes are in it with the value NaN.
    """
    counts = gains.counts(quantity)
    if partition != "all":
        counts = counts[mask(gains.detid, partition)]
    return gains.table(quantity), counts.sum(axis=0, dtype=np.int64)


def values_histogram(
    gains: PixelGains, quantity: str, partition: str, bins: int, window: tuple[float, float]
) -> Histogram1D:
    """The histogram of every unflagged value, from the code counts (exact)."""
    table, counts = code_counts(gains, quantity, partition)
    flagged = np.isnan(table)
    live, weights = table[~flagged], counts[~flagged].astype(np.float64)
    hist, edges = np.histogram(live, bins=bins, range=window, weights=weights)
    what = entries_label(gains, quantity)
    dead = int(counts[gains.dead_flag & 0xFF])
    noisy = int(counts[gains.noisy_flag & 0xFF])
    notes = (f"{dead} dead and {noisy} noisy {what} (flagged codes) are not shown",)
    return Histogram1D(
        edges=edges,
        counts=hist,
        underflow=float(weights[live < edges[0]].sum()),
        overflow=float(weights[live > edges[-1]].sum()),
        title=f"Pixel {quantity} per {what[:-1]} ({partition})",
        x_label=quantity,
        x_unit=UNITS[quantity],
        y_label=what,
        notes=notes if dead or noisy else (),
    )


def module_means(
    payload: DecodedPayload, quantity: str
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """``(detids, mean over unflagged entries, entries)`` per module."""
    gains = pixel_gains(payload)
    means, entries = gains.module_means(quantity)
    return gains.detid, means, entries


def _distribution(quantity: str, default_range: tuple[float, float]) -> Drawer:
    def draw(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> Histogram1D:
        return values_histogram(
            pixel_gains(payload),
            quantity,
            str(params["partition"]),
            int(params["bins"]),
            (float(params["low"]), float(params["high"])),
        )

    per = "column of each readout chip" if quantity == "gain" else "column block (or pixel)"
    draw.__doc__ = f"Distribution of the {quantity} of every {per} of one IOV."
    return drawer(
        f"pixels.{quantity}_distribution",
        title=f"Pixel {quantity} distribution",
        payload_types=OBJECT_TYPES,
        kind="single",
        unit=UNITS[quantity],
        params=[
            partition_param(PIXEL_PARTITIONS),
            Param.int("bins", 100, minimum=1, maximum=2000),
            Param.float("low", default_range[0]),
            Param.float("high", default_range[1]),
        ],
    )(draw)


@drawer(
    "pixels.mean_history",
    title="Mean pixel gain or pedestal",
    payload_types=OBJECT_TYPES,
    kind="history",
    series=PIXEL_PARTITIONS,
    params=[Param.choice("quantity", ("gain", "pedestal"))],
)
def mean_history(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> dict[str, float]:
    """Mean gain (or pedestal) over the unflagged entries of BPix and of FPix."""
    detid, means, entries = module_means(payload, str(params["quantity"]))
    return grouped_mean(
        np.where(entries > 0, means, 0.0),
        entries.astype(np.float64),
        codes(detid),
        PIXEL_PARTITIONS,
    )


@drawer(
    "pixels.module_history",
    title="Gain or pedestal of one pixel module",
    payload_types=OBJECT_TYPES,
    kind="history",
    series=("mean",),
    params=[Param.choice("quantity", ("gain", "pedestal")), Param.module(FIRST_PIXEL_MODULE)],
)
def module_history(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> float:
    """Mean gain (or pedestal) over the unflagged entries of one pixel module, per IOV.

    The per-DetId view of CMS PI. An IOV whose payload lacks the module, or
    whose entries of it are all flagged dead or noisy, has no value.
    """
    detid, means, entries = module_means(payload, str(params["quantity"]))
    row = module_row(detid, int(params["detid"]))
    return float(means[row]) if row is not None and entries[row] > 0 else float("nan")


gain_distribution = _distribution("gain", (0.0, 6.0))
pedestal_distribution = _distribution("pedestal", (0.0, 60.0))


@hookimpl
def register_drawers() -> list[Drawer]:
    """The pixel calibration drawers."""
    return [gain_distribution, pedestal_distribution, mean_history, module_history]
