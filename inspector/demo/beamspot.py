"""Beam spot tags: the PCL by-lumi tag, a by-run tag and a legacy 2016 tag.

One underlying "true" luminous region evolves over the period (slow drift
of the position, per-fill beam conditions, widths and bunch length growing
during a fill, jumps at the technical stop and at the crossing-angle
change); the PCL tag samples it per lumi block with fit errors and scatter,
the by-run tag averages it per fill.  So the two tags agree the way real
ones do, and history plots show the features experts look for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import TimeType
from inspector.demo.calendar import PERIOD_START, RunCalendar, change_points, share
from inspector.demo.model import (
    DATETIME_DTYPE,
    LEGACY_RELEASE,
    DemoTag,
    IovTable,
    TagInfo,
    Times,
)

__all__ = [
    "LEGACY_TAG",
    "PCL_TAG",
    "RUN_TAG",
    "BeamTruth",
    "beam_truth",
    "by_run_tag",
    "legacy_tag",
    "lumi_blocks",
    "pcl_by_lumi_tag",
    "per_run_payloads",
]

PCL_TAG: Final = "BeamSpotObjects_PCL_byLumi_v1"
RUN_TAG: Final = "BeamSpotObjects_Realistic_byRun_v1"
LEGACY_TAG: Final = "BeamSpotObjects_2016_legacy_v1"
OBJECT_TYPE: Final = "BeamSpotObjects"

#: Covariance order of both layouts: x, y, z, sigma_z, dxdz, dydz, beam width.
N_PARAMS: Final = 7
#: Fixed correlations of a beam-spot fit: position with slope, z with sigma_z.
CORRELATION: Final = np.array(
    [
        [1.0, 0.05, 0.0, 0.0, -0.3, 0.0, 0.0],
        [0.05, 1.0, 0.0, 0.0, 0.0, -0.3, 0.0],
        [0.0, 0.0, 1.0, 0.1, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.1, 1.0, 0.0, 0.0, 0.0],
        [-0.3, 0.0, 0.0, 0.0, 1.0, 0.02, 0.0],
        [0.0, -0.3, 0.0, 0.0, 0.02, 1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    ]
)
BETA_STAR_CM: Final = 30.0
TRACKER_FIT: Final = 2
HOUR: Final = np.timedelta64(3600, "s")

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def members(
    *,
    position: tuple[float, float, float],
    sigma_z: float,
    slopes: tuple[float, float],
    widths: tuple[float, float],
    width_errors: tuple[float, float],
    covariance: Floats,
    beam_type: int = TRACKER_FIT,
    beta_star: float = BETA_STAR_CM,
) -> dict[str, Any]:
    """A beam spot as the members of CMSSW's ``BeamSpotObjects`` (cm, rad).

    The emittance follows from the width and β* (ε = σ² / β*), as for a
    beam at its focus.
    """
    return {
        "position_": np.asarray(position, np.float64),
        "sigmaZ_": sigma_z,
        "beamwidthX_": widths[0],
        "beamwidthY_": widths[1],
        "beamwidthXError_": width_errors[0],
        "beamwidthYError_": width_errors[1],
        "dxdz_": slopes[0],
        "dydz_": slopes[1],
        "covariance_": np.asarray(covariance, np.float64),
        "type_": beam_type,
        "emittanceX_": widths[0] ** 2 / beta_star,
        "emittanceY_": widths[1] ** 2 / beta_star,
        "betaStar_": beta_star,
    }


@dataclass(frozen=True, eq=False)
class BeamSeries:
    """Beam-spot parameters for a series of payloads (one row per payload)."""

    x: Floats
    y: Floats
    z: Floats
    sigma_z: Floats
    dxdz: Floats
    dydz: Floats
    width_x: Floats
    width_y: Floats
    errors: Floats  # (n, 7): fit errors of x, y, z, sigma_z, dxdz, dydz, width_x
    width_y_error: Floats

    def covariance(self) -> Floats:
        """(n, 7, 7) covariance from the errors and the fixed correlations."""
        cov: Floats = self.errors[:, :, None] * CORRELATION[None] * self.errors[:, None, :]
        return cov

    def values(self, i: int, covariance: Floats) -> Mapping[str, Any]:
        """Payload ``i`` as the members of CMSSW's ``BeamSpotObjects``."""
        return members(
            position=(self.x[i], self.y[i], self.z[i]),
            sigma_z=self.sigma_z[i],
            slopes=(self.dxdz[i], self.dydz[i]),
            widths=(self.width_x[i], self.width_y[i]),
            width_errors=(self.errors[i, 6], self.width_y_error[i]),
            covariance=covariance[i],
        )


