"""Built-in drawers for Alignments (CMSSW AlignTransform members): module movements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from inspector.cmssw.alignment import columns
from inspector.drawers import Drawer, Param, ParamValue, drawer
from inspector.geometry import SIDED_PARTITIONS, partition_index
from inspector.payload import DecodedPayload
from inspector.plots import Histogram1D, Table
from inspector.plugin import hookimpl

from .partitions import PIXEL_PARTITIONS, STRIP_PARTITIONS, mask, module_row, partition_param

OBJECT_TYPE: Final = "Alignments"
PARTITIONS: Final = (*PIXEL_PARTITIONS, *STRIP_PARTITIONS)
CM_TO_UM: Final = 1e4
COORDINATES: Final = ("x", "y", "z", "phi")
#: The module a per-module history opens with: the first BPix layer-1 module of the payloads.
FIRST_MODULE: Final = 303042564


def deltas(first: DecodedPayload, second: DecodedPayload) -> dict[str, Any]:
    """Second − first per module present in both: Δx, Δy, Δz [µm], Δφ [µrad]."""
    a, b = columns(first), columns(second)
    ids, ia, ib = np.intersect1d(a["detid"], b["detid"], assume_unique=True, return_indices=True)
    only = int(a["detid"].size + b["detid"].size - 2 * ids.size)
    out: dict[str, Any] = {"detid": ids, "only_one": only}
    for c in ("x", "y", "z"):
        out[c] = (np.asarray(b[c])[ib] - np.asarray(a[c])[ia]) * CM_TO_UM
    phi_a = np.arctan2(np.asarray(a["y"])[ia], np.asarray(a["x"])[ia])
    phi_b = np.arctan2(np.asarray(b["y"])[ib], np.asarray(b["x"])[ib])
    out["phi"] = np.angle(np.exp(1j * (phi_b - phi_a))) * 1e6
    return out


def _unit(coordinate: str) -> str:
    return "µrad" if coordinate == "phi" else "µm"


def symbol(coordinate: str) -> str:
    """The change of a coordinate as physicists write it: Δx, Δy, Δz, Δφ (never "Δphi")."""
    return "Δφ" if coordinate == "phi" else f"Δ{coordinate}"


@drawer(
    "alignment.delta_distribution",
    title="Module movement distribution",
    payload_types=OBJECT_TYPE,
    kind="compare",
    params=[
        Param.choice("coordinate", COORDINATES),
        partition_param(PARTITIONS),
        Param.int("bins", 100, minimum=1, maximum=2000),
        Param.float("range", 100.0, minimum=0.001, help="half-width of the histogram [µm or µrad]"),
    ],
)
def delta_distribution(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Histogram1D:
    """Distribution of Δx, Δy, Δz or Δφ (second − first) over modules."""
    d = deltas(first, second)
    c, partition = str(params["coordinate"]), str(params["partition"])
    sel = mask(d["detid"], partition)
    half = float(params["range"])
    notes = [f"{d['only_one']} modules are present in only one input"] if d["only_one"] else []
    return Histogram1D.from_values(
        d[c][sel],
        int(params["bins"]),
        (-half, half),
        title=f"{symbol(c)} ({partition}): {labels[1]} − {labels[0]}",
        x_label=symbol(c),
        x_unit=_unit(c),
        y_label="modules",
        notes=notes,
    )


@drawer(
    "alignment.delta_summary",
    title="Module movements per sub-detector",
    payload_types=OBJECT_TYPE,
    kind="compare",
)
def delta_summary(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Table:
    """Mean and RMS of Δx, Δy, Δz [µm] and Δφ [µrad] per sub-detector, endcaps by side.

    FPix, TID and TEC are split into their − and + sides: the two endcaps
    are separate structures that often move in opposite directions, which a
    merged mean would cancel. A chart of mean ± RMS per partition comes with
    the table.
    """
    # The side is the DetId's side field, 1 for z < 0, as CMSSW's
    # DataFormats/TrackerCommon/interface/TrackerTopology.h reads it
    # (tecIsZMinusSide: tecSide(id) == 1; likewise tidSide, pxfSide).
    d = deltas(first, second)
    index = partition_index(d["detid"], sides=True)
    known = index >= 0
    groups, n = index[known], len(SIDED_PARTITIONS)
    modules = np.bincount(groups, minlength=n)
    present = modules > 0
    columns: dict[str, Any] = {
        "partition": np.asarray(SIDED_PARTITIONS)[present],
        "modules": modules[present],
    }
    units: dict[str, str] = {}
    bars: dict[str, str] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in COORDINATES:
            v = np.asarray(d[c], dtype=np.float64)[known]
            mean, rms = f"mean {symbol(c)}", f"rms {symbol(c)}"
            columns[mean] = (np.bincount(groups, v, n) / modules)[present]
            columns[rms] = np.sqrt(np.bincount(groups, v**2, n) / modules)[present]
            units[mean] = units[rms] = _unit(c)
            bars[mean] = rms
    return Table(
        title=f"Movements {labels[1]} − {labels[0]}",
        columns=columns,
        units=units,
        bars=bars,
    )


@drawer(
    "alignment.mean_position_history",
    title="Mean module position",
    payload_types=OBJECT_TYPE,
    kind="history",
    unit="µm",
    y_label="mean position [µm]",
    series=("x", "y", "z"),
    params=[partition_param(PARTITIONS, "BPix")],
)
def mean_position_history(
    payload: DecodedPayload, params: Mapping[str, ParamValue]
) -> dict[str, float]:
    """Mean x, y, z of the modules of one partition: coherent movements show up."""
    modules = columns(payload)
    sel = mask(modules["detid"], str(params["partition"]))
    return {
        c: float(np.asarray(modules[c])[sel].mean() * CM_TO_UM) if sel.any() else np.nan
        for c in ("x", "y", "z")
    }


@drawer(
    "alignment.module_position_history",
    title="Position of one module",
    payload_types=OBJECT_TYPE,
    kind="history",
    series=("position",),
    params=[
        Param.choice("coordinate", COORDINATES, help="x, y, z [µm] or φ [µrad]"),
        Param.module(FIRST_MODULE),
    ],
)
def module_position_history(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> float:
    """Global x, y, z [µm] or azimuth φ [µrad] of one module, per IOV.

    The per-DetId view of CMS PI: the y axis spans the module's own range,
    so movements of a few µm show on a position of tens of centimetres. An
    IOV whose payload lacks the module has no value.
    """
    modules = columns(payload)
    row = module_row(modules["detid"], int(params["detid"]))
    if row is None:
        return float("nan")
    x, y = float(modules["x"][row]), float(modules["y"][row])
    coordinate = str(params["coordinate"])
    if coordinate == "phi":
        return float(np.arctan2(y, x) * 1e6)
    return float(modules[coordinate][row]) * CM_TO_UM


@hookimpl
def register_drawers() -> list[Drawer]:
    """The alignment drawers."""
    return [delta_distribution, delta_summary, mean_position_history, module_position_history]
