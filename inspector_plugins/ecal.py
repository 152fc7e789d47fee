"""Built-in drawers for EcalPedestals: barrel and endcap maps, histories, differences.

They read CMSSW's ``EcalCondObjectContainer<EcalPedestal>`` (``eb_.m_items``,
``ee_.m_items``: one EcalPedestal per crystal in hashed-index order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from inspector.drawers import Drawer, Param, ParamValue, drawer
from inspector.geometry.ecal import barrel_crystals, endcap_crystals
from inspector.payload import DecodedPayload
from inspector.plots import Histogram2D
from inspector.plugin import hookimpl

#: CondDB's name of ``EcalPedestals`` (CondFormats/EcalObjects/interface/EcalPedestals.h)
OBJECT_TYPE: Final = "EcalCondObjectContainer<EcalPedestal>"


def crystals(payload: DecodedPayload, part: str) -> np.ndarray[Any, Any]:
    """The ``EcalPedestal`` items of the barrel (``"EB"``) or endcap (``"EE"``), hashed order."""
    return np.asarray(payload["eb_" if part == "EB" else "ee_"]["m_items"])


UNIT: Final = "ADC counts"
GAINS: Final = ("x12", "x6", "x1")
_GAIN = Param.choice("gain", GAINS, help="amplification gain")
_QUANTITY = Param.choice("quantity", ("mean", "rms"), help="pedestal mean or its rms")


def member(params: Mapping[str, ParamValue]) -> str:
    """Record member of the chosen quantity and gain, e.g. ``mean_x12``."""
    return f"{params['quantity']}_{params['gain']}"


def barrel_grid(payload: DecodedPayload, name: str) -> np.ndarray[Any, Any]:
    """Barrel values on an (iφ 1..360) × (iη −85..85) grid, NaN at iη = 0."""
    ieta, iphi, _ = barrel_crystals()
    grid = np.full((360, 171), np.nan)
    grid[iphi - 1, ieta + 85] = np.asarray(crystals(payload, "EB")[name], dtype=np.float64)
    return grid


def endcap_grid(payload: DecodedPayload, name: str, side: int) -> np.ndarray[Any, Any]:
    """One endcap's values on the 100 × 100 (ix, iy) grid, NaN where no crystal."""
    zside, ix, iy, _ = endcap_crystals()
    values = np.asarray(crystals(payload, "EE")[name], dtype=np.float64)
    if values.size != zside.size:
        raise ValueError(f"endcap has {values.size} crystals, the layout {zside.size}")
    sel = zside == side
    grid = np.full((100, 100), np.nan)
    grid[ix[sel] - 1, iy[sel] - 1] = values[sel]
    return grid


def _barrel_map(grid: np.ndarray[Any, Any], title: str, z_label: str) -> Histogram2D:
    return Histogram2D(
        title=title,
        x_edges=np.arange(0.5, 361.0),
        y_edges=np.arange(-85.5, 86.0),
        values=grid,
        x_label="iφ",
        y_label="iη",
        z_label=z_label,
        z_unit=UNIT,
    )


@drawer(
    "ecal.pedestal_barrel_map",
    title="ECAL barrel pedestals (iη × iφ)",
    payload_types=OBJECT_TYPE,
    kind="single",
    unit=UNIT,
    params=[_GAIN, _QUANTITY],
)
def pedestal_barrel_map(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> Histogram2D:
    """Pedestal mean or rms of every barrel crystal at one gain."""
    name = member(params)
    return _barrel_map(barrel_grid(payload, name), f"EB pedestal {name}", name)


@drawer(
    "ecal.pedestal_endcap_map",
    title="ECAL endcap pedestals (ix × iy)",
    payload_types=OBJECT_TYPE,
    kind="single",
    unit=UNIT,
    params=[_GAIN, _QUANTITY, Param.choice("side", ("minus", "plus"))],
)
def pedestal_endcap_map(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> Histogram2D:
    """Pedestal mean or rms of every crystal of one endcap at one gain."""
    name = member(params)
    side = 1 if params["side"] == "plus" else -1
    return Histogram2D(
        title=f"EE{'+' if side > 0 else '-'} pedestal {name}",
        x_edges=np.arange(0.5, 101.0),
        y_edges=np.arange(0.5, 101.0),
        values=endcap_grid(payload, name, side),
        x_label="ix",
        y_label="iy",
        z_label=name,
        z_unit=UNIT,
    )


@drawer(
    "ecal.pedestal_history",
    title="Mean ECAL pedestal",
    payload_types=OBJECT_TYPE,
    kind="history",
    unit=UNIT,
    y_label="pedestal [ADC counts]",
    series=("EB", "EE"),
    params=[_GAIN, _QUANTITY],
)
def pedestal_history(
    payload: DecodedPayload, params: Mapping[str, ParamValue]
) -> dict[str, tuple[float, float]]:
    """Mean over barrel and endcap crystals, with the spread over crystals as error."""
    name = member(params)
    out = {}
    for part in ("EB", "EE"):
        v = np.asarray(crystals(payload, part)[name], dtype=np.float64)
        out[part] = (float(v.mean()), float(v.std())) if v.size else (np.nan, np.nan)
    return out


@drawer(
    "ecal.pedestal_difference_barrel",
    title="ECAL barrel pedestal difference",
    payload_types=OBJECT_TYPE,
    kind="compare",
    unit=UNIT,
    params=[_GAIN, _QUANTITY],
)
def pedestal_difference_barrel(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Histogram2D:
    """Second − first pedestal of every barrel crystal (iη × iφ)."""
    name = member(params)
    diff = barrel_grid(second, name) - barrel_grid(first, name)
    return _barrel_map(diff, f"EB {name}: {labels[1]} − {labels[0]}", f"Δ {name}")


@hookimpl
def register_drawers() -> list[Drawer]:
    """The ECAL pedestal drawers."""
    return [pedestal_barrel_map, pedestal_endcap_map, pedestal_history, pedestal_difference_barrel]
