"""JetMET conditions evaluated as CMSSW evaluates them: JER scale factors and resolutions, JEC.

Two CMSSW payload types (layouts in ``payload_schemas/``):

``JME::JetResolutionObject`` (JER)
    A definition (binning variables, formula variables, a TFormula text) and
    records, each with the ranges of its bins and of its variables and its
    parameters.  Resolutions have a formula of the variables (pT); scale
    factors have none and three parameters per record: nominal, down, up.
``JetCorrectorParametersCollection`` (JEC)
    One ``JetCorrectorParameters`` per correction level (L1FastJet,
    L2Relative, ...): bin ranges per record, then the record's parameters,
    the first two per formula variable being that variable's range.

Evaluation follows CMSSW exactly, read from cms-sw/cmssw
(CondFormats/JetMETObjects/src/JetResolutionObject.cc @ 7a0ab891c0ee,
JetCorrectorParametersHelper.cc @ 13f99c9c75a9, SimpleJetCorrector.cc @
17e413f4ef79, JetCorrectorParameters.cc @ ee711360ee93):

* every input is a C++ ``float`` (float32) as ``JME::JetParameters`` and the
  JEC correctors hold them; ``JetEta`` also sets ``JetAbsEta = |η|``;
* JER: the record is the **first** whose every bin contains the value,
  bounds included (``Range::is_inside``); each formula variable is clipped
  to the record's variable range; the formula gets the record's parameters;
* JEC, one level as ``SimpleJetCorrector`` evaluates it: the record is found
  as ``JetCorrectorParametersHelper::binIndexN`` does (up to three binning
  variables: the bin whose lower edge is the last one at or below the value,
  the last bin closed above; more variables: the first record with
  ``min <= value < max``); each formula variable is clipped to the range held
  in the record's first parameters, and the formula gets the rest;
* formulas are evaluated in double (:mod:`inspector.formula`, CMSSW's
  ``reco::FormulaEvaluator`` whitelist) and returned as float.

Where CMSSW answers 1 for a jet outside every record, the evaluation functions
return ``missing`` (the drawers in ``inspector_plugins.jetmet`` show NaN and a note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.errors import BadRequest
from inspector.formula import parse

JER_TYPE: Final = "JME::JetResolutionObject"
JEC_TYPE: Final = "JetCorrectorParametersCollection"

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: JME::JetParameters binning names (JetResolutionObject.cc, binning_to_string).
JER_NAMES: Final = ("JetPt", "JetEta", "JetAbsEta", "JetE", "JetArea", "Mu", "Rho", "NPV")

#: JetCorrectorParametersCollection level labels, indexed by key (Level_t).
LEVELS: Final = (
    "L1Offset",
    "L2Relative",
    "L3Absolute",
    "L4EMF",
    "L5Flavor",
    "L6UE",
    "L7Parton",
    "L1JPTOffset",
    "L2L3Residual",
    "Uncertainty",
    "L1FastJet",
    "UncertaintyAbsolute",
    "UncertaintyHighPtExtra",
    "UncertaintySinglePionECAL",
    "UncertaintyFlavor",
    "UncertaintyTime",
    "UncertaintyRelativeJEREC1",
    "UncertaintyRelativeJEREC2",
    "UncertaintyRelativeJERHF",
    "UncertaintyRelativeStatEC2",
    "UncertaintyRelativeStatHF",
    "UncertaintyRelativeFSR",
    "UncertaintyPileUpDataMC",
    "UncertaintyPileUpOOT",
    "UncertaintyPileUpPtBB",
    "UncertaintyPileUpBias",
    "UncertaintyPileUpJetRate",
    "UncertaintySinglePionHCAL",
    "UncertaintyRelativePtEC1",
    "UncertaintyRelativePtEC2",
    "UncertaintyRelativePtHF",
    "UncertaintyRelativeSample",
    "UncertaintyPileUpPtEC",
    "UncertaintyPileUpPtHF",
    "L1RC",
    "L1Residual",
    "UncertaintyAux3",
    "UncertaintyAux4",
)
L5_FLAVORS: Final = tuple(f"L5Flavor_{s}" for s in ("bJ", "cJ", "qJ", "gJ", "bT", "cT", "qT", "gT"))
L7_PARTONS: Final = tuple(
    f"L7Parton_{s}" for s in ("gJ", "qJ", "cJ", "bJ", "jJ", "qT", "cT", "bT", "tT")
)
#: The levels jetmet.jec_correction draws (uncertainty levels are not corrections).
CORRECTION_LEVELS: Final = (
    "L1Offset",
    "L1FastJet",
    "L1JPTOffset",
    "L1RC",
    "L1Residual",
    "L2Relative",
    "L3Absolute",
    "L2L3Residual",
    "L4EMF",
    "L5Flavor",
    *L5_FLAVORS,
    "L6UE",
    "L7Parton",
    *L7_PARTONS,
)
#: JEC variable names the drawers set (FactorizedJetCorrectorCalculator names).
JEC_NAMES: Final = ("JetPt", "JetEta", "JetE", "JetA", "Rho")


def level_label(key: int) -> str:
    """The label of a collection key, as ``JetCorrectorParametersCollection::findLabel``."""
    if key == 4 or (key // 100 > 0 and key // 1000 == 0):  # isL5
        return "L5Flavor" if key == 4 else _indexed(L5_FLAVORS, key // 100 - 1, key)
    if key == 6 or key // 1000 > 0:  # isL7
        return "L7Parton" if key == 6 else _indexed(L7_PARTONS, key // 1000 - 1, key)
    return _indexed(LEVELS, key, key)


def _indexed(names: tuple[str, ...], i: int, key: int) -> str:
    return names[i] if 0 <= i < len(names) else f"key {key}"


def float32s(values: Any) -> F32:
    return np.asarray(values, dtype=np.float32)


def _ranges(value: Any) -> tuple[F32, F32]:
    """min and max of a decoded ``std::vector<Range>`` (a structured array)."""
    array = np.asarray(value)
    if array.size == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return float32s(array["min"]), float32s(array["max"])


def _padded(rows: Sequence[F32], width: int | None = None) -> F32:
    """Rows of different lengths as one float32 matrix, NaN-padded."""
    width = max((r.size for r in rows), default=0) if width is None else width
    out = np.full((len(rows), width), np.nan, dtype=np.float32)
    for i, row in enumerate(rows):
        out[i, : row.size] = row
    return out


def jet_values(
    pt: npt.ArrayLike,
    eta: npt.ArrayLike,
    *,
    rho: npt.ArrayLike = 0.0,
    area: npt.ArrayLike = 0.5,
) -> dict[str, F32]:
    """Values of every binning and variable name for jets, as float32 arrays.

    Arguments broadcast together.  ``JetEta`` comes with ``JetAbsEta``
    (``JetParameters::setJetEta``), ``JetE`` is the massless-jet energy
    pT·cosh(η), ``JetArea`` (JER's name) and ``JetA`` (JEC's) the jet area.
    """
    pt64, eta64, rho64, area64 = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (pt, eta, rho, area))
    )
    return {
        "JetPt": float32s(pt64),
        "JetEta": float32s(eta64),
        "JetAbsEta": np.abs(float32s(eta64)),
        "JetE": float32s(pt64 * np.cosh(eta64)),
        "JetArea": float32s(area64),
        "JetA": float32s(area64),
        "Rho": float32s(rho64),
    }


def take_inputs(values: Mapping[str, F32], names: Sequence[str], what: str) -> list[F32]:
    missing = [n for n in names if n not in values]
    if missing:
        raise BadRequest(
            f"the payload's {what} need {', '.join(map(repr, missing))}, which this drawer "
            f"does not set (it sets {', '.join(sorted(values))})"
        )
    return [float32s(values[n]) for n in names]


# -- JER -------------------------------------------------------------------------


@dataclass(frozen=True)
class JerTable:
    """A decoded ``JME::JetResolutionObject`` as arrays, one row per record."""

    bins: tuple[str, ...]
    variables: tuple[str, ...]
    formula: str
    valid: bool
    bin_min: F32  # (records, bins)
    bin_max: F32
    var_min: F32  # (records, variables)
    var_max: F32
    params: F32  # (records, parameters), NaN-padded
    n_params: npt.NDArray[np.int64]  # (records,)

    @property
    def is_scale_factor(self) -> bool:
        """Scale factors have no formula; resolutions have one."""
        return self.formula == ""


def jer_table(payload: Mapping[str, Any]) -> JerTable:
    """Arrays of a decoded JER payload (``m_definition``, ``m_records``, ``m_valid``)."""
    definition = payload["m_definition"]
    bins = tuple(str(b) for b in definition["m_bins_name"])
    variables = tuple(str(v) for v in definition["m_variables_name"])
    records = list(payload["m_records"])
    bmin, bmax, vmin, vmax, params = [], [], [], [], []
    for record in records:
        lo, hi = _ranges(record["m_bins_range"])
        bmin.append(lo)
        bmax.append(hi)
        lo, hi = _ranges(record["m_variables_range"])
        vmin.append(lo)
        vmax.append(hi)
        params.append(float32s(record["m_parameters_values"]).reshape(-1))
    return JerTable(
        bins=bins,
        variables=variables,
        formula=str(definition["m_formula_str"]),
        valid=bool(payload["m_valid"]),
        bin_min=_padded(bmin, len(bins)),
        bin_max=_padded(bmax, len(bins)),
        var_min=_padded(vmin, len(variables)),
        var_max=_padded(vmax, len(variables)),
        params=_padded(params),
        n_params=np.array([p.size for p in params], dtype=np.int64),
    )


def jer_records(table: JerTable, values: Mapping[str, F32]) -> I64:
    """Index of each jet's record, -1 for none (``JetResolutionObject::getRecord``).

    The first record whose every bin contains the jet's value (bounds
    included); an invalid payload has no records.
    """
    columns = take_inputs(values, table.bins, "bins")
    n = np.broadcast_shapes(*(c.shape for c in columns)) if columns else (1,)
    if not table.valid or table.bin_min.shape[0] == 0:
        return np.full(n, -1, dtype=np.int64)
    inside = np.ones((*n, table.bin_min.shape[0]), dtype=bool)
    for j, column in enumerate(columns):
        v = np.broadcast_to(column, n)[..., None]
        inside &= (v >= table.bin_min[:, j]) & (v <= table.bin_max[:, j])
    found = inside.any(axis=-1)
    return np.where(found, inside.argmax(axis=-1), -1).astype(np.int64)


def jer_scale_factors(table: JerTable, values: Mapping[str, F32], *, missing: float = 1.0) -> F32:
    """(nominal, down, up) scale factor of each jet (``JetResolutionScaleFactor``).

    Shape ``(n, 3)``; a jet outside every record gets ``missing`` (CMSSW: 1),
    a record with fewer than three parameters NaN for those it lacks.
    """
    index = jer_records(table, values)
    out = np.full((*index.shape, 3), np.float32(missing), dtype=np.float32)
    found = index >= 0
    width = min(3, table.params.shape[1])
    out[found, :width] = table.params[index[found], :width]
    out[found, width:] = np.nan
    return out


def jer_formula_values(table: JerTable, values: Mapping[str, F32], *, missing: float = 1.0) -> F32:
    """The record formula of each jet (``JetResolution::getResolution``), as float32.

    Variables are clipped to the record's variable ranges; a jet outside
    every record gets ``missing`` (CMSSW: 1), as does every jet of a payload
    without a formula or marked invalid.
    """
    index = jer_records(table, values)
    out = np.full(index.shape, np.float32(missing), dtype=np.float32)
    found = index >= 0
    if not table.formula or not found.any():
        return out
    formula = parse(table.formula)
    rows = index[found]
    columns = take_inputs(values, table.variables, "formula variables")
    variables = []
    for j, column in enumerate(columns):
        v = np.broadcast_to(column, index.shape)[found]
        clipped = np.maximum(table.var_min[rows, j], np.minimum(v, table.var_max[rows, j]))
        variables.append(clipped.astype(np.float64))
    params = table.params[rows].astype(np.float64)
    out[found] = formula.evaluate(params, variables).astype(np.float32)
    return out


# -- JEC -------------------------------------------------------------------------


@dataclass(frozen=True)
class JecLevel:
    """One decoded ``JetCorrectorParameters`` as arrays, one row per record."""

    level: str  # the collection's label for the key
    definition_level: str  # mLevel, as the text file named it
    bins: tuple[str, ...]
    variables: tuple[str, ...]
    formula: str
    valid: bool
    bin_min: F32  # (records, bins)
    bin_max: F32
    params: F32  # (records, parameters), NaN-padded: 2 per variable, then the formula's
    n_params: npt.NDArray[np.int64]

    @property
    def is_uncertainty(self) -> bool:
        """Uncertainty levels carry tables, not a correction formula."""
        return self.level.startswith("Uncertainty") or self.formula.strip() in ('""', "")


def jec_level(label: str, parameters: Mapping[str, Any]) -> JecLevel:
    """Arrays of one decoded ``JetCorrectorParameters``."""
    definition = parameters["mDefinitions"]
    bins = tuple(str(b) for b in definition["mBinVar"])
    records = list(parameters["mRecords"])
    params = [float32s(r["mParameters"]).reshape(-1) for r in records]
    return JecLevel(
        level=label,
        definition_level=str(definition["mLevel"]),
        bins=bins,
        variables=tuple(str(v) for v in definition["mParVar"]),
        formula=str(definition["mFormula"]),
        valid=bool(parameters["valid_"]),
        bin_min=_padded([float32s(r["mMin"]).reshape(-1) for r in records], len(bins)),
        bin_max=_padded([float32s(r["mMax"]).reshape(-1) for r in records], len(bins)),
        params=_padded(params),
        n_params=np.array([p.size for p in params], dtype=np.int64),
    )


def jec_levels(payload: Mapping[str, Any]) -> dict[str, JecLevel]:
    """Every level of a decoded collection by label, in ``validKeys`` order."""
    out: dict[str, JecLevel] = {}
    for member in ("corrections_", "correctionsL5_", "correctionsL7_"):
        for key, parameters in payload[member]:
            label = level_label(int(key))
            out.setdefault(label, jec_level(label, parameters))  # operator[]: first match
    return out


def _unique_in_order(values: F32) -> F32:
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)]


def _bin_index_n(level: JecLevel, point: Sequence[np.float32]) -> int:
    """``JetCorrectorParametersHelper::binIndexN`` for one point (2 or 3 bins)."""
    mins, maxs = level.bin_min, level.bin_max
    size = len(level.bins)
    found: list[np.float32] = []
    for d in range(size - 1):
        boundaries = _unique_in_order(mins[:, d])
        if not (boundaries[0] <= point[d] <= maxs[-1, d]):
            return -1
        found.append(boundaries[np.searchsorted(boundaries, point[d], side="right") - 1])
    # the block of records sharing these lower edges (the helper's mMap): consecutive
    # records, a block ending where the lower edge of the last-but-one variable changes
    last = size - 1
    starts = np.flatnonzero(np.r_[True, mins[1:, last - 1] != mins[:-1, last - 1]])
    ends = np.r_[starts[1:] - 1, mins.shape[0] - 1]
    block = None
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if all(mins[end, k] == found[k] for k in range(last)):
            block = (start, end)
            break  # emplace keeps the first block under a key
    if block is None:
        return -1
    start, end = block
    v = point[last]
    if not (mins[start, last] <= v <= maxs[end, last]):
        return -1
    edges = mins[start : end + 1, last]
    found.append(edges[np.searchsorted(edges, v, side="right") - 1])
    match = np.flatnonzero(np.all(mins == np.array(found, dtype=np.float32), axis=1))
    return int(match[0]) if match.size else -1


def jec_records(level: JecLevel, values: Mapping[str, F32]) -> I64:
    """Index of each jet's record, -1 for none, as ``SimpleJetCorrector`` finds it."""
    columns = take_inputs(values, level.bins, "bins")
    n = np.broadcast_shapes(*(c.shape for c in columns)) if columns else (1,)
    records = level.bin_min.shape[0]
    if records == 0 or not columns:
        return np.full(n, -1, dtype=np.int64)
    cols = [np.broadcast_to(c, n).reshape(-1) for c in columns]
    if len(cols) == 1:
        # binIndexN with one variable: the last lower edge at or below the value
        # (every record's edge, in record order), then the first record with that edge
        edges = level.bin_min[:, 0]
        v = cols[0]
        inside = (v >= edges[0]) & (v <= level.bin_max[-1, 0])
        at = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, records - 1)
        first = np.searchsorted(edges, edges[at], side="left")
        return np.where(inside, first, -1).astype(np.int64).reshape(n)
    if len(cols) <= 3:
        points = np.stack(cols, axis=1)
        unique, inverse = np.unique(points, axis=0, return_inverse=True)
        per_unique = np.array([_bin_index_n(level, tuple(u)) for u in unique], dtype=np.int64)
        return per_unique[inverse.reshape(-1)].reshape(n)
    # JetCorrectorParameters::binIndex: the first record with min <= value < max everywhere
    inside = np.ones((cols[0].size, records), dtype=bool)
    for j, v in enumerate(cols):
        inside &= (v[:, None] >= level.bin_min[:, j]) & (v[:, None] < level.bin_max[:, j])
    found = inside.any(axis=1)
    return np.where(found, inside.argmax(axis=1), -1).astype(np.int64).reshape(n)


