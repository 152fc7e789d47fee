"""Built-in drawers for SiPixelGainCalibration: gain and pedestal per column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from inspector.drawers import Drawer, Param, ParamValue, drawer
from inspector.payload import DecodedPayload
from inspector.plots import Histogram1D
from inspector.plugin import hookimpl

from .partitions import PIXEL_PARTITIONS, codes, grouped_mean, mask, partition_param

OBJECT_TYPE: Final = "SiPixelGainCalibration"
UNITS: Final = {"gain": "ADC/VCAL", "pedestal": "ADC counts"}


def column_values(payload: DecodedPayload, quantity: str, partition: str) -> np.ndarray[Any, Any]:
    """Gain or pedestal of every column of the modules in ``partition``."""
    values = payload.physical(quantity)
    if partition == "all":
        return values
    begin, end = payload.ranges("modules")
    keep = mask(payload["modules"]["detid"], partition)
    return values[np.repeat(keep, end - begin)]


def _distribution(quantity: str, default_range: tuple[float, float]) -> Drawer:
    def draw(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> Histogram1D:
        partition = str(params["partition"])
        return Histogram1D.from_values(
            column_values(payload, quantity, partition),
            int(params["bins"]),
            (float(params["low"]), float(params["high"])),
            title=f"Pixel {quantity} per column ({partition})",
            x_label=quantity,
            x_unit=UNITS[quantity],
            y_label="columns",
        )

    draw.__doc__ = f"Distribution of the {quantity} of every pixel column of one IOV."
    return drawer(
        f"pixels.{quantity}_distribution",
        title=f"Pixel {quantity} distribution",
        payload_types=OBJECT_TYPE,
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
    payload_types=OBJECT_TYPE,
    kind="history",
    series=PIXEL_PARTITIONS,
    params=[Param.choice("quantity", ("gain", "pedestal"))],
)
def mean_history(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> dict[str, float]:
    """Mean gain (or pedestal) over the columns of BPix and of FPix."""
    quantity = str(params["quantity"])
    means = payload.range_means("modules", payload.physical(quantity))
    begin, end = payload.ranges("modules")
    return grouped_mean(
        means,
        (end - begin).astype(np.float64),
        codes(payload["modules"]["detid"]),
        PIXEL_PARTITIONS,
    )


gain_distribution = _distribution("gain", (0.0, 6.0))
pedestal_distribution = _distribution("pedestal", (0.0, 60.0))


@hookimpl
def register_drawers() -> list[Drawer]:
    """The pixel calibration drawers."""
    return [gain_distribution, pedestal_distribution, mean_history]
