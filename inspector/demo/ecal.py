"""ECAL pedestal tag: mean and rms of every crystal at the three gains.

Pedestals sit near 200 ADC counts by design; each readout board (a barrel
supermodule, an endcap Dee) adds its own offset, each crystal a little
more.  The noise (rms) is ~1.1 counts in the barrel and ~2 in the endcaps,
higher towards the beam pipe; the lower gains (x6, x1) have slightly lower
means and smaller rms.  A few crystals are noisy.  Pedestals drift upwards
slowly over the year (more in the endcaps).
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
from inspector.geometry.ecal import MAX_IETA, barrel_crystals, endcap_crystals

__all__ = ["MEMBERS", "TAG", "PedestalModel", "pedestal_model", "pedestal_tag"]

TAG: Final = "EcalPedestals_hlt_v1"
#: CondDB's name of ``EcalPedestals`` (a typedef), as CMSSW stores it
OBJECT_TYPE: Final = "EcalCondObjectContainer<EcalPedestal>"
MEMBERS: Final = ("mean_x12", "rms_x12", "mean_x6", "rms_x6", "mean_x1", "rms_x1")
#: Lower gains: mean offset (ADC counts) and rms relative to gain 12.
GAIN_MEAN_SHIFT: Final = (0.0, -1.2, -2.5)
GAIN_RMS_FACTOR: Final = (1.0, 0.72, 0.55)
NOISY_FRACTION: Final = 0.001
#: Pedestal drift over the whole period: barrel, endcap.
DRIFT: Final = (0.4, 1.0)
EB_SUPERMODULE_PHI: Final = 20
VALUE_DTYPE: Final = np.dtype("<f4")

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PedestalModel:
    """Fixed per-crystal (n, 6) pedestals of the barrel and endcap, in MEMBERS order."""

    barrel: Floats
    endcap: Floats
    seed: int

    def values(self, fraction: float, index: int) -> Mapping[str, Any]:
        """The payload at ``fraction`` of the period, as EcalCondObjectContainer members."""
        rng = payload_rng(self.seed, index)
        return {
            "eb_": {"m_items": _columns(_measure(rng, self.barrel, DRIFT[0] * fraction))},
            "ee_": {"m_items": _columns(_measure(rng, self.endcap, DRIFT[1] * fraction))},
        }


def _measure(rng: np.random.Generator, base: Floats, drift: float) -> Floats:
    """One pedestal run: drifted means, measured with a little scatter."""
    out = base.copy()
    out[:, 0::2] += drift + rng.normal(0.0, 0.05, out[:, 0::2].shape)
    out[:, 1::2] *= rng.normal(1.0, 0.015, out[:, 1::2].shape)
    return out


def _columns(values: Floats) -> dict[str, npt.NDArray[np.float32]]:
    return {name: values[:, k].astype(VALUE_DTYPE) for k, name in enumerate(MEMBERS)}


def _three_gains(rng: np.random.Generator, mean: Floats, rms: Floats) -> Floats:
    """(n, 6) from the gain-12 mean and rms; lower gains correlated but distinct."""
    out = np.empty((mean.size, 6))
    for k, (shift, factor) in enumerate(zip(GAIN_MEAN_SHIFT, GAIN_RMS_FACTOR, strict=True)):
        spread = 0.0 if k == 0 else 1.5
        out[:, 2 * k] = mean + shift + rng.normal(0.0, 1.0, mean.size) * spread
        out[:, 2 * k + 1] = rms * factor
    return out


def _noisy(rng: np.random.Generator, rms: Floats) -> Floats:
    """A few crystals with an rms of 3 to 8 counts."""
    n = max(1, round(NOISY_FRACTION * rms.size))
    out = rms.copy()
    out[rng.choice(rms.size, n, replace=False)] = rng.uniform(3.0, 8.0, n)
    return out


def pedestal_model(rng: np.random.Generator) -> PedestalModel:
    """Draw the fixed pedestals of all 61,200 + 14,648 crystals (vectorised)."""
    ieta, iphi, _ = barrel_crystals()
    supermodule = (ieta > 0) * 18 + (iphi - 1) // EB_SUPERMODULE_PHI
    eb_mean = 200.0 + rng.normal(0.0, 2.5, 36)[supermodule] + rng.normal(0.0, 2.0, ieta.size)
    eb_rms = 1.05 + 0.1 * np.abs(ieta) / MAX_IETA + rng.normal(0.0, 0.06, ieta.size)
    zside, ix, iy, _ = endcap_crystals()
    dee = (zside > 0) * 2 + (ix > 50)
    radius = np.hypot(ix - 50.5, iy - 50.5) / 50.0
    ee_mean = 200.0 + rng.normal(0.0, 3.0, 4)[dee] + rng.normal(0.0, 2.5, ix.size)
    ee_rms = 1.7 + 0.9 * (1.0 - radius) + rng.normal(0.0, 0.12, ix.size)
    return PedestalModel(
        barrel=_three_gains(rng, eb_mean, _noisy(rng, eb_rms)),
        endcap=_three_gains(rng, ee_mean, _noisy(rng, ee_rms)),
        seed=int(rng.integers(1 << 62)),
    )


def pedestal_tag(
    rng: np.random.Generator, calendar: RunCalendar, model: PedestalModel, n_iovs: int
) -> DemoTag:
    """HLT pedestals: a new payload at ``n_iovs`` runs.

    With "hlt" synchronisation an IOV must start at a run that has not begun
    yet, so each is uploaded before its run starts (after the previous run
    started), not after it ends.
    """
    n_runs = len(calendar)
    runs = np.sort(np.r_[0, rng.choice(np.arange(1, n_runs), n_iovs - 1, replace=False)])
    fraction = calendar.fraction(calendar.start[runs])
    day_before = calendar.start[0] - np.timedelta64(86400, "s")
    previous = np.where(runs > 0, calendar.start[np.maximum(runs - 1, 0)], day_before)
    lead = (calendar.start[runs] - previous).astype(np.int64) * rng.uniform(0.1, 0.6, n_iovs)
    uploaded = calendar.start[runs] - lead.astype(np.int64).astype("timedelta64[s]")

    def values(i: int) -> Mapping[str, Any]:
        return model.values(float(fraction[i]), i)

    info = TagInfo(
        name=TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="hlt",
        description="ECAL pedestals from laser-sequence pedestal runs, for the HLT and "
        "prompt reconstruction",
    )
    since = calendar.run[runs].astype(np.uint64)
    return DemoTag(info, IovTable(since, np.arange(n_iovs), uploaded), n_iovs, values)
