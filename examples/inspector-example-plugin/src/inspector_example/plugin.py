"""The example plugin: two drawers and one payload layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inspector import Histogram1D, Param, drawer, hookimpl


@drawer(
    "example.beamspot_radius",
    title="Beam spot transverse radius",
    payload_types=["BeamSpotObjects"],
    kind="history",
    unit="µm",
    y_label="radius [µm]",
    series=["radius"],
)
def beamspot_radius(payload, params):
    """Distance of the beam spot from the nominal beam line, in µm."""
    x, y = (float(v) for v in payload["position_"][:2])  # CMSSW's BeamSpotObjects::position_
    return float(np.hypot(x, y) * 1e4)


@drawer(
    "example.temperatures",
    title="Module temperatures",
    payload_types=["ExampleTemperatures"],
    kind="single",
    unit="°C",
    params=[Param.int("bins", 20, minimum=1, maximum=200)],
)
def temperatures(payload, params):
    """Histogram of the temperature of every module."""
    return Histogram1D.from_values(
        payload.physical("celsius"),
        params["bins"],
        title="Module temperatures",
        x_label="temperature",
        x_unit="°C",
        y_label="modules",
    )


@hookimpl
def register_drawers():
    return [beamspot_radius, temperatures]


@hookimpl
def register_payload_schemas():
    return [Path(__file__).parent / "schemas"]