@dataclass(frozen=True, eq=False)
class BeamTruth:
    """The true luminous region as a function of time (vectorised)."""

    calendar: RunCalendar
    knots: Times
    drift: Floats  # (4, n_knots): x, y, z, dxdz/dydz wander at the knots
    fill_offset: Floats  # (5, n_fills): x, y, z offsets and width, sigma_z bases

    def at(self, when: Times, run_index: Ints) -> BeamSeries:
        """True parameters at times ``when`` inside runs ``run_index`` (no errors)."""
        cal = self.calendar
        t = (when - PERIOD_START).astype(np.int64).astype(np.float64)
        knots = (self.knots - PERIOD_START).astype(np.int64).astype(np.float64)
        wander = np.stack([np.interp(t, knots, row) for row in self.drift])
        fill = cal.fill_index[run_index]
        fill_begin = cal.start[cal.fill_starts][fill]
        hours_in_fill = (when - fill_begin) / HOUR
        after_stop = run_index >= cal.after_technical_stop
        new_angle = run_index >= cal.crossing_angle_change
        growth = 1.0 + 0.012 * hours_in_fill
        off = self.fill_offset[:, fill]
        return BeamSeries(
            x=0.1700 + wander[0] + off[0] + 0.0040 * after_stop,
            y=-0.1900 + wander[1] + off[1] - 0.0030 * after_stop,
            z=-0.30 + wander[2] + off[2] + 0.25 * after_stop,
            sigma_z=np.minimum(4.5, off[4] * (1.0 + 0.008 * hours_in_fill) - 0.15 * new_angle),
            dxdz=2.0e-5 + wander[3] + 1.2e-5 * new_angle,
            dydz=-1.5e-5 - 0.5 * wander[3] + 0.6e-5 * after_stop,
            width_x=np.minimum(0.0015, off[3] * growth),
            width_y=np.minimum(0.0015, off[3] * 0.95 * growth),
            errors=np.zeros((t.size, N_PARAMS)),
            width_y_error=np.zeros(t.size),
        )


def beam_truth(rng: np.random.Generator, calendar: RunCalendar) -> BeamTruth:
    """Draw the slow drifts (knots every ~3 days) and the per-fill conditions."""
    span = calendar.end[-1] - PERIOD_START
    n_knots = max(4, int(span / np.timedelta64(3 * 86400, "s")) + 2)
    knots = PERIOD_START + (np.linspace(0.0, 1.0, n_knots) * span.astype(np.int64)).astype(
        "timedelta64[s]"
    )
    scale = np.array([0.0012, 0.0012, 0.20, 0.4e-5])[:, None]
    drift = np.cumsum(rng.normal(0.0, 1.0, (4, n_knots)), axis=1) * scale / np.sqrt(n_knots / 8)
    n_fills = int(calendar.fill_index[-1]) + 1
    fill_offset = np.stack(
        [
            rng.normal(0.0, 0.0005, n_fills),
            rng.normal(0.0, 0.0005, n_fills),
            rng.normal(0.0, 0.12, n_fills),
            rng.uniform(0.00105, 0.00125, n_fills),
            rng.uniform(3.65, 4.1, n_fills),
        ]
    )
    return BeamTruth(calendar, knots, drift, fill_offset)


def _measured(rng: np.random.Generator, true: BeamSeries, precision: float) -> BeamSeries:
    """A fit of the true values: realistic errors, values scattered by them.

    ``precision`` scales the errors (1 for one lumi block, smaller for a
    whole fill's worth of tracks).
    """
    n = true.x.size
    typical = np.array([1.6e-4, 1.6e-4, 0.030, 0.022, 2.2e-6, 2.2e-6, 4.0e-5])
    errors = typical[None, :] * rng.lognormal(0.0, 0.25, (n, 1)) * precision
    errors *= rng.uniform(0.85, 1.15, (n, N_PARAMS))
    # Correlated scatter, drawn with the same covariance the payload declares.
    chol = np.linalg.cholesky(CORRELATION)
    shift = (rng.normal(0.0, 1.0, (n, N_PARAMS)) @ chol.T) * errors
    width_y_error = errors[:, 6] * rng.uniform(0.9, 1.1, n)
    return BeamSeries(
        x=true.x + shift[:, 0],
        y=true.y + shift[:, 1],
        z=true.z + shift[:, 2],
        sigma_z=true.sigma_z + shift[:, 3],
        dxdz=true.dxdz + shift[:, 4],
        dydz=true.dydz + shift[:, 5],
        width_x=true.width_x + shift[:, 6],
        width_y=true.width_y + rng.normal(0.0, 1.0, n) * width_y_error,
        errors=errors,
        width_y_error=width_y_error,
    )


