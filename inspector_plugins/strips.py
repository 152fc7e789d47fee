"""Built-in drawers for SiStripNoises: distributions, histories, comparisons.

They read CMSSW's SiStripNoises members (``v_noises`` packed 9-bit codes and
``indexes``), unpacked once per payload by :mod:`inspector.cmssw.strips`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from inspector.cmssw.strips import NOISE_SCALE, strip_noises
from inspector.drawers import Drawer, Param, ParamValue, drawer
from inspector.payload import DecodedPayload
from inspector.plots import Histogram1D
from inspector.plots.numbers import robust_range
from inspector.plugin import hookimpl

from .partitions import (
    STRIP_PARTITIONS,
    codes,
    grouped_mean,
    mask,
    module_row,
    partition_param,
)
from .ranges import bound_param, optional_range

OBJECT_TYPE: Final = "SiStripNoises"
UNIT: Final = "ADC counts"
#: The ratio histogram's data-driven range: these quantiles, widened by RATIO_PAD × their span.
RATIO_TAIL: Final = 0.005
RATIO_PAD: Final = 0.25
#: The module a per-module history opens with: the first TIB module of the tracker.
FIRST_STRIP_MODULE: Final = 369120277


def strip_noise(payload: DecodedPayload, partition: str) -> np.ndarray[Any, Any]:
    """Per-strip noise (ADC counts) of the modules in ``partition``."""
    table = strip_noises(payload)
    noise = table.noise()  # float64: exact decimal steps, no narrowing needed
    if partition == "all":
        return noise
    return noise[np.repeat(mask(table.detid, partition), table.strips)]


def module_means(payload: DecodedPayload) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(detids, mean noise per module), vectorised over ranges."""
    table = strip_noises(payload)
    return table.detid, table.module_means()


@drawer(
    "strips.noise_distribution",
    title="Strip noise distribution",
    payload_types=OBJECT_TYPE,
    kind="single",
    unit=UNIT,
    params=[
        partition_param(STRIP_PARTITIONS),
        Param.int("bins", 100, minimum=1, maximum=2000),
        Param.float("max", 15.0, minimum=0.1, help="upper edge [ADC counts]"),
    ],
)
def noise_distribution(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> Histogram1D:
    """Noise of every strip of one IOV, for the whole tracker or one partition."""
    partition = str(params["partition"])
    return Histogram1D.from_values(
        strip_noise(payload, partition),
        int(params["bins"]),
        (0.0, float(params["max"])),
        title=f"Strip noise ({partition})",
        x_label="noise",
        x_unit=UNIT,
        y_label="strips",
    )


@drawer(
    "strips.mean_noise_history",
    title="Mean strip noise per sub-detector",
    payload_types=OBJECT_TYPE,
    kind="history",
    unit=UNIT,
    y_label="mean noise [ADC]",
    series=STRIP_PARTITIONS,
)
def mean_noise_history(
    payload: DecodedPayload, params: Mapping[str, ParamValue]
) -> dict[str, float]:
    """Mean noise of all strips of TIB, TID, TOB and TEC."""
    table = strip_noises(payload)
    return grouped_mean(
        table.module_means(), table.strips.astype(np.float64), codes(table.detid), STRIP_PARTITIONS
    )


@drawer(
    "strips.bad_strips_history",
    title="Dead and noisy strips",
    payload_types=OBJECT_TYPE,
    kind="history",
    unit="strips",
    y_label="strips",
    series=("dead", "noisy"),
    params=[
        Param.float(
            "threshold", 15.0, minimum=0.1, help="noise above which a strip counts as noisy [ADC]"
        )
    ],
)
def bad_strips_history(
    payload: DecodedPayload, params: Mapping[str, ParamValue]
) -> dict[str, float]:
    """Number of strips with zero noise (dead) and above the threshold (noisy)."""
    codes_ = strip_noises(payload).codes
    limit = float(params["threshold"]) / NOISE_SCALE
    return {
        "dead": float(np.count_nonzero(codes_ == 0)),
        "noisy": float(np.count_nonzero(codes_ > limit)),
    }


@drawer(
    "strips.noise_ratio",
    title="Strip noise ratio per module",
    payload_types=OBJECT_TYPE,
    kind="compare",
    unit="ratio",
    params=[
        partition_param(STRIP_PARTITIONS),
        Param.int("bins", 100, minimum=1, maximum=2000),
        bound_param("low", "lower edge of the histogram"),
        bound_param("high", "upper edge of the histogram"),
    ],
)
def noise_ratio(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Histogram1D:
    """Mean module noise of the second input divided by the first, per module.

    Without ``low``/``high`` the range is the data's 0.5–99.5 % quantiles
    widened by a quarter of their span on each side: real ratios sit within a
    few per cent of 1, and a fixed 0.5–1.5 would put them all in a few bins.
    The rest goes to under/overflow, counted in the title.
    """
    ids1, m1 = module_means(first)
    ids2, m2 = module_means(second)
    common, i1, i2 = np.intersect1d(ids1, ids2, assume_unique=True, return_indices=True)
    keep = mask(common, str(params["partition"])) & (m1[i1] > 0) & (m2[i2] > 0)
    ratio = m2[i2][keep] / m1[i1][keep]
    skipped = int(common.size - np.count_nonzero(keep))
    notes = (
        [
            f"{skipped} modules without noise in one input (dead) or outside the partition "
            "are not counted"
        ]
        if skipped
        else []
    )
    only = int(ids1.size + ids2.size - 2 * common.size)
    if only:
        notes.append(f"{only} modules are present in only one of the two inputs")
    return Histogram1D.from_values(
        ratio,
        int(params["bins"]),
        _ratio_range(params, ratio),
        title=f"Noise ratio {labels[1]} / {labels[0]}",
        x_label="noise ratio",
        y_label="modules",
        notes=notes,
    )


def _ratio_range(
    params: Mapping[str, ParamValue], ratio: np.ndarray[Any, Any]
) -> tuple[float, float]:
    """The chosen range, else a robust one from the data, else 1 ± 0.05 (too few modules)."""
    chosen = optional_range(params, "a fixed histogram range")
    if chosen is not None:
        return chosen
    return robust_range(ratio, tail=RATIO_TAIL, pad=RATIO_PAD) or (0.95, 1.05)


@drawer(
    "strips.module_noise_history",
    title="Noise of one strip module",
    payload_types=OBJECT_TYPE,
    kind="history",
    unit=UNIT,
    y_label="noise [ADC counts]",
    series=("noise",),
    params=[Param.module(FIRST_STRIP_MODULE)],
)
def module_noise_history(
    payload: DecodedPayload, params: Mapping[str, ParamValue]
) -> tuple[float, float]:
    """Mean noise of one module's strips, with their RMS about it as error, per IOV.

    The per-DetId view of CMS PI: what the noise map shows for one module,
    over the tag (a dead module drops to 0). An IOV whose payload lacks the
    module, or a module without strips, has no value.
    """
    table = strip_noises(payload)
    row = module_row(table.detid, int(params["detid"]))
    if row is None or table.end[row] == table.begin[row]:
        return float("nan"), float("nan")
    noise = table.codes[table.begin[row] : table.end[row]] / 10.0
    return float(noise.mean()), float(noise.std())


@hookimpl
def register_drawers() -> list[Drawer]:
    """The strip noise drawers."""
    return [
        noise_distribution,
        mean_noise_history,
        bad_strips_history,
        noise_ratio,
        module_noise_history,
    ]
