"""Pixel gain calibration tag for the HLT: gain and pedestal per column of each readout chip.

Each of the 1,856 Phase-1 modules has 416 columns × 160 rows: 16 readout
chips (ROCs) of 52 columns × 80 rows, 8 along the columns and 2 along the
rows.  SiPixelGainCalibrationForHLT keeps one gain and one pedestal per
column of each ROC (its 80 rows averaged), so a module has 416 × 2 column
blocks.  Gain varies by module and by ROC, with a smaller per-block
spread; BPix layer 1 (a different ROC and the highest dose) has lower gains
that fall faster over the year.  Some column blocks and whole ROCs are dead:
written with the dead flag, as CMSSW's ``setDeadColumn`` writes them.
Values are stored as 8-bit codes within each payload's own range, with
CMSSW's encoding (:mod:`inspector.cmssw.pixels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.cmssw import pixels as sipixel
from inspector.conddb.timetypes import TimeType
from inspector.demo.calendar import RunCalendar
from inspector.demo.model import DemoTag, IovTable, TagInfo, payload_rng
from inspector.geometry import detid as topo
from inspector.geometry.shipped import pixel_modules

__all__ = ["TAG", "PixelGainModel", "code_range", "gain_model", "gain_tag"]

TAG: Final = "SiPixelGainCalibrationHLT_2024_v1"
OBJECT_TYPE: Final = sipixel.FOR_HLT
COLUMNS: Final = 416
ROWS: Final = 160
ROC_COLUMNS: Final = 52
ROC_ROWS: Final = sipixel.ROWS_PER_BLOCK
#: Column blocks of a module: every column, once per ROC along the rows.
BLOCKS: Final = COLUMNS * (ROWS // ROC_ROWS)
DEAD_COLUMN_FRACTION: Final = 0.002
DEAD_ROC_FRACTION: Final = 0.001
#: Relative gain loss over the period: layer 1 (highest dose) and the rest.
GAIN_LOSS: Final = (0.06, 0.02)
ID_DTYPE: Final = np.dtype("<u4")

Floats = npt.NDArray[np.float64]


def code_range(values: Floats, step: float) -> tuple[float, float]:
    """``[min, max]`` of ``values`` widened outwards to multiples of ``step``.

    The payload's code range: every value lies inside it (also once the
    ends are stored as float), and the ends are round numbers.
    """
    low = np.floor(values.min() / step) * step
    high = max(np.ceil(values.max() / step) * step, low + step)
    return float(low), float(high)


@dataclass(frozen=True, eq=False)
class PixelGainModel:
    """Fixed per-block gains and pedestals, dead blocks, and layer-1 blocks.

    Blocks run module after module, column after column, the lower ROC's
    rows before the upper's: the order of ``v_pedestals``.
    """

    detid: npt.NDArray[np.uint32]
    gain: Floats
    pedestal: Floats
    dead: npt.NDArray[np.bool_]
    layer1: npt.NDArray[np.bool_]
    seed: int

    def calibration(self, fraction: float, after_stop: bool, index: int) -> tuple[Floats, Floats]:
        """Gain and pedestal of every block at ``fraction`` of the period (own random stream)."""
        rng = payload_rng(self.seed, index)
        loss = np.where(self.layer1, GAIN_LOSS[0], GAIN_LOSS[1]) * fraction
        gain = self.gain * (1.0 - loss) * rng.normal(1.0, 0.01, self.gain.size)
        pedestal = self.pedestal + 1.2 * fraction - 0.8 * after_stop
        pedestal = pedestal + rng.normal(0.0, 0.4, pedestal.size)
        return gain, pedestal

    def values(self, fraction: float, after_stop: bool, index: int) -> Mapping[str, Any]:
        """SiPixelGainCalibrationForHLT members at ``fraction`` of the period."""
        gain, pedestal = self.calibration(fraction, after_stop, index)
        alive = ~self.dead
        gain_range = code_range(gain[alive], 0.1)
        pedestal_range = code_range(pedestal[alive], 1.0)
        # dead blocks are not encoded (setData writes the flag instead)
        gain[self.dead], pedestal[self.dead] = gain_range[0], pedestal_range[0]
        gain_codes = sipixel.encode_values(gain, *gain_range, sipixel.N_BINS)
        pedestal_codes = sipixel.encode_values(pedestal, *pedestal_range, sipixel.N_BINS)
        gain_codes[self.dead] = sipixel.DEAD_FLAG
        pedestal_codes[self.dead] = sipixel.DEAD_FLAG
        n = self.detid.size
        return sipixel.hlt_members(
            self.detid,
            np.full(n, COLUMNS),
            np.full(n, ROWS),
            pedestal_codes,
            gain_codes,
            pedestal_range=pedestal_range,
            gain_range=gain_range,
        )


def gain_model(rng: np.random.Generator) -> PixelGainModel:
    """Draw the fixed gains and pedestals of every column block (vectorised)."""
    detid = np.asarray(pixel_modules()[0], dtype=ID_DTYPE)
    n = detid.size
    sub = np.asarray(topo.subdetector(detid))
    layer1 = (sub == topo.BPIX) & (np.asarray(topo.layer(detid)) == 1)
    # ROC of each block of a module: 8 ROCs along the columns, 2 along the rows
    column, half = np.divmod(np.arange(BLOCKS), ROWS // ROC_ROWS)
    roc_in_module = half * (COLUMNS // ROC_COLUMNS) + column // ROC_COLUMNS
    rocs_per_module = (COLUMNS // ROC_COLUMNS) * (ROWS // ROC_ROWS)
    roc = (np.arange(n)[:, None] * rocs_per_module + roc_in_module).ravel()
    module_gain = np.where(layer1, rng.normal(2.6, 0.15, n), rng.normal(3.05, 0.2, n))
    roc_gain = rng.normal(1.0, 0.04, n * rocs_per_module)
    gain = np.repeat(module_gain, BLOCKS) * roc_gain[roc]
    gain += rng.normal(0.0, 0.08, gain.size)
    pedestal = np.repeat(rng.normal(25.0, 3.5, n), BLOCKS)
    pedestal += rng.normal(0.0, 2.0, n * rocs_per_module)[roc]
    pedestal += rng.normal(0.0, 1.5, pedestal.size)
    dead = rng.random(gain.size) < DEAD_COLUMN_FRACTION
    dead |= (rng.random(n * rocs_per_module) < DEAD_ROC_FRACTION)[roc]
    return PixelGainModel(
        detid=detid,
        gain=gain,
        pedestal=pedestal,
        dead=dead,
        layer1=np.repeat(layer1, BLOCKS),
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
        version=0,
        synchronization="any",
        description="Pixel gain and pedestal per column of each readout chip, from 2024 "
        "gain calibration runs, for the HLT",
    )
    since = calendar.run[runs].astype(np.uint64)
    iovs = IovTable(since, np.arange(n_iovs), calendar.end[runs] + delay)
    return DemoTag(info, iovs, n_iovs, values)