def per_run_payloads(
    rng: np.random.Generator, calendar: RunCalendar, truth: BeamTruth, runs: Ints
) -> Callable[[int], Mapping[str, Any]]:
    """v2 payload values of one fit per run (at mid-run) for the run indices ``runs``."""
    middle = calendar.start[runs] + (calendar.end[runs] - calendar.start[runs]) // 2
    series = _measured(rng, truth.at(middle, runs), 0.5)
    covariance = series.covariance()
    return lambda i: series.values(i, covariance)


# --------------------------------------------------------------------------- PCL by lumi


def lumi_blocks(rng: np.random.Generator, calendar: RunCalendar, n_iovs: int) -> tuple[Ints, Ints]:
    """(run index, first lumisection) of ``n_iovs`` lumi blocks over all runs.

    Every run gets at least one block (starting at lumisection 1); the others
    are shared out in proportion to run length and start at random
    lumisections, like PCL fits of varying statistics.
    """
    ls = calendar.lumisections
    n_runs = ls.size
    if not n_runs <= n_iovs <= int(ls.sum()):
        raise ValueError(f"{n_iovs} lumi blocks do not fit {n_runs} runs")
    per_run = 1 + share(n_iovs - n_runs, (ls - 1).astype(np.float64))
    run_index = np.repeat(np.arange(n_runs, dtype=np.int64), per_run)
    first_ls = np.empty(n_iovs, dtype=np.int64)
    ends = np.cumsum(per_run)
    for r in range(n_runs):  # one draw per run
        extra = rng.choice(np.arange(2, ls[r] + 1), size=per_run[r] - 1, replace=False)
        first_ls[ends[r] - per_run[r] : ends[r]] = np.r_[1, np.sort(extra)]
    return run_index, first_ls


def pcl_by_lumi_tag(
    rng: np.random.Generator,
    calendar: RunCalendar,
    truth: BeamTruth,
    n_iovs: int,
    n_payloads: int,
) -> DemoTag:
    """The PCL tag: lumi-block IOVs, a payload repeated until the fit changes.

    Each run's IOVs are uploaded together, within hours of the run's end.
    """
    run_index, first_ls = lumi_blocks(rng, calendar, n_iovs)
    run_starts = np.flatnonzero(np.r_[True, run_index[1:] != run_index[:-1]])
    payload = change_points(rng, n_iovs, run_starts, n_payloads)
    first_iov = np.flatnonzero(np.r_[True, payload[1:] != payload[:-1]])
    when = calendar.lumi_start(run_index[first_iov], first_ls[first_iov])
    series = _measured(rng, truth.at(when, run_index[first_iov]), 1.0)
    covariance = series.covariance()
    delay = rng.uniform(0.75, 3.0, len(calendar)) * 3600
    uploaded = calendar.end + delay.astype("timedelta64[s]")
    since = (calendar.run[run_index].astype(np.uint64) << np.uint64(32)) | first_ls.astype(
        np.uint64
    )
    info = TagInfo(
        name=PCL_TAG,
        time_type=TimeType.LUMI,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="pcl",
        description="Beam spot fitted per lumi block by the prompt calibration loop (PCL); "
        "a payload is repeated until the fit changes significantly",
    )
    return DemoTag(
        info,
        IovTable(since, payload, uploaded[run_index]),
        n_payloads,
        lambda i: series.values(i, covariance),
    )


# --------------------------------------------------------------------------- by run


