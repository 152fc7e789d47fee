"""Built-in drawers for JetMET conditions: JER scale factors and resolutions, JEC.

The evaluation (which record, which formula, float32 inputs, as CMSSW does)
is :mod:`inspector.cmssw.jetmet_evaluation`; these drawers turn it into plots,
compare two IOVs or tags, and explain, in notes, jets outside every record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.cmssw.jetmet_evaluation import (
    CORRECTION_LEVELS,
    F32,
    F64,
    I64,
    JEC_TYPE,
    JER_TYPE,
    JecLevel,
    JerTable,
    float32s,
    jec_correction,
    jec_levels,
    jec_records,
    jer_formula_values,
    jer_records,
    jer_scale_factors,
    jer_table,
    jet_values,
    take_inputs,
)
from inspector.drawers import Drawer, Param, ParamValue, drawer
from inspector.errors import BadRequest, InvalidParameter
from inspector.plots import Scatter
from inspector.plugin import hookimpl

# -- Drawers ---------------------------------------------------------------------

ETA: Final = Param.float("eta", 0.0, minimum=-10.0, maximum=10.0, help="jet η")
RHO: Final = Param.float(
    "rho", 20.0, minimum=0.0, maximum=500.0, help="pile-up energy density ρ [GeV]"
)
AREA: Final = Param.float("area", 0.5, minimum=0.0, maximum=10.0, help="jet area (JEC L1)")
PT: Final = Param.float(
    "pt", 100.0, minimum=0.0, maximum=1e5, help="jet pT [GeV], for scale factors binned in pT"
)
PT_MIN: Final = Param.float("pt_min", 10.0, minimum=0.1, maximum=1e5, help="first pT [GeV]")
PT_MAX: Final = Param.float("pt_max", 3000.0, minimum=0.1, maximum=1e5, help="last pT [GeV]")
POINTS: Final = Param.int("points", 200, minimum=2, maximum=5000, help="pT points (log-spaced)")
MODE: Final = Param.choice(
    "mode", ["ratio", "difference"], help="second / first, or second − first"
)
LEVEL: Final = Param.choice("level", CORRECTION_LEVELS, "L2Relative", help="JEC correction level")
#: The colour of each scale-factor point: JetResolutionScaleFactor's Variation.
VARIATIONS: Final = {"nominal": 0.0, "down": -1.0, "up": 1.0}
VARIATION_LABEL: Final = "variation (−1 down, 0 nominal, +1 up)"


def pt_grid(params: Mapping[str, ParamValue]) -> F32:
    """``points`` log-spaced pT values from ``pt_min`` to ``pt_max``, as float32."""
    low, high = float(params["pt_min"]), float(params["pt_max"])
    if high <= low:
        raise InvalidParameter("pt_max", f"{high:g} must be above pt_min ({low:g})")
    return float32s(np.geomspace(low, high, int(params["points"])))


class Undrawable(Exception):
    """The payload holds nothing this drawer shows; the plot says why instead.

    Tag pages link every drawer of a payload type, and one JER type holds both
    scale factors and resolutions: such a link answers with an empty plot whose
    note names the drawer to use, not with an error.
    """


def explains(func: Callable[..., Scatter]) -> Callable[..., Scatter]:
    """Turn :class:`Undrawable` into an empty Scatter carrying the reason as its note."""

    @functools.wraps(func)
    def drawn(*args: Any) -> Scatter:
        try:
            return func(*args)
        except Undrawable as exc:
            empty = np.zeros(0)
            title = (func.__doc__ or "").splitlines()[0].rstrip(".")
            return Scatter(title=title, x=empty, y=empty, notes=(str(exc),))

    return drawn


def _scale_factor_table(payload: Mapping[str, Any]) -> JerTable:
    table = jer_table(payload)
    if not table.is_scale_factor:
        raise Undrawable(
            f"this JER payload is a resolution (formula {table.formula}), not scale "
            "factors: draw it with jetmet.jer_resolution"
        )
    return table


def _resolution_table(payload: Mapping[str, Any]) -> JerTable:
    table = jer_table(payload)
    if table.is_scale_factor:
        raise Undrawable(
            "this JER payload holds scale factors (no formula), not a resolution: "
            "draw it with jetmet.jer_scale_factor"
        )
    return table


def _eta_axis(table: JerTable) -> str:
    for name in ("JetEta", "JetAbsEta"):
        if name in table.bins:
            return name
    raise BadRequest(
        f"this JER payload is binned in {', '.join(table.bins) or 'nothing'}, not in η"
    )


def eta_bins(table: JerTable, params: Mapping[str, ParamValue]) -> tuple[F64, F64]:
    """Low and high η edges of the records that hold jets of the chosen pT (and ρ)."""
    axis = _eta_axis(table)
    values = jet_values(float(params["pt"]), 0.0, rho=float(params["rho"]))
    keep = np.ones(table.bin_min.shape[0], dtype=bool)
    for j, name in enumerate(table.bins):
        if name in ("JetEta", "JetAbsEta"):
            continue
        v = take_inputs(values, [name], "bins")[0][0]
        keep &= (table.bin_min[:, j] <= v) & (v <= table.bin_max[:, j])
    j = table.bins.index(axis)
    pairs = np.unique(np.stack([table.bin_min[keep, j], table.bin_max[keep, j]], axis=1), axis=0)
    return pairs[:, 0].astype(np.float64), pairs[:, 1].astype(np.float64)


def _scale_factors_at(table: JerTable, eta: F64, params: Mapping[str, ParamValue]) -> F32:
    values = jet_values(float(params["pt"]), eta, rho=float(params["rho"]))
    return jer_scale_factors(table, values, missing=np.nan)


def _eta_notes(table: JerTable, params: Mapping[str, ParamValue], n: int) -> list[str]:
    notes = [f"{n} η bins" + (" (|η|)" if _eta_axis(table) == "JetAbsEta" else "")]
    if "JetPt" in table.bins:
        notes.append(f"scale factors binned in pT too: shown at pT = {float(params['pt']):g} GeV")
    if "Rho" in table.bins:
        notes.append(f"binned in ρ too: shown at ρ = {float(params['rho']):g} GeV")
    if not table.valid:
        notes.append("the payload is marked invalid (m_valid false): CMSSW gives 1 for every jet")
    return notes


def _variations(x: F64, values: npt.NDArray[Any]) -> tuple[F64, npt.NDArray[Any], F64]:
    """Scatter columns: every x once per variation, coloured by it."""
    codes = np.array(list(VARIATIONS.values()))
    return np.tile(x, 3), values.T.reshape(-1), np.repeat(codes, x.size)


@drawer(
    "jetmet.jer_scale_factor",
    title="JER scale factor vs η",
    payload_types=JER_TYPE,
    kind="single",
    x_label="η",
    y_label="data/MC resolution scale factor",
    params=[PT, RHO],
)
@explains
def jer_scale_factor(payload: Mapping[str, Any], params: Mapping[str, ParamValue]) -> Scatter:
    """JER data/MC scale factor per η bin with its down and up variations."""
    table = _scale_factor_table(payload)
    low, high = eta_bins(table, params)
    centres = (low + high) / 2
    sf = _scale_factors_at(table, centres, params)  # float32: plots keep its decimal value
    x, y, colour = _variations(centres, sf)
    axis = "|η|" if _eta_axis(table) == "JetAbsEta" else "η"
    return Scatter(
        title=f"JER scale factor vs {axis}",
        x=x,
        y=y,
        colour=colour,
        x_label=f"{axis} (bin centre)",
        y_label="scale factor",
        colour_label=VARIATION_LABEL,
        notes=tuple(_eta_notes(table, params, centres.size)),
    )


def _combine(mode: str, first: F64, second: F64) -> F64:
    with np.errstate(divide="ignore", invalid="ignore"):
        return second / first if mode == "ratio" else second - first


def _compare_vs_pt(
    params: Mapping[str, ParamValue],
    quantity: str,
    labels: tuple[str, str],
    at: str,
    grid: F32,
    a: F32,
    b: F32,
) -> Scatter:
    """The ratio (or difference, by ``mode``) of two curves over one pT grid."""
    mode = str(params["mode"])
    return Scatter(
        title=f"{_compare_label(mode, quantity, labels)} ({at})",
        x=grid,
        y=_combine(mode, a.astype(np.float64), b.astype(np.float64)),
        x_label="pT",
        x_unit="GeV",
        y_label="ratio" if mode == "ratio" else "difference",
    )


def _compare_label(mode: str, quantity: str, labels: tuple[str, str]) -> str:
    sign = "/" if mode == "ratio" else "−"
    return f"{quantity}: {labels[1]} {sign} {labels[0]}"


@drawer(
    "jetmet.jer_scale_factor_compare",
    title="JER scale factors: two IOVs or tags",
    payload_types=JER_TYPE,
    kind="compare",
    x_label="η",
    params=[MODE, PT, RHO],
)
@explains
def jer_scale_factor_compare(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Scatter:
    """Ratio (or difference) of two JER scale factor sets per η bin, for each variation."""
    tables = (_scale_factor_table(first), _scale_factor_table(second))
    axes = {_eta_axis(t) for t in tables}
    if len(axes) > 1:
        raise BadRequest("one payload is binned in η, the other in |η|: they cannot be compared")
    bins = [eta_bins(t, params) for t in tables]
    edges = np.unique(np.concatenate([np.concatenate(b) for b in bins]))
    centres = (edges[:-1] + edges[1:]) / 2
    covered = np.zeros(centres.size, dtype=bool)
    for low, high in bins:
        covered |= ((centres[:, None] >= low) & (centres[:, None] <= high)).any(axis=1)
    centres = centres[covered]
    a, b = (_scale_factors_at(t, centres, params).astype(np.float64) for t in tables)
    mode = str(params["mode"])
    x, y, colour = _variations(centres, _combine(mode, a, b))
    missing = int(np.isnan(a[:, 0]).sum() + np.isnan(b[:, 0]).sum())
    notes = [f"{centres.size} η segments (the bin edges of both payloads)"]
    if missing:
        notes.append(f"{missing} segment values have no record in one payload: no value")
    return Scatter(
        title=_compare_label(mode, "JER scale factor", labels),
        x=x,
        y=y,
        colour=colour,
        x_label=f"{axes.pop().replace('JetAbsEta', '|η|').replace('JetEta', 'η')} (segment centre)",
        y_label="ratio" if mode == "ratio" else "difference",
        colour_label=VARIATION_LABEL,
        notes=tuple(notes),
    )


def _record_note(table: JerTable, index: I64) -> list[str]:
    used = np.unique(index[index >= 0])
    notes = []
    if used.size == 1:
        r = int(used[0])
        bins = ", ".join(
            f"{n} [{table.bin_min[r, j]:g}, {table.bin_max[r, j]:g}]"
            for j, n in enumerate(table.bins)
        )
        clip = ", ".join(
            f"{n} clipped to [{table.var_min[r, j]:g}, {table.var_max[r, j]:g}]"
            for j, n in enumerate(table.variables)
        )
        notes.append(f"record {r}: {bins}" + (f"; {clip}" if clip else ""))
    elif used.size > 1:
        notes.append(f"{used.size} records")
    outside = int((index < 0).sum())
    if outside:
        notes.append(f"{outside} points are outside every record: no value (CMSSW gives 1)")
    if not table.valid:
        notes.append("the payload is marked invalid (m_valid false): CMSSW gives 1 for every jet")
    return notes


def _resolution(table: JerTable, grid: F32, params: Mapping[str, ParamValue]) -> F32:
    values = jet_values(grid, float(params["eta"]), rho=float(params["rho"]))
    return jer_formula_values(table, values, missing=np.nan)


def _at(params: Mapping[str, ParamValue], *names: str) -> str:
    symbols = {"eta": "η", "rho": "ρ", "area": "area"}
    return ", ".join(f"{symbols[n]} = {float(params[n]):g}" for n in names)


@drawer(
    "jetmet.jer_resolution",
    title="JER resolution vs pT",
    payload_types=JER_TYPE,
    kind="single",
    x_label="pT [GeV]",
    y_label="resolution",
    params=[ETA, RHO, PT_MIN, PT_MAX, POINTS],
)
@explains
def jer_resolution(payload: Mapping[str, Any], params: Mapping[str, ParamValue]) -> Scatter:
    """Jet resolution from the record's formula vs pT, at a chosen η and ρ."""
    table = _resolution_table(payload)
    grid = pt_grid(params)
    values = jet_values(grid, float(params["eta"]), rho=float(params["rho"]))
    index = jer_records(table, values)
    return Scatter(
        title=f"Jet resolution vs pT ({_at(params, 'eta', 'rho')})",
        x=grid,
        y=jer_formula_values(table, values, missing=np.nan),
        x_label="pT",
        x_unit="GeV",
        y_label="resolution",
        notes=(f"formula {table.formula}", *_record_note(table, index)),
    )


