"""Built-in detector map drawers: tracker and pixel-barrel maps of per-module values.

Each drawer reduces its payload(s) to one number per module (vectorised over
the modules' index ranges) and hands ids and values to
:func:`inspector.geometry.detector_map`, which places them on the layout by id
and notes what did not fit. So the drawers here never deal with polygons, and
every map counts and reports missing modules the same way.

Choices worth knowing:

- **Partitions grey out, they do not crop.** A ``partition`` keeps the whole
  tracker map and greys the modules outside it, so a selection is seen in
  its place in the detector.
- **The noise ratio is drawn as ratio − 1**, with the diverging colour map
  (which is centred on zero): unchanged modules are white, noisier ones red,
  quieter ones blue, and the hover value reads directly as a relative
  change (0.03 = 3 % noisier). A ratio centred on 1 would need a colour map
  the renderers do not have, for no gain in what the map shows.
- **Optional colour scales.** ``low``/``high`` are text parameters whose
  empty default means "from the data" (a float parameter cannot be absent);
  they are parsed and checked by :mod:`.ranges`, naming the parameter. ``range`` (the
  symmetric half-width of a difference map) uses 0 for "from the data",
  since a zero half-width means nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.cmssw.alignment import columns
from inspector.cmssw.strips import strip_noises
from inspector.drawers import Drawer, Param, ParamValue, drawer
from inspector.geometry import detector_map, partition_mask
from inspector.geometry.detid import layer as detid_layer
from inspector.geometry.maps import checked_ids
from inspector.payload import DecodedPayload
from inspector.plots import DetectorMap
from inspector.plugin import hookimpl

from .alignment import COORDINATES, deltas, symbol
from .alignment import OBJECT_TYPE as ALIGNMENT
from .pixels import OBJECT_TYPES as PIXEL_GAINS
from .pixels import UNITS as PIXEL_UNITS
from .pixels import module_means as pixel_module_means
from .ranges import bound_param, optional_range
from .strips import OBJECT_TYPE as STRIP_NOISES
from .strips import UNIT as NOISE_UNIT

TRACKER_MAP: Final = "tracker_map"
BPIX_LAYERS: Final = 4
#: Strip sub-detectors, and the endcaps by side, as map filters.
STRIP_MAP_PARTITIONS: Final = ("TIB", "TID", "TOB", "TEC", "TID-", "TID+", "TEC-", "TEC+")
VALUE_DTYPE: Final[np.dtype[np.float64]] = np.dtype("<f8")
#: The flag of modules with noise 0 (listed under the map, ``DetectorMap.flagged``).
DEAD: Final = "dead"

_PARTITION: Final = Param.choice(
    "partition",
    ("all", *STRIP_MAP_PARTITIONS),
    help="grey out the modules outside one strip sub-detector (or endcap side)",
)


_LOW: Final = bound_param("low", "lower end of the colour scale")
_HIGH: Final = bound_param("high", "upper end of the colour scale")


def _half_width_param(unit: str) -> Param:
    """The symmetric half-width of a difference map's colour scale; 0 means automatic."""
    return Param.float(
        "range",
        0.0,
        minimum=0.0,
        help=f"half-width of the colour scale around 0{unit}; 0: from the data",
    )


# --------------------------------------------------------------------------- parameters


def colour_range(params: Mapping[str, ParamValue]) -> tuple[float, float] | None:
    """A fixed colour scale from ``low`` and ``high``, or ``None`` (from the data)."""
    return optional_range(params, "a fixed colour scale")


def symmetric_range(params: Mapping[str, ParamValue]) -> tuple[float, float] | None:
    """``(-range, +range)``, or ``None`` (from the data) for the default 0."""
    half = float(params["range"])
    return (-half, half) if half > 0 else None


# --------------------------------------------------------------------------- reductions


def module_noise(
    payload: DecodedPayload, which: str
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64]]:
    """Checked module ids and their mean strip noise [ADC counts] (0 for a dead module).

    The mean runs on the integer noise codes (exact sums) and is converted
    once, since the declared conversion is linear.
    """
    table = strip_noises(payload)
    return checked_ids(table.detid, what=f"module ids of {which}"), table.module_means()


def _no_value_note(count: int, reason: str) -> list[str]:
    """A drawer's own note, only when something is affected."""
    if not count:
        return []
    modules = "module" if count == 1 else "modules"
    return [f"{count:,} {modules} {reason}"]


# --------------------------------------------------------------------------- drawers