def by_run_tag(rng: np.random.Generator, calendar: RunCalendar, truth: BeamTruth) -> DemoTag:
    """One IOV per run, one payload per fill: the fill-averaged beam spot.

    Given the same truth as the PCL tag, the two tags agree within errors.
    Uploaded a day or two after each fill.
    """
    starts = calendar.fill_starts
    fill = calendar.fill_index
    last_run = np.r_[starts[1:], len(calendar)] - 1
    middle = calendar.start[starts] + (calendar.end[last_run] - calendar.start[starts]) // 2
    series = _measured(rng, truth.at(middle, starts), 0.25)
    covariance = series.covariance()
    delay = rng.uniform(18.0, 50.0, starts.size) * 3600
    uploaded = calendar.end[last_run] + delay.astype("timedelta64[s]")
    info = TagInfo(
        name=RUN_TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="offline",
        description="Fill-averaged beam spot for reprocessing: one IOV per run, "
        "one payload per LHC fill",
    )
    return DemoTag(
        info,
        IovTable(calendar.run.astype(np.uint64), fill, uploaded[fill]),
        int(starts.size),
        lambda i: series.values(i, covariance),
    )


# --------------------------------------------------------------------------- legacy


#: β* at CMS in 2016 (cm)
LEGACY_BETA_STAR_CM: Final = 40.0
LEGACY_FIRST_RUN: Final = 272_760
LEGACY_LAST_RUN: Final = 284_044
LEGACY_START: Final = np.datetime64("2016-05-10T00:00:00", "s")
LEGACY_END: Final = np.datetime64("2016-10-27T00:00:00", "s")


def legacy_tag(rng: np.random.Generator, n_iovs: int) -> DemoTag:
    """A 2016 run-based tag, as CMSSW 7.6 wrote it (boost 1.57; one width for both planes).

    Runs are spread over the 2016 proton run (they are not in RUN_INFO, as
    in a real database holding only recent run information).
    """
    runs = np.sort(
        rng.choice(np.arange(LEGACY_FIRST_RUN, LEGACY_LAST_RUN), n_iovs, replace=False)
    ).astype(np.uint64)
    frac = (runs - LEGACY_FIRST_RUN) / (LEGACY_LAST_RUN - LEGACY_FIRST_RUN)
    span = (LEGACY_END - LEGACY_START).astype(np.int64)
    run_time = LEGACY_START + (frac * span).astype(np.int64).astype("timedelta64[s]")
    uploaded = run_time + (rng.uniform(10.0, 40.0, n_iovs) * 3600).astype("timedelta64[s]")
    drift = np.cumsum(rng.normal(0.0, 1.0, (3, n_iovs)), axis=1) / np.sqrt(n_iovs)
    position = np.stack(
        [0.0680 + 0.002 * drift[0], 0.0960 + 0.002 * drift[1], -0.60 + 0.4 * drift[2]], axis=1
    )
    sigma_z = rng.uniform(3.5, 4.3, n_iovs)
    width = rng.uniform(0.0012, 0.0020, n_iovs)
    slopes = rng.normal(0.0, 1.0, (n_iovs, 2)) * np.array([2.0e-5, 1.5e-5]) + np.array(
        [-4.0e-5, 2.5e-5]
    )
    typical = np.array([2.0e-4, 2.0e-4, 0.04, 0.03, 3.0e-6, 3.0e-6, 6.0e-5])
    errors = typical[None, :] * rng.uniform(0.7, 1.4, (n_iovs, N_PARAMS))
    covariance = errors[:, :, None] * CORRELATION[None] * errors[:, None, :]

    def values(i: int) -> Mapping[str, Any]:
        # One fitted width for both planes, as the 2016 fits wrote it.
        width_error = errors[i, 6]
        return members(
            position=(position[i, 0], position[i, 1], position[i, 2]),
            sigma_z=sigma_z[i],
            slopes=(slopes[i, 0], slopes[i, 1]),
            widths=(width[i], width[i]),
            width_errors=(width_error, width_error),
            covariance=covariance[i],
            beta_star=LEGACY_BETA_STAR_CM,
        )

    info = TagInfo(
        name=LEGACY_TAG,
        time_type=TimeType.RUN,
        object_type=OBJECT_TYPE,
        version=0,
        synchronization="offline",
        description="2016 beam spot by run, written by CMSSW 7.6 (one fitted width for x and y)",
        release=LEGACY_RELEASE,
    )
    index = np.arange(n_iovs, dtype=np.int64)
    return DemoTag(info, IovTable(runs, index, uploaded.astype(DATETIME_DTYPE)), n_iovs, values)
