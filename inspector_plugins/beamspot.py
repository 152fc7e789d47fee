"""Built-in drawers for BeamSpotObjects: histories with errors and tables.

They read CMSSW's ``BeamSpotObjects`` members (``payload_schemas/BeamSpotObjects.archive.toml``),
so they draw real CMS beam spot tags as well as the demo's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from inspector.drawers import Drawer, ParamValue, drawer
from inspector.payload import DecodedPayload
from inspector.plots import Table
from inspector.plugin import hookimpl

OBJECT_TYPE: Final = "BeamSpotObjects"
CM_TO_UM: Final = 1e4

#: name → (title, unit, index in the covariance or None)
QUANTITIES: Final = {
    "x": ("x", "cm", 0),
    "y": ("y", "cm", 1),
    "z": ("z", "cm", 2),
    "sigma_z": ("σz", "cm", 3),
    "dxdz": ("dx/dz", "rad", 4),
    "dydz": ("dy/dz", "rad", 5),
    "width_x": ("width x", "µm", None),
    "width_y": ("width y", "µm", None),
}


def quantities(payload: DecodedPayload) -> dict[str, tuple[float, float]]:
    """Every beam spot quantity as (value, error), from CMSSW's BeamSpotObjects members.

    Errors of the position, σz and slopes are the covariance diagonal
    (``BeamSpotObjects::GetXError`` ...); the width errors are the stored
    ``beamwidthXError_`` / ``beamwidthYError_``.
    """
    cov = np.asarray(payload["covariance_"], dtype=np.float64)
    errors = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    x, y, z = (float(v) for v in np.asarray(payload["position_"], dtype=np.float64))
    values = {
        "x": x,
        "y": y,
        "z": z,
        "sigma_z": float(payload["sigmaZ_"]),
        "dxdz": float(payload["dxdz_"]),
        "dydz": float(payload["dydz_"]),
    }
    out = {name: (value, float(errors[QUANTITIES[name][2] or 0])) for name, value in values.items()}
    out["width_x"] = (
        float(payload["beamwidthX_"]) * CM_TO_UM,
        float(payload["beamwidthXError_"]) * CM_TO_UM,
    )
    out["width_y"] = (
        float(payload["beamwidthY_"]) * CM_TO_UM,
        float(payload["beamwidthYError_"]) * CM_TO_UM,
    )
    return out


def _history(name: str) -> Drawer:
    title, unit, _ = QUANTITIES[name]

    def reduce(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> tuple[float, float]:
        return quantities(payload)[name]

    reduce.__doc__ = f"Beam spot {title} with its fit error, per IOV."
    return drawer(
        f"beamspot.{'position_' + name if name in 'xyz' else name}",
        title=f"Beam spot {title}",
        payload_types=OBJECT_TYPE,
        kind="history",
        unit=unit,
        y_label=f"{title} [{unit}]",
        series=[name],
    )(reduce)


@drawer(
    "beamspot.width",
    title="Beam spot transverse widths",
    payload_types=OBJECT_TYPE,
    kind="history",
    unit="µm",
    y_label="width [µm]",
    series=["width_x", "width_y"],
)
def width(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> dict[str, Any]:
    """Beam widths in x and y with errors, per IOV."""
    q = quantities(payload)
    return {"width_x": q["width_x"], "width_y": q["width_y"]}


@drawer(
    "beamspot.slopes",
    title="Beam spot slopes",
    payload_types=OBJECT_TYPE,
    kind="history",
    unit="rad",
    y_label="slope [rad]",
    series=["dxdz", "dydz"],
)
def slopes(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> dict[str, Any]:
    """Beam line slopes dx/dz and dy/dz with errors, per IOV."""
    q = quantities(payload)
    return {"dxdz": q["dxdz"], "dydz": q["dydz"]}


@drawer(
    "beamspot.parameters", title="Beam spot parameters", payload_types=OBJECT_TYPE, kind="single"
)
def parameters(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> Table:
    """All beam spot parameters of one IOV with their errors."""
    q = quantities(payload)
    return Table(
        title="Beam spot parameters",
        columns={
            "parameter": np.array([QUANTITIES[n][0] for n in q]),
            "value": np.array([v for v, _ in q.values()]),
            "error": np.array([e for _, e in q.values()]),
            "unit": np.array([QUANTITIES[n][1] for n in q]),
        },
    )


@drawer(
    "beamspot.compare",
    title="Beam spot parameters: two IOVs or tags",
    payload_types=OBJECT_TYPE,
    kind="compare",
)
def compare(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Table:
    """Parameters of two beam spots side by side, with second − first in σ."""
    a, b = quantities(first), quantities(second)
    va, ea = np.array([v for v, _ in a.values()]), np.array([e for _, e in a.values()])
    vb, eb = np.array([v for v, _ in b.values()]), np.array([e for _, e in b.values()])
    sigma = np.hypot(ea, eb)
    with np.errstate(divide="ignore", invalid="ignore"):
        pull = np.where(sigma > 0, (vb - va) / sigma, np.nan)
    return Table(
        title=f"Beam spot: {labels[0]} vs {labels[1]}",
        columns={
            "parameter": np.array([QUANTITIES[n][0] for n in a]),
            labels[0]: va,
            labels[1]: vb,
            "difference": vb - va,
            "difference / σ": pull,
            "unit": np.array([QUANTITIES[n][1] for n in a]),
        },
        # The pulls share one scale (σ) whatever each parameter's unit: chart them.
        bars={"difference / σ": ""},
    )


DRAWERS: Final = [
    *(_history(n) for n in ("x", "y", "z", "sigma_z")),
    width,
    slopes,
    parameters,
    compare,
]


@hookimpl
def register_drawers() -> list[Drawer]:
    """The beam spot drawers."""
    return list(DRAWERS)
