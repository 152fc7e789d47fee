"""Pixel gain calibration tag: gain and pedestal per column of every pixel module.

Each of the 1,856 Phase-1 modules has 416 columns (8 readout chips, ROCs,
of 52 columns along the module).  Gain varies by module and by ROC, with a
smaller per-column spread; BPix layer 1 (a different ROC and the highest
dose) has lower gains that fall faster over the year.  Some columns and
whole ROCs are dead (gain and pedestal 0).  Values are stored as 8-bit
codes within each payload's own [min, max], as the schema declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import TimeType
from inspector.demo.calendar import RunCalendar
from inspector.demo.model import DemoTag, IovTable, TagInfo, payload_rng
from inspector.geometry import detid as topo
from inspector.geometry.shipped import pixel_modules

__all__ = ["TAG", "PixelGainModel", "gain_model", "gain_tag", "quantize"]

TAG: Final = "SiPixelGainCalibration_2024_v1"
OBJECT_TYPE: Final = "SiPixelGainCalibration"
COLUMNS: Final = 416
ROC_COLUMNS: Final = 52
LEVELS: Final = 255
DEAD_COLUMN_FRACTION: Final = 0.002
DEAD_ROC_FRACTION: Final = 0.001
#: Relative gain loss over the period: layer 1 (highest dose) and the rest.
GAIN_LOSS: Final = (0.06, 0.02)
ID_DTYPE: Final = np.dtype("<u4")
CODE_DTYPE: Final = np.dtype("u1")
LIMIT_DTYPE: Final = np.dtype("<f4")

Floats = npt.NDArray[np.float64]


def quantize(values: Floats) -> tuple[npt.NDArray[np.uint8], np.float32, np.float32]:
    """8-bit codes of ``values`` within their own [min, max], and those limits.

    The limits are rounded to float32 first (that is how they are stored),
    so decoding ``min + code * (max - min) / 255`` recovers each value to
    within half a code.
    """
    lo, hi = LIMIT_DTYPE.type(values.min()), LIMIT_DTYPE.type(values.max())
    span = max(float(hi) - float(lo), 1e-6)
    codes = np.rint((values - float(lo)) / span * LEVELS)
    return np.clip(codes, 0, LEVELS).astype(CODE_DTYPE), lo, hi


@dataclass(frozen=True, eq=False)
class PixelGainModel:
    """Fixed per-column gains and pedestals, dead columns, and layer-1 columns."""

    detid: npt.NDArray[np.uint32]
    gain: Floats
    pedestal: Floats
    dead: npt.NDArray[np.bool_]
    layer1: npt.NDArray[np.bool_]
    seed: int

    def values(self, fraction: float, after_stop: bool, index: int) -> Mapping[str, Any]:
        """Payload field values at ``fraction`` of the period (own random stream)."""
        rng = payload_rng(self.seed, index)
        loss = np.where(self.layer1, GAIN_LOSS[0], GAIN_LOSS[1]) * fraction
        gain = self.gain * (1.0 - loss) * rng.normal(1.0, 0.01, self.gain.size)
        pedestal = self.pedestal + 1.2 * fraction - 0.8 * after_stop
        pedestal = pedestal + rng.normal(0.0, 0.4, pedestal.size)
        gain[self.dead] = 0.0
        pedestal[self.dead] = 0.0
        gain_codes, min_gain, max_gain = quantize(gain)
        ped_codes, min_ped, max_ped = quantize(pedestal)
        n = self.detid.size
        begin = np.arange(n, dtype=np.int64) * COLUMNS
        return {
            "min_pedestal": min_ped,
            "max_pedestal": max_ped,
            "min_gain": min_gain,
            "max_gain": max_gain,
            "modules": {
                "detid": self.detid,
                "ibegin": begin.astype(ID_DTYPE),
                "iend": (begin + COLUMNS).astype(ID_DTYPE),
                "ncols": np.full(n, COLUMNS, dtype=np.dtype("<u2")),
            },
            "gain": gain_codes,
            "pedestal": ped_codes,
        }


def gain_model(rng: np.random.Generator) -> PixelGainModel:
    """Draw the fixed gains and pedestals of every column (vectorised)."""
    detid = np.asarray(pixel_modules()[0], dtype=ID_DTYPE)
    n = detid.size
    rocs = n * COLUMNS // ROC_COLUMNS
    sub = np.asarray(topo.subdetector(detid))
    layer1 = (sub == topo.BPIX) & (np.asarray(topo.layer(detid)) == 1)
    module_gain = np.where(layer1, rng.normal(2.6, 0.15, n), rng.normal(3.05, 0.2, n))
    roc_gain = rng.normal(1.0, 0.04, rocs)
    gain = np.repeat(module_gain, COLUMNS) * np.repeat(roc_gain, ROC_COLUMNS)
    gain += rng.normal(0.0, 0.08, gain.size)
    pedestal = np.repeat(rng.normal(25.0, 3.5, n), COLUMNS)
    pedestal += np.repeat(rng.normal(0.0, 2.0, rocs), ROC_COLUMNS)
    pedestal += rng.normal(0.0, 1.5, pedestal.size)
    dead = rng.random(gain.size) < DEAD_COLUMN_FRACTION
    dead |= np.repeat(rng.random(rocs) < DEAD_ROC_FRACTION, ROC_COLUMNS)
    return PixelGainModel(
        detid=detid,
        gain=gain,
        pedestal=pedestal,
        dead=dead,
        layer1=np.repeat(layer1, COLUMNS),
        seed=int(rng.integers(1 << 62)),
    )


def gain_tag(
    rng: np.random.Generator, calendar: RunCalendar, model: PixelGainModel, n_iovs: int
) -> DemoTag:
    """A few IOVs (one new calibration each), uploaded days after the run.

    Gain calibration runs are taken in technical stops, hence an IOV at the
    first run after it.
    """
    stop = calendar.after_technical_stop
    others = np.setdiff1d(np.arange(1, len(calendar)), [stop])
    runs = np.sort(np.r_[0, stop, rng.choice(others, n_iovs - 2, replace=False)])
    fraction = calendar.fraction(calendar.start[runs])
    delay = (rng.uniform(3.0, 10.0, n_iovs) * 86400).astype("timedelta64[s]")

    def values(i: int) -> Mapping[str, Any]:
        return model.values(float(fraction[i]), bool(runs[i] >= stop), i)

    info = TagInfo(
        name=TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=1,
        synchronization="offline",
        description="Pixel gain and pedestal per column from 2024 gain calibration runs "
        "(offline reconstruction)",
    )
    since = calendar.run[runs].astype(np.uint64)
    iovs = IovTable(since, np.arange(n_iovs), calendar.end[runs] + delay)
    return DemoTag(info, iovs, n_iovs, values)