@drawer(
    "jetmet.jer_resolution_compare",
    title="JER resolutions: two IOVs or tags",
    payload_types=JER_TYPE,
    kind="compare",
    x_label="pT [GeV]",
    params=[MODE, ETA, RHO, PT_MIN, PT_MAX, POINTS],
)
@explains
def jer_resolution_compare(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Scatter:
    """Ratio (or difference) of two jet resolutions vs pT, at a chosen η and ρ."""
    grid = pt_grid(params)
    a, b = (_resolution(_resolution_table(p), grid, params) for p in (first, second))
    return _compare_vs_pt(params, "Jet resolution", labels, _at(params, "eta", "rho"), grid, a, b)


def _jec(payload: Mapping[str, Any], params: Mapping[str, ParamValue]) -> JecLevel:
    levels = jec_levels(payload)
    name = str(params["level"])
    if name not in levels:
        held = ", ".join(levels) if levels else "no level (an empty collection)"
        raise Undrawable(f"the payload has no {name}; it holds {held}")
    level = levels[name]
    if level.is_uncertainty:
        raise Undrawable(f"{name} holds uncertainties, not a correction")
    return level


def _correction(level: JecLevel, grid: F32, params: Mapping[str, ParamValue]) -> F32:
    values = jet_values(
        grid, float(params["eta"]), rho=float(params["rho"]), area=float(params["area"])
    )
    return jec_correction(level, values, missing=np.nan)


@drawer(
    "jetmet.jec_correction",
    title="JEC correction factor vs pT",
    payload_types=JEC_TYPE,
    kind="single",
    x_label="pT [GeV]",
    y_label="correction factor",
    params=[LEVEL, ETA, RHO, AREA, PT_MIN, PT_MAX, POINTS],
)
@explains
def jec_correction_drawer(payload: Mapping[str, Any], params: Mapping[str, ParamValue]) -> Scatter:
    """JEC correction factor of one level vs pT, at a chosen η (and ρ, area for L1)."""
    level = _jec(payload, params)
    grid = pt_grid(params)
    values = jet_values(
        grid, float(params["eta"]), rho=float(params["rho"]), area=float(params["area"])
    )
    index = jec_records(level, values)
    notes = [f"formula {level.formula}"]
    if level.definition_level and level.definition_level != level.level:
        notes.append(f"the definition names its level {level.definition_level}")
    outside = int((index < 0).sum())
    if outside:
        notes.append(f"{outside} points are outside every record: no value (CMSSW gives 1)")
    return Scatter(
        title=f"JEC {level.level} vs pT ({_at(params, 'eta', 'rho', 'area')})",
        x=grid,
        y=jec_correction(level, values, missing=np.nan),
        x_label="pT",
        x_unit="GeV",
        y_label=f"{level.level} correction factor",
        notes=tuple(notes),
    )


@drawer(
    "jetmet.jec_correction_compare",
    title="JEC corrections: two IOVs or tags",
    payload_types=JEC_TYPE,
    kind="compare",
    x_label="pT [GeV]",
    params=[MODE, LEVEL, ETA, RHO, AREA, PT_MIN, PT_MAX, POINTS],
)
@explains
def jec_correction_compare(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    params: Mapping[str, ParamValue],
    labels: tuple[str, str],
) -> Scatter:
    """Ratio (or difference) of one JEC level of two payloads vs pT, at a chosen η."""
    grid = pt_grid(params)
    a, b = (_correction(_jec(p, params), grid, params) for p in (first, second))
    quantity = f"JEC {params['level']}"
    return _compare_vs_pt(params, quantity, labels, _at(params, "eta"), grid, a, b)


DRAWERS: Final[tuple[Drawer, ...]] = (
    jer_scale_factor,
    jer_scale_factor_compare,
    jer_resolution,
    jer_resolution_compare,
    jec_correction_drawer,
    jec_correction_compare,
)


@hookimpl
def register_drawers() -> list[Drawer]:
    """The JetMET drawers."""
    return list(DRAWERS)