@drawer(
    "maps.strip_noise",
    title="Strip noise map",
    payload_types=STRIP_NOISES,
    kind="single",
    unit=NOISE_UNIT,
    params=[_PARTITION, _LOW, _HIGH],
)
def strip_noise(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> DetectorMap:
    """Mean strip noise of every strip module on the tracker map, for one IOV.

    Dead modules (noise 0) keep their 0, at the bottom of the scale, and are
    counted in a note; pixel modules have no noise and are grey.
    """
    value_range = colour_range(params)
    partition = str(params["partition"])
    ids, means = module_noise(payload, "the payload")
    dead_ids = ids[means == 0]
    dead = int(np.count_nonzero(partition_mask(dead_ids, partition)))
    where = "" if partition == "all" else f" ({partition})"
    return detector_map(
        TRACKER_MAP,
        ids,
        means,
        title=f"Mean strip noise per module{where}",
        value_label="mean noise",
        value_unit=NOISE_UNIT,
        value_range=value_range,
        partition=partition,
        notes=_no_value_note(dead, "dead (noise 0)"),
        flagged={DEAD: dead_ids},
    )


@drawer(
    "maps.strip_noise_ratio",
    title="Strip noise ratio map",
    payload_types=STRIP_NOISES,
    kind="compare",
    params=[_PARTITION, _half_width_param(" (0.05: ±5 %)")],
)
def strip_noise_ratio(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> DetectorMap:
    """Mean module noise of the second input over the first, minus 1, on the tracker map.

    0 (white) is unchanged, +0.03 is 3 % noisier. Modules dead in either
    input (noise 0) have no ratio and are grey, as are modules present in
    only one input; notes count both.
    """
    ids1, m1 = module_noise(first, "the first input")
    ids2, m2 = module_noise(second, "the second input")
    common, i1, i2 = np.intersect1d(ids1, ids2, assume_unique=True, return_indices=True)
    a = np.asarray(m1[i1], dtype=VALUE_DTYPE)
    b = np.asarray(m2[i2], dtype=VALUE_DTYPE)
    alive = (a > 0) & (b > 0)  # also false for NaN (a module without strips)
    change = np.full(common.size, np.nan, dtype=VALUE_DTYPE)
    np.divide(b, a, out=change, where=alive)
    change -= 1.0
    partition = str(params["partition"])
    dead = int(np.count_nonzero(~alive & partition_mask(common, partition)))
    dead_ids = common[~alive & (np.isfinite(a) & np.isfinite(b))]
    only_one = ids1.size + ids2.size - 2 * common.size
    notes = [
        *_no_value_note(dead, "dead (noise 0) in the first or second input: no ratio (grey)"),
        *_no_value_note(only_one, "are in only one of the two inputs: no ratio"),
    ]
    return detector_map(
        TRACKER_MAP,
        common,
        change,
        title=f"Strip noise {labels[1]} / {labels[0]} − 1",
        value_label="noise ratio − 1",
        value_unit="",
        value_range=symmetric_range(params),
        diverging=True,
        partition=partition,
        notes=notes,
        flagged={DEAD: dead_ids},
    )


@drawer(
    "maps.alignment_delta",
    title="Module movement map",
    payload_types=ALIGNMENT,
    kind="compare",
    params=[
        Param.choice("coordinate", COORDINATES, help="Δx, Δy, Δz [µm] or Δφ [µrad]"),
        _PARTITION,
        _half_width_param(" [µm or µrad]"),
    ],
)
def alignment_delta(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> DetectorMap:
    """Δx, Δy, Δz [µm] or Δφ [µrad] (second − first) of every strip module on the tracker map.

    Δφ is the change of the module position's azimuth, as in
    ``alignment.delta_distribution``. The tracker map draws the older pixel
    detector, so Phase-1 pixel modules have no polygon (a note counts them).
    """
    checked_ids(columns(first)["detid"], what="module ids of the first input")
    checked_ids(columns(second)["detid"], what="module ids of the second input")
    moved = deltas(first, second)
    coordinate = str(params["coordinate"])
    unit = "µrad" if coordinate == "phi" else "µm"
    change = symbol(coordinate)
    return detector_map(
        TRACKER_MAP,
        moved["detid"],
        np.asarray(moved[coordinate], dtype=VALUE_DTYPE),
        title=f"{change}: {labels[1]} − {labels[0]}",
        value_label=change,
        value_unit=unit,
        value_range=symmetric_range(params),
        diverging=True,
        partition=str(params["partition"]),
        notes=_no_value_note(int(moved["only_one"]), "are in only one of the two inputs"),
    )


@drawer(
    "maps.pixel_barrel",
    title="Pixel barrel map",
    payload_types=PIXEL_GAINS,
    kind="single",
    params=[
        Param.choice("quantity", ("gain", "pedestal")),
        Param.int("layer", 1, minimum=1, maximum=BPIX_LAYERS, help="BPix layer (1 innermost)"),
        _LOW,
        _HIGH,
    ],
)
def pixel_barrel(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> DetectorMap:
    """Mean gain or pedestal over the columns of each module of one BPix layer.

    Column blocks (or Offline pixels) flagged dead or noisy are left out of
    the mean; a module with nothing else has no value (grey). Only the
    modules of the chosen layer are handed to the map, so a "no polygon"
    note means a real mismatch, not the other layers.
    """
    value_range = colour_range(params)
    quantity, layer = str(params["quantity"]), int(params["layer"])
    detid, means, _ = pixel_module_means(payload, quantity)
    ids = checked_ids(detid, what="module ids of the payload")
    on_layer = partition_mask(ids, "BPix") & (np.asarray(detid_layer(ids)) == layer)
    return detector_map(
        f"bpix_layer{layer}",
        ids[on_layer],
        np.asarray(means[on_layer], dtype=VALUE_DTYPE),
        title=f"BPix layer {layer}: mean {quantity} per module",
        value_label=f"mean {quantity}",
        value_unit=PIXEL_UNITS[quantity],
        value_range=value_range,
    )


@hookimpl
def register_drawers() -> list[Drawer]:
    """The detector map drawers."""
    return [strip_noise, strip_noise_ratio, alignment_delta, pixel_barrel]