def jec_correction(level: JecLevel, values: Mapping[str, F32], *, missing: float = 1.0) -> F32:
    """The level's correction factor of each jet (``SimpleJetCorrector::correction``).

    Without interpolation, as FactorizedJetCorrector runs it: the record's
    first ``2 × variables`` parameters are the variables' ranges (each
    variable clipped to its range), the rest the formula's parameters.  A
    jet outside every record gets ``missing`` (CMSSW: 1).
    """
    if level.is_uncertainty:
        raise BadRequest(
            f"level {level.level} holds uncertainties, not a correction: no formula to draw"
        )
    index = jec_records(level, values)
    out = np.full(index.shape, np.float32(missing), dtype=np.float32)
    found = index >= 0
    if not found.any():
        return out
    formula = parse(level.formula)
    rows = index[found]
    columns = take_inputs(values, level.variables, "formula variables")
    n_vars = len(level.variables)
    variables = []
    for j, column in enumerate(columns):
        v = np.broadcast_to(column, index.shape)[found]
        lo, hi = level.params[rows, 2 * j], level.params[rows, 2 * j + 1]
        clipped = np.where(v < lo, lo, np.where(v > hi, hi, v))
        variables.append(clipped.astype(np.float64))
    params = level.params[rows, 2 * n_vars :].astype(np.float64)
    out[found] = formula.evaluate(params, variables).astype(np.float32)
    return out
