"""JetMET demo payloads: JER scale factors, JER resolutions and JEC, several eras.

Each function returns a payload's decoded form, the Python value the archive
decoder gives for the CMSSW class (docs/payload-schemas.md, "Decoded
values"), ready for ``encode(schema, value)``:

* :func:`jer_scale_factor_payload` and :func:`jer_resolution_payload`: a
  ``JME::JetResolutionObject`` (``m_definition``, ``m_records``, ``m_valid``);
* :func:`jec_payload`: a ``JetCorrectorParametersCollection`` with the levels
  CMS ships for an era (L1FastJet, L2Relative, L3Absolute, L2L3Residual for
  data, and an Uncertainty table).

The numbers are made up but shaped like the real ones: the η binning of the
Run 2/3 files (±5.191), scale factors of 1.05–1.2 in the barrel rising to
1.3–1.6 around |η| = 2.9, the NSC resolution formula of the JER files
(``sqrt([0]*abs([0])/(x*x)+[1]*[1]*pow(x,[3])+[2]*[2])``: ~10 % at 100 GeV,
worse with pile-up), L2Relative above 1 at low pT and forward, PUPPI jets
without pile-up offset.  Every value depends only on the seed, the era and
the jet type (never on call order), so tags stay stable as eras are added.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import TimeType
from inspector.demo.model import DATETIME_DTYPE, DemoTag, IovTable, TagInfo

__all__ = [
    "JEC_ERAS",
    "JER_ERAS",
    "JETS",
    "demo_tags",
    "jec_payload",
    "jec_tag",
    "jer_resolution_payload",
    "jer_scale_factor_payload",
    "jer_tag",
    "tag_names",
]

#: Eras of the demo JER tags (names in CMS's style; the numbers are invented).
JER_ERAS: Final = ("Summer22_22Sep2023_JRV1", "Summer22EE_22Sep2023_JRV1", "Summer23Prompt23_JRV1")
#: Eras of the demo JEC tags.
JEC_ERAS: Final = ("Summer22_22Sep2023_V2", "Summer22EE_22Sep2023_V2", "Summer23Prompt23_V1")
JETS: Final = ("AK4PFchs", "AK4PFPuppi")

RANGE: Final = np.dtype([("min", np.float32), ("max", np.float32)])
#: Positive η edges of the Run 2/3 JER and JEC files (mirrored for η < 0).
ETA_EDGES: Final = (0.0, 0.522, 0.783, 1.131, 1.305, 1.74, 1.93, 2.043, 2.322, 2.5)
ETA_EDGES_FORWARD: Final = (2.853, 2.964, 3.139, 5.191)
#: ρ bin edges of the resolution files [GeV].
RHO_EDGES: Final = (0.0, 6.69, 12.39, 18.09, 23.79, 29.49, 35.19, 40.9, 70.0)

RESOLUTION_FORMULA: Final = "sqrt([0]*abs([0])/(x*x)+[1]*[1]*pow(x,[3])+[2]*[2])"
L1_FORMULA: Final = "max(0.0001,1-(z/y)*([0]+([1]*(x-[2]))*(1+[3]*log(y))))"
L2_FORMULA: Final = (
    "[0]+([1]/(pow(log10(x),2)+[2]))+([3]*exp(-([4]*((log10(x)-[5])*(log10(x)-[5])))))"
)
RESIDUAL_FORMULA: Final = "[2]*([3]+[4]*TMath::Log(max([0],min([1],x))))"
#: JetCorrectorParametersCollection keys (Level_t).
L2_RELATIVE, L3_ABSOLUTE, L2L3_RESIDUAL, UNCERTAINTY, L1_FAST_JET = 1, 2, 8, 9, 10


def jer_tag(kind: str, era: str, jet: str) -> str:
    """The tag name CMS uses: ``JR_<era>_MC_<kind>_<jet>`` (kind SF or PtResolution)."""
    return f"JR_{era}_MC_{kind}_{jet}"


def jec_tag(era: str, jet: str, *, data: bool = False) -> str:
    """The tag name CMS uses: ``JetCorrectorParametersCollection_<era>_<DATA|MC>_<jet>``."""
    return f"JetCorrectorParametersCollection_{era}_{'DATA' if data else 'MC'}_{jet}"


def _rng(seed: int, *names: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])


def eta_edges() -> npt.NDArray[np.float64]:
    """The full η binning, −5.191 … 5.191."""
    half = np.array(ETA_EDGES + ETA_EDGES_FORWARD)
    return np.concatenate([-half[:0:-1], half])


def _ranges(*pairs: tuple[float, float]) -> npt.NDArray[Any]:
    return np.array([(float(a), float(b)) for a, b in pairs], dtype=RANGE)


def _f32(values: Any) -> npt.NDArray[np.float32]:
    return np.asarray(values, dtype=np.float32)


def _definition(bins: list[str], variables: list[str], formula: str) -> dict[str, Any]:
    return {"m_bins_name": bins, "m_variables_name": variables, "m_formula_str": formula}


def _sf_shape(abs_eta: float) -> float:
    """Typical data/MC JER scale factor at |η|: flat barrel, a peak near 2.9."""
    return 1.12 + 0.06 * abs_eta + 0.35 * float(np.exp(-(((abs_eta - 2.9) / 0.25) ** 2)))


def jer_scale_factor_payload(era: str, jet: str, *, seed: int = 1) -> dict[str, Any]:
    """JER data/MC scale factors vs η: nominal, down, up per η bin (no formula)."""
    rng = _rng(seed, "jer-sf", era, jet)
    edges = eta_edges()
    offset = rng.normal(0.0, 0.02)
    records = []
    for low, high in itertools.pairwise(edges):
        centre = abs((low + high) / 2)
        nominal = _sf_shape(centre) + offset + rng.normal(0.0, 0.015)
        spread = 0.03 + 0.04 * centre + rng.uniform(0.0, 0.02)
        down = nominal - spread * rng.uniform(0.8, 1.2)
        up = nominal + spread * rng.uniform(0.8, 1.2)
        records.append(
            {
                "m_bins_range": _ranges((low, high)),
                "m_variables_range": np.zeros(0, dtype=RANGE),
                "m_parameters_values": _f32(np.round([nominal, down, up], 4)),
            }
        )
    return {
        "m_definition": _definition(["JetEta"], [], ""),
        "m_records": records,
        "m_valid": True,
    }


def jer_resolution_payload(era: str, jet: str, *, seed: int = 1) -> dict[str, Any]:
    """JER pT resolution: NSC formula per (η, ρ) bin, pT from 15 GeV to the kinematic limit."""
    rng = _rng(seed, "jer-pt", era, jet)
    puppi = "Puppi" in jet
    edges = eta_edges()
    era_scale = rng.normal(1.0, 0.03)
    records = []
    for low, high in itertools.pairwise(edges):
        centre = abs((low + high) / 2)
        stochastic = (0.85 + 0.12 * centre) * era_scale + rng.normal(0.0, 0.02)
        constant = 0.035 + 0.012 * centre + rng.uniform(0.0, 0.01)
        exponent = -1.0 if puppi else -0.9 - 0.1 * rng.uniform()
        pt_max = float(np.float32(min(3000.0, 6500.0 / np.cosh(min(abs(low), abs(high))))))
        for rlow, rhigh in itertools.pairwise(RHO_EDGES):
            rho = (rlow + rhigh) / 2
            pileup = 0.1 if puppi else 0.25
            noise = (1.5 + 0.5 * centre + pileup * rho) * rng.normal(1.0, 0.05)
            noise *= rng.choice([-1.0, 1.0], p=[0.15, 0.85])  # [0]*abs([0]): signs occur
            params = [noise, stochastic * rng.normal(1.0, 0.02), constant, exponent]
            records.append(
                {
                    "m_bins_range": _ranges((low, high), (rlow, rhigh)),
                    "m_variables_range": _ranges((15.0, pt_max)),
                    "m_parameters_values": _f32(np.round(params, 5)),
                }
            )
    return {
        "m_definition": _definition(["JetEta", "Rho"], ["JetPt"], RESOLUTION_FORMULA),
        "m_records": records,
        "m_valid": True,
    }


def _jec_parameters(
    level: str, bins: list[str], variables: list[str], formula: str, rows: list[list[float]]
) -> dict[str, Any]:
    """One ``JetCorrectorParameters``: rows of (bin mins, bin maxs, parameters)."""
    n = len(bins)
    records = [
        {
            "mNvar": np.uint32(n),
            "mMin": _f32(row[:n]),
            "mMax": _f32(row[n : 2 * n]),
            "mParameters": _f32(row[2 * n :]),
        }
        for row in rows
    ]
    return {
        "mDefinitions": {
            "mIsResponse": False,
            "mLevel": level,
            "mFormula": formula,
            "mParVar": variables,
            "mBinVar": bins,
        },
        "mRecords": records,
        "valid_": True,
    }


def jec_payload(era: str, jet: str, *, seed: int = 1, data: bool = False) -> dict[str, Any]:
    """A ``JetCorrectorParametersCollection`` of one era and jet type (MC or data)."""
    rng = _rng(seed, "jec", era, jet, "data" if data else "mc")
    puppi = "Puppi" in jet
    bins = list(itertools.pairwise(eta_edges()))
    # one random stream, drawn level after level in this order: the payload is reproducible
    levels: list[tuple[np.int32, dict[str, Any]]] = [
        (np.int32(L1_FAST_JET), _l1_fast_jet(bins, rng, puppi)),
        (np.int32(L2_RELATIVE), _l2_relative(bins, rng, puppi)),
        (
            np.int32(L3_ABSOLUTE),
            _jec_parameters(
                "L3Absolute", ["JetEta"], ["JetPt"], "1", [[-5.191, 5.191, 4.0, 5000.0]]
            ),
        ),
    ]
    if data:
        levels.append((np.int32(L2L3_RESIDUAL), _residual(bins, rng)))
    levels.append((np.int32(UNCERTAINTY), _uncertainty(bins)))
    return {"corrections_": levels, "correctionsL5_": [], "correctionsL7_": []}


Bins = list[tuple[float, float]]


def _l1_fast_jet(bins: Bins, rng: np.random.Generator, puppi: bool) -> dict[str, Any]:
    """Pile-up offset vs ρ, pT and area per η bin (PUPPI needs none: formula 1)."""
    rows = []
    for low, high in bins:
        centre = abs((low + high) / 2)
        if puppi:
            rows.append([low, high, 0.0, 70.0, 1.0, 6500.0, 0.0, 10.0])
            continue
        offset = 0.4 + 0.3 * np.exp(-(((centre - 2.9) / 0.6) ** 2)) + rng.normal(0.0, 0.05)
        slope = 0.72 - 0.06 * centre + rng.normal(0.0, 0.03)
        rows.append([low, high, 0.0, 70.0, 1.0, 6500.0, 0.0, 10.0, offset, slope, 1.6, 0.03])
    return _jec_parameters(
        "L1FastJet",
        ["JetEta"],
        ["Rho", "JetPt", "JetA"],
        "1" if puppi else L1_FORMULA,
        [[float(v) for v in np.round(r, 5)] for r in rows],
    )


def _l2_relative(bins: Bins, rng: np.random.Generator, puppi: bool) -> dict[str, Any]:
    """The relative response vs pT per η bin, over the kinematic pT range of the bin."""
    rows = []
    for low, high in bins:
        centre = abs((low + high) / 2)
        pt_max = float(min(6500.0, 6500.0 / np.cosh(min(abs(low), abs(high)))))
        base = 0.96 + 0.02 * centre + rng.normal(0.0, 0.01)
        rise = 0.45 + 0.1 * centre + (0.1 if puppi else 0.0) + rng.normal(0.0, 0.03)
        bump = rng.normal(0.0, 0.015)
        row = [low, high, 10.0, pt_max, base, rise, 2.0, bump, 3.0, 2.0]
        rows.append([float(v) for v in np.round(row, 5)])
    return _jec_parameters("L2Relative", ["JetEta"], ["JetPt"], L2_FORMULA, rows)


def _residual(bins: Bins, rng: np.random.Generator) -> dict[str, Any]:
    """Data only: after the JetPt range, the clamp [0], [1], the scale [2] and
    1 + [4]·log(pT), written as [3] + [4]·log(pT) with [3] unity at pT = 208 GeV."""
    rows = []
    for low, high in bins:
        centre = abs((low + high) / 2)
        scale = 1.0 + 0.01 * centre + rng.normal(0.0, 0.01)
        slope = rng.normal(0.0, 0.004)
        row = [low, high, 10.0, 6500.0, 15.0, 3000.0, scale, 1.0 - slope * np.log(208.0), slope]
        rows.append([float(v) for v in np.round(row, 6)])
    return _jec_parameters("L2L3Residual", ["JetEta"], ["JetPt"], RESIDUAL_FORMULA, rows)


def _uncertainty(bins: Bins) -> dict[str, Any]:
    """Symmetric uncertainties at six pT points per η bin."""
    rows = []
    for low, high in bins:
        centre = abs((low + high) / 2)
        points = []
        for pt in (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0):
            u = 0.01 + 0.004 * centre + 0.2 / pt
            points += [pt, u, u]
        rows.append([float(v) for v in np.round([low, high, *points], 5)])
    return _jec_parameters("Uncertainty", ["JetEta"], ["JetPt"], '""', rows)


# --------------------------------------------------------------------------- tags

JER_OBJECT_TYPE: Final = "JME::JetResolutionObject"
JEC_OBJECT_TYPE: Final = "JetCorrectorParametersCollection"
#: When each era's conditions were uploaded (one IOV from run 1, as JME files hold them).
UPLOADED: Final = {
    era: np.datetime64(day, "s")
    for era, day in zip(
        JER_ERAS, ("2023-11-20T10:00:00", "2024-01-15T10:00:00", "2024-04-09T12:33:31"), strict=True
    )
} | {
    era: np.datetime64(day, "s")
    for era, day in zip(
        JEC_ERAS, ("2023-11-02T09:00:00", "2024-01-08T09:00:00", "2024-03-21T09:00:00"), strict=True
    )
}


def tag_names() -> list[str]:
    """Every JetMET demo tag, in build order."""
    jer = [jer_tag(k, e, j) for e in JER_ERAS for j in JETS for k in ("SF", "PtResolution")]
    return jer + [jec_tag(e, j) for e in JEC_ERAS for j in JETS]


def demo_tags(seed: int) -> Iterator[DemoTag]:
    """JER (scale factor, resolution) and JEC tags of every era and jet type: one IOV each."""
    for era in JER_ERAS:
        for jet in JETS:
            for kind, make in (
                ("SF", jer_scale_factor_payload),
                ("PtResolution", jer_resolution_payload),
            ):
                what = "data/MC scale factors" if kind == "SF" else "pT resolution in MC"
                yield _one_iov(
                    TagInfo(
                        jer_tag(kind, era, jet),
                        TimeType.RUN,
                        JER_OBJECT_TYPE,
                        0,
                        "any",
                        f"JER {what}, {era}, {jet} jets",
                    ),
                    UPLOADED[era],
                    make(era, jet, seed=seed),
                )
    for era in JEC_ERAS:
        for jet in JETS:
            yield _one_iov(
                TagInfo(
                    jec_tag(era, jet),
                    TimeType.RUN,
                    JEC_OBJECT_TYPE,
                    0,
                    "any",
                    f"Jet energy corrections {era}, {jet} jets (MC)",
                ),
                UPLOADED[era],
                jec_payload(era, jet, seed=seed),
            )


def _one_iov(info: TagInfo, uploaded: np.datetime64, payload: dict[str, Any]) -> DemoTag:
    table = IovTable(
        np.array([1], np.uint64), np.array([0], np.int64), np.array([uploaded], DATETIME_DTYPE)
    )
    return DemoTag(info, table, 1, lambda i: payload)
