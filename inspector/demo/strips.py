"""Strip noise tags: every strip of the 15,148 real strip modules (~9.3 million).

The noise of a strip is mostly a property of its sensor (thickness, strip
length: hence the base value per sub-detector and layer or ring) and of its
position on the APV readout chip (the first and last of 128 channels are
noisier), plus a fixed per-strip spread.  Over the year it grows slowly with
radiation damage and steps down once after the technical stop (APV gains were
re-tuned).  A few modules are dead (noise 0) or noisy (15-40 ADC counts), as
in every real payload.  Everything is generated with whole-array numpy
operations: one payload is ~9.3 million values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.cmssw import strips as sistrip
from inspector.conddb.timetypes import TimeType
from inspector.demo.calendar import RunCalendar, change_points
from inspector.demo.model import (
    DemoTag,
    IovTable,
    SharedPayload,
    TagInfo,
    payload_rng,
)
from inspector.geometry.detid import TEC, TIB, TID, TOB, layer_or_ring, subdetector
from inspector.geometry.detid import strips_per_module as strips_of
from inspector.geometry.shipped import strip_module_ids

__all__ = [
    "PROMPT_TAG",
    "RERECO_TAG",
    "StripNoiseModel",
    "noise_model",
    "prompt_tag",
    "rereco_tag",
]

PROMPT_TAG: Final = "SiStripNoise_prompt_v1"
RERECO_TAG: Final = "SiStripNoise_rereco_v2"
OBJECT_TYPE: Final = "SiStripNoises"

#: Typical noise (ADC counts) by sub-detector and barrel layer or endcap ring:
#: thin short sensors (TIB, TID, inner TEC rings) are quieter than thick long ones.
BASE_NOISE: Final = {
    (TIB, 1): 4.3, (TIB, 2): 4.4, (TIB, 3): 4.7, (TIB, 4): 4.8,
    (TID, 1): 4.5, (TID, 2): 4.7, (TID, 3): 5.0,
    (TOB, 1): 6.0, (TOB, 2): 6.1, (TOB, 3): 6.2, (TOB, 4): 6.3, (TOB, 5): 6.8, (TOB, 6): 6.9,
    (TEC, 1): 4.5, (TEC, 2): 4.8, (TEC, 3): 5.0, (TEC, 4): 5.4,
    (TEC, 5): 6.1, (TEC, 6): 6.5, (TEC, 7): 7.0,
}  # fmt: skip
APV_CHANNELS: Final = 128
EDGE_FACTOR: Final = 1.2
DEAD_FRACTION: Final = 0.003
NOISY_FRACTION: Final = 0.001
#: Noise growth over the whole period (radiation damage), and the step after the stop.
YEARLY_GROWTH: Final = 0.035
AFTER_STOP_FACTOR: Final = 0.96
CODE_DTYPE: Final = np.dtype("<u2")
ID_DTYPE: Final = np.dtype("<u4")
#: Noise codes are round(10 * noise), 9 bits.
CODES_PER_ADC: Final = 10
MAX_CODE: Final = 511
REPROCESSED: Final = 1_000_000
RERECO_UPLOAD: Final = np.datetime64("2024-12-02T10:00:00", "s")

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class StripNoiseModel:
    """The fixed part of the noise: per-strip base values and bad modules."""

    detid: npt.NDArray[np.uint32]
    begin: npt.NDArray[np.uint32]
    end: npt.NDArray[np.uint32]
    strip_noise: F32  # per strip, before time dependence
    module_noise: F32  # per module: its typical noise
    dead: npt.NDArray[np.bool_]  # per module
    noisy_level: F32  # per module: 0, or the level of a noisy module
    seed: int

    @property
    def strips(self) -> npt.NDArray[np.int64]:
        """Strips per module."""
        return (self.end - self.begin).astype(np.int64)

    def noise(self, fraction: float, after_stop: bool, index: int, spread: float) -> F32:
        """Noise per strip (ADC counts) at ``fraction`` of the period.

        ``index`` picks the payload's own random stream; ``spread`` is the
        relative measurement scatter (smaller for reprocessed payloads).
        """
        rng = payload_rng(self.seed, index)
        factor = (1.0 + YEARLY_GROWTH * fraction) * (AFTER_STOP_FACTOR if after_stop else 1.0)
        module = (factor * (1.0 + rng.normal(0.0, 0.005, self.detid.size))).astype(np.float32)
        module[self.dead] = 0.0
        noisy = self.noisy_level > 0
        module[noisy] = self.noisy_level[noisy] / self.module_noise[noisy]
        noise = self.strip_noise * np.repeat(module, self.strips)
        jitter = rng.standard_normal(noise.size, dtype=np.float32)
        jitter *= np.float32(spread)
        jitter += np.float32(1.0)
        noise *= jitter
        return noise

    def values(self, noise: F32) -> Mapping[str, Any]:
        """SiStripNoises members for per-strip ``noise``: codes = min(511, round(10 n)),
        packed 9 bits a strip as CMSSW packs them."""
        codes = np.rint(np.clip(noise, 0.0, None) * CODES_PER_ADC)
        np.minimum(codes, MAX_CODE, out=codes)
        return sistrip.members(self.detid, codes.astype(CODE_DTYPE), self.strips)


def noise_model(rng: np.random.Generator) -> StripNoiseModel:
    """Draw the fixed per-strip noise of every real strip module (vectorised)."""
    detid = np.asarray(strip_module_ids(), dtype=ID_DTYPE)
    strips = np.asarray(strips_of(detid), dtype=np.int64)
    end = np.cumsum(strips)
    begin = end - strips
    table = np.zeros((8, 16), dtype=np.float32)
    for (sub, number), value in BASE_NOISE.items():
        table[sub, number] = value
    base = table[subdetector(detid), layer_or_ring(detid)]
    base *= rng.normal(1.0, 0.03, detid.size).astype(np.float32)
    total = int(end[-1])
    channel = np.arange(total, dtype=np.int64) - np.repeat(begin, strips)
    edge = np.isin(channel % APV_CHANNELS, (0, APV_CHANNELS - 1))
    pattern = rng.normal(1.0, 0.04, total).astype(np.float32)
    pattern[edge] *= np.float32(EDGE_FACTOR)
    strip_noise = np.repeat(base, strips) * pattern
    n_dead = max(1, round(DEAD_FRACTION * detid.size))
    n_noisy = max(1, round(NOISY_FRACTION * detid.size))
    bad = rng.choice(detid.size, n_dead + n_noisy, replace=False)
    dead = np.zeros(detid.size, dtype=bool)
    dead[bad[:n_dead]] = True
    noisy_level = np.zeros(detid.size, dtype=np.float32)
    noisy_level[bad[n_dead:]] = rng.uniform(15.0, 40.0, n_noisy)
    return StripNoiseModel(
        detid=detid,
        begin=begin.astype(ID_DTYPE),
        end=end.astype(ID_DTYPE),
        strip_noise=strip_noise,
        module_noise=base,
        dead=dead,
        noisy_level=noisy_level,
        seed=int(rng.integers(1 << 62)),
    )


def prompt_tag(
    rng: np.random.Generator, calendar: RunCalendar, model: StripNoiseModel, n_payloads: int
) -> DemoTag:
    """One IOV per run; the payload changes only at ``n_payloads`` runs.

    A new payload always starts with the first run after the technical
    stop.  Each IOV is uploaded a few hours after its run ended.
    """
    n_runs = len(calendar)
    stop = calendar.after_technical_stop
    payload = change_points(rng, n_runs, np.array([stop]), n_payloads)
    first_run = np.flatnonzero(np.r_[True, payload[1:] != payload[:-1]])
    fraction = calendar.fraction(calendar.start[first_run])
    after = first_run >= stop
    uploaded = calendar.end + (rng.uniform(1.0, 8.0, n_runs) * 3600).astype("timedelta64[s]")

    def values(i: int) -> Mapping[str, Any]:
        return model.values(model.noise(float(fraction[i]), bool(after[i]), i, 0.015))

    info = TagInfo(
        name=PROMPT_TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="prompt",
        description="Strip noise from pedestal runs for prompt reconstruction: "
        "one IOV per run, a new payload when the noise changed",
    )
    since = calendar.run.astype(np.uint64)
    return DemoTag(info, IovTable(since, payload, uploaded), n_payloads, values)


def rereco_tag(
    rng: np.random.Generator,
    calendar: RunCalendar,
    model: StripNoiseModel,
    prompt: DemoTag,
    n_iovs: int,
    n_new: int,
) -> DemoTag:
    """A re-reconstruction tag inserted months later.

    Its IOVs start at the first run, the first run after the stop and a few
    others; the last ``n_new`` carry newly derived (smoother) payloads, the
    others reuse the prompt payload valid at that run.
    """
    n_runs = len(calendar)
    stop = calendar.after_technical_stop
    others = np.setdiff1d(np.arange(1, n_runs), [stop])
    runs = np.sort(np.r_[0, stop, rng.choice(others, n_iovs - 2, replace=False)])
    new = np.arange(n_iovs) >= n_iovs - n_new
    fraction = calendar.fraction(calendar.start[runs])
    prompt_index = prompt.iovs.payload[runs]
    uploaded = RERECO_UPLOAD + (np.arange(n_iovs) * 7 * 60).astype("timedelta64[s]")

    def values(i: int) -> Mapping[str, Any] | SharedPayload:
        if not new[i]:
            return SharedPayload(prompt.info.name, int(prompt_index[i]))
        noise = model.noise(float(fraction[i]), bool(runs[i] >= stop), REPROCESSED + i, 0.005)
        return model.values(noise)

    info = TagInfo(
        name=RERECO_TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="offline",
        description="Strip noise for the 2024 re-reconstruction: the prompt payloads, "
        "the latest ones re-derived",
    )
    since = calendar.run[runs].astype(np.uint64)
    index = np.arange(n_iovs, dtype=np.int64)
    return DemoTag(info, IovTable(since, index, uploaded), n_iovs, values)
