"""JetMET drawers and their evaluation, on decoded forms built from text files.

The real JER text files (``../shared/data/cms-conditions/jer/textFiles``) are
parsed into the decoded ``JME::JetResolutionObject`` form by
``tests/jetmet_text.py``; every expected number is read from the text and,
for resolutions, computed here by hand from the row's parameters (float32 in,
the formula in double, float32 out, as CMSSW). JEC levels are small text
sections written here in the format of the cmssw data files.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from jetmet_text import (
    JER_DATA,
    f32,
    jec_collection,
    parse_jec_text,
    parse_jer_text,
    ranges,
    resolution_by_hand,
    text_rows,
)

from inspector.cmssw import jetmet_evaluation as evaluation
from inspector.drawers import Drawer, ParamValue, validate_params
from inspector.errors import BadRequest, InvalidParameter
from inspector.plots import Scatter
from inspector_plugins import jetmet

TEXT = JER_DATA / "textFiles"
SF_FILES = sorted(TEXT.glob("*/*_SF_*.txt"))
RESOLUTION_FILES = sorted(TEXT.glob("*/*Resolution_*.txt"))
pytestmark = pytest.mark.skipif(
    not SF_FILES, reason=f"the real JER text files are not there: {TEXT}"
)

F32 = np.float32


def wide(values: Any) -> npt.NDArray[np.float64]:
    """Plot values back to the exact float64 of their float32 (as the drawers divide them)."""
    return f32(values).astype(np.float64)


def run(d: Drawer, *payloads: Any, **params: ParamValue) -> Scatter:
    """Call a drawer as the engine does (validated parameters, compare labels)."""
    values = validate_params(d.params, {k: str(v) for k, v in params.items()})
    if d.kind == "compare":
        plot = d.func(payloads[0], payloads[1], values, ("first", "second"))
    else:
        plot = d.func(payloads[0], values)
    assert isinstance(plot, Scatter)
    return plot


def load(path: Path) -> dict[str, Any]:
    return parse_jer_text(path.read_text())


# -- scale factors -------------------------------------------------------------------


@pytest.mark.parametrize("path", SF_FILES, ids=lambda p: p.stem)
def test_scale_factor_per_eta_bin_equals_the_text_rows(path: Path) -> None:
    plot = run(jetmet.jer_scale_factor, load(path), pt=100.0)
    rows = [r for r in text_rows(path) if len(r[0]) == 1 or r[0][1][0] <= 100 <= r[0][1][1]]
    assert plot.x.size == 3 * len(rows)
    for bins, _, params in rows:
        centre = (np.float64(bins[0][0]) + np.float64(bins[0][1])) / 2
        for code, value in zip((0.0, -1.0, 1.0), params, strict=True):
            (at,) = np.flatnonzero((plot.x == centre) & (plot.colour == code))
            assert F32(plot.y[at]) == value  # compared as float32
    assert plot.colour_label.startswith("variation")
    binned_in_pt = "JetPt" in path.read_text().splitlines()[0]
    assert any("pT = 100 GeV" in n for n in plot.notes) == binned_in_pt


def test_scale_factors_binned_in_pt_follow_the_chosen_pt() -> None:
    path = next(p for p in SF_FILES if "Summer23" in p.name)
    payload = load(path)
    for pt in (12.0, 250.0, 2999.0):
        plot = run(jetmet.jer_scale_factor, payload, pt=pt)
        rows = [r for r in text_rows(path) if r[0][1][0] <= pt <= r[0][1][1]]
        first = rows[0]  # the first record holding this η bin (bounds included)
        centre = (np.float64(first[0][0][0]) + np.float64(first[0][0][1])) / 2
        (at,) = np.flatnonzero((plot.x == centre) & (plot.colour == 0.0))
        assert F32(plot.y[at]) == first[2][0]


def test_scale_factor_lookup_is_first_record_bounds_included() -> None:
    table = evaluation.jer_table(load(SF_FILES[0]))
    edge = float(table.bin_max[0, 0])  # shared by records 0 and 1
    values = evaluation.jet_values(100.0, np.array([edge, -4.7, 4.7, 4.71, -9.0]))
    assert evaluation.jer_records(table, values).tolist() == [
        0,
        0,
        table.bin_min.shape[0] - 1,
        -1,
        -1,
    ]
    sf = evaluation.jer_scale_factors(table, values)
    assert sf[3].tolist() == [1.0, 1.0, 1.0]  # outside every record: CMSSW's 1
    assert np.isnan(evaluation.jer_scale_factors(table, values, missing=np.nan)[4]).all()


def test_scale_factor_compare_ratio_and_difference() -> None:
    a = load(SF_FILES[0])
    b = copy.deepcopy(a)
    for record in b["m_records"]:
        record["m_parameters_values"] = (record["m_parameters_values"] * F32(1.1)).astype(F32)
    same = run(jetmet.jer_scale_factor_compare, a, a, mode="ratio")
    assert np.all(same.y == 1.0)
    ratio = run(jetmet.jer_scale_factor_compare, a, b, mode="ratio")
    single_a = run(jetmet.jer_scale_factor, a)
    single_b = run(jetmet.jer_scale_factor, b)
    np.testing.assert_array_equal(ratio.y, wide(single_b.y) / wide(single_a.y))
    diff = run(jetmet.jer_scale_factor_compare, a, b, mode="difference")
    np.testing.assert_array_equal(diff.y, wide(single_b.y) - wide(single_a.y))
    assert "second / first" in ratio.title and "second − first" in diff.title


def test_scale_factor_compare_of_different_binnings_uses_every_edge() -> None:
    old = next(p for p in SF_FILES if "Summer15" in p.name)
    new = next(p for p in SF_FILES if "Summer19" in p.name)
    plot = run(jetmet.jer_scale_factor_compare, load(old), load(new), mode="ratio")
    nominal = plot.colour == 0.0
    x, y = plot.x[nominal], plot.y[nominal]
    assert x.size > 28  # more segments than either file has bins
    for centre, value in zip(x, y, strict=True):
        b = next(r[2][0] for r in text_rows(new) if r[0][0][0] <= centre <= r[0][0][1])
        if not (-4.7 <= centre <= 4.7):
            assert np.isnan(value)  # outside the older file's bins
            continue
        a = next(r[2][0] for r in text_rows(old) if r[0][0][0] <= centre <= r[0][0][1])
        assert value == np.float64(b) / np.float64(a)


# -- resolutions ---------------------------------------------------------------------

POINTS = [(0.0, 20.0), (-2.7, 5.0), (4.0, 40.0), (1.3, 15.0), (-0.261, 50.0), (2.5, 0.0)]


@pytest.mark.parametrize("path", RESOLUTION_FILES, ids=lambda p: p.stem)
def test_resolution_equals_the_formula_by_hand(path: Path) -> None:
    payload = load(path)
    for eta, rho in POINTS:
        plot = run(
            jetmet.jer_resolution,
            payload,
            eta=eta,
            rho=rho,
            pt_min=5.0,
            pt_max=6000.0,
            points=9,
        )
        expected = [resolution_by_hand(path, eta, rho, float(pt)) for pt in plot.x]
        np.testing.assert_array_equal(f32(plot.y), f32(expected), err_msg=f"η={eta} ρ={rho}")
        if np.isfinite(plot.y[0]):
            assert plot.y[0] == plot.y[1]  # 5 and 12 GeV are both clipped to 15 GeV
        has_record = np.isfinite(plot.y).any()
        assert any(n.startswith("record ") for n in plot.notes) == has_record


def test_resolution_notes_and_missing_records() -> None:
    path = next(p for p in RESOLUTION_FILES if "PtResolution_AK4PFchs" in p.name)
    payload = load(path)
    outside = run(jetmet.jer_resolution, payload, eta=6.0, points=5)
    assert np.isnan(outside.y).all()
    assert any("outside every record" in n for n in outside.notes)
    invalid = dict(payload, m_valid=False)
    plot = run(jetmet.jer_resolution, invalid, points=5)
    assert np.isnan(plot.y).all() and any("m_valid" in n for n in plot.notes)
    table = evaluation.jer_table(invalid)
    assert np.all(evaluation.jer_formula_values(table, evaluation.jet_values([50.0], 0.0)) == 1.0)


def test_resolution_compare_is_the_ratio_of_the_two_curves() -> None:
    a_path, b_path = (
        next(p for p in RESOLUTION_FILES if p.name == f"Summer15_25nsV6_MC_PtResolution_{j}.txt")
        for j in ("AK4PF", "AK4PFchs")
    )
    a, b = load(a_path), load(b_path)
    kw: dict[str, ParamValue] = {"eta": 1.0, "rho": 12.0, "points": 20}
    ratio = run(jetmet.jer_resolution_compare, a, b, mode="ratio", **kw)
    ya, yb = run(jetmet.jer_resolution, a, **kw).y, run(jetmet.jer_resolution, b, **kw).y
    np.testing.assert_array_equal(ratio.y, wide(yb) / wide(ya))
    diff = run(jetmet.jer_resolution_compare, a, b, mode="difference", **kw)
    np.testing.assert_array_equal(diff.x, ratio.x)
    np.testing.assert_array_equal(diff.y, wide(yb) - wide(ya))


def empty_with_note(plot: Scatter, note: str) -> None:
    assert plot.x.size == plot.y.size == 0
    assert any(note in n for n in plot.notes), plot.notes


def test_wrong_kind_of_jer_payload_is_an_empty_plot_naming_the_drawer_to_use() -> None:
    # tag pages link every drawer of the type: such links answer, and say why nothing is shown
    sf, res = load(SF_FILES[0]), load(RESOLUTION_FILES[0])
    empty_with_note(run(jetmet.jer_scale_factor, res), "draw it with jetmet.jer_resolution")
    empty_with_note(run(jetmet.jer_resolution, sf), "draw it with jetmet.jer_scale_factor")
    empty_with_note(run(jetmet.jer_scale_factor_compare, sf, res), "a resolution")
    empty_with_note(run(jetmet.jer_resolution_compare, res, sf), "holds scale factors")
    assert run(jetmet.jer_resolution, sf).title.startswith("Jet resolution from")
    with pytest.raises(InvalidParameter, match="pt_max"):
        run(jetmet.jer_resolution, res, pt_min=100.0, pt_max=50.0)


def test_unset_variables_are_named() -> None:
    payload = load(RESOLUTION_FILES[0])
    payload["m_definition"] = dict(payload["m_definition"], m_bins_name=["JetEta", "NPV"])
    for record in payload["m_records"]:
        record["m_bins_range"] = ranges([(-5.0, 5.0), (0.0, 100.0)])
    with pytest.raises(BadRequest, match="need 'NPV'"):
        run(jetmet.jer_resolution, payload)


def test_jet_values_mirror_jet_parameters() -> None:
    values = evaluation.jet_values([30.0, 100.0], -2.0, rho=18.5, area=0.49)
    assert values["JetEta"].dtype == np.float32
    assert values["JetAbsEta"].tolist() == [2.0, 2.0]
    np.testing.assert_array_equal(
        values["JetE"], np.float32(np.array([30.0, 100.0]) * np.cosh(2.0))
    )
    assert values["JetA"][0] == values["JetArea"][0] == F32(0.49)
    assert values["Rho"][0] == F32(18.5)


# -- JEC -------------------------------------------------------------------------------

L1 = (
    "{1 JetEta 3 Rho JetPt JetA max(0.0001,1-(z/y)*([0]+([1]*(x-[2]))*(1+[3]*log(y))))"
    " Correction L1FastJet}"
    """
-5.191 -1.0 10 0 70 1 6500 0 10 0.9 0.7 1.5 0.05
-1.0 1.0 10 0 70 1 6500 0 10 0.5 0.8 1.6 0.03
1.0 5.191 10 0 70 1 6500 0 10 0.9 0.7 1.5 0.05
"""
)
L2 = (
    "{1 JetEta 1 JetPt [0]+([1]/(pow(log10(x),2)+[2]))+"
    "([3]*exp(-([4]*((log10(x)-[5])*(log10(x)-[5]))))) Correction L2Relative}"
    """
-5.191 -2.5 8 10 1200 1.02 0.9 2.5 0.02 3 1.8
-2.5 0 8 10 3000 0.97 0.5 2.0 -0.01 3 2.0
0 2.5 8 15 3000 0.98 0.4 2.0 0.01 2 2.2
2.5 5.191 8 10 1200 1.03 0.8 2.5 0.03 3 1.8
"""
)
L3 = """{1 JetEta 1 JetPt 1 Correction L3Absolute}
-5.191 5.191 2 4 5000
"""
RESIDUAL = (
    "{ 1 JetEta 1 JetPt [2]*([3]+[4]*TMath::Log(max([0],min([1],x)))) Correction L2Relative}"
    """
-5.191 0 7 10 6500 15 3000 1.01 0.98 0.003
0 5.191 7 10 6500 15 3000 0.99 1.01 -0.002
"""
)
TWO_BINS = """{2 JetEta JetPt 1 JetPt [0] Correction L2Relative}
-5.191 0 10 50 3 10 6500 1.10
-5.191 0 50 6500 3 10 6500 1.05
0 5.191 10 50 3 10 6500 1.20
0 5.191 50 6500 3 10 6500 1.15
"""
UNCERTAINTY = """{1 JetEta 1 JetPt "" Correction Uncertainty}
-5.191 5.191 6 10 0.05 0.05 100 0.02 0.02
"""


def collection() -> dict[str, Any]:
    return jec_collection(
        {
            10: parse_jec_text(L1),
            1: parse_jec_text(L2),
            2: parse_jec_text(L3),
            8: parse_jec_text(RESIDUAL),
            9: parse_jec_text(UNCERTAINTY),
        }
    )


def test_level_labels_follow_find_label() -> None:
    assert [evaluation.level_label(k) for k in (0, 1, 2, 8, 9, 10, 34, 35)] == [
        "L1Offset",
        "L2Relative",
        "L3Absolute",
        "L2L3Residual",
        "Uncertainty",
        "L1FastJet",
        "L1RC",
        "L1Residual",
    ]
    assert evaluation.level_label(4) == "L5Flavor" and evaluation.level_label(100) == "L5Flavor_bJ"
    assert evaluation.level_label(800) == "L5Flavor_gT" and evaluation.level_label(6) == "L7Parton"
    assert evaluation.level_label(4000) == "L7Parton_bJ" and evaluation.level_label(99) == "key 99"
    assert list(evaluation.jec_levels(collection())) == [
        "L1FastJet",
        "L2Relative",
        "L3Absolute",
        "L2L3Residual",
        "Uncertainty",
    ]


def jec_by_hand(
    rows: list[list[float]], n_vars: int, fn: Callable[..., float], eta: float, *ys: float
) -> float:
    """One-bin-variable level: last record whose lower edge is at or below η."""
    e = F32(eta)
    mins = [F32(r[0]) for r in rows]
    if not (mins[0] <= e <= F32(rows[-1][1])):
        return float("nan")
    row = [r for r, m in zip(rows, mins, strict=True) if m <= e][-1]
    params = [F32(v) for v in row[3:]]
    xs = []
    for i, y in enumerate(ys):
        lo, hi = params[2 * i], params[2 * i + 1]
        v = F32(y)
        xs.append(np.float64(lo if v < lo else hi if v > hi else v))
    p = [np.float64(v) for v in params[2 * n_vars :]]
    return float(F32(fn(p, *xs)))


def rows_of(text: str) -> list[list[float]]:
    return [[float(v) for v in ln.split()] for ln in text.splitlines()[1:] if ln.strip()]


def test_l1fastjet_uses_rho_pt_and_area_clipped() -> None:
    def l1(p: list[np.float64], x: np.float64, y: np.float64, z: np.float64) -> float:
        value = 1 - (z / y) * (p[0] + (p[1] * (x - p[2])) * (1 + p[3] * np.log(y)))
        return float(value) if value > 0.0001 else 0.0001  # std::max(0.0001, value)

    payload = collection()
    for eta, rho, area in ((0.0, 20.0, 0.5), (-3.0, 80.0, 0.4), (2.0, 5.0, 9.5)):
        plot = run(
            jetmet.jec_correction_drawer,
            payload,
            level="L1FastJet",
            eta=eta,
            rho=rho,
            area=area,
            points=7,
        )
        expected = [jec_by_hand(rows_of(L1), 3, l1, eta, rho, pt, area) for pt in plot.x]
        np.testing.assert_array_equal(f32(plot.y), f32(expected))
    assert "L1FastJet" in plot.title and plot.y_label == "L1FastJet correction factor"


def test_l2relative_bins_are_closed_below_and_the_last_closed_above() -> None:
    def l2(p: list[np.float64], x: np.float64) -> float:
        lx = np.log10(x)
        return float(
            p[0]
            + (p[1] / (np.power(lx, 2) + p[2]))
            + (p[3] * np.exp(-(p[4] * ((lx - p[5]) * (lx - p[5])))))
        )

    payload = collection()
    for eta in (-5.191, -2.5, -1.0, 0.0, 0.3, 2.5, 5.191, 5.2, -6.0):
        plot = run(
            jetmet.jec_correction_drawer, payload, level="L2Relative", eta=eta, points=11, pt_min=5
        )
        expected = [jec_by_hand(rows_of(L2), 1, l2, eta, pt) for pt in plot.x]
        np.testing.assert_array_equal(f32(plot.y), f32(expected), err_msg=f"η={eta}")
    level = evaluation.jec_levels(payload)["L2Relative"]
    index = evaluation.jec_records(
        level, evaluation.jet_values(100.0, np.array([-2.5, 0.0, 5.191, 5.2]))
    )
    assert index.tolist() == [1, 2, 3, -1]


def test_trivial_and_residual_levels() -> None:
    payload = collection()
    l3 = run(jetmet.jec_correction_drawer, payload, level="L3Absolute", points=5)
    assert np.all(l3.y == 1.0)

    def residual(p: list[np.float64], x: np.float64) -> float:
        return float(p[2] * (p[3] + p[4] * np.log(max(p[0], min(p[1], x)))))

    plot = run(jetmet.jec_correction_drawer, payload, level="L2L3Residual", eta=-0.5, points=9)
    expected = [jec_by_hand(rows_of(RESIDUAL), 1, residual, -0.5, pt) for pt in plot.x]
    np.testing.assert_array_equal(f32(plot.y), f32(expected))
    assert any("names its level L2Relative" in n for n in plot.notes)


def test_two_binning_variables_change_record_along_pt() -> None:
    payload = jec_collection({1: parse_jec_text(TWO_BINS)})
    level = evaluation.jec_levels(payload)["L2Relative"]
    values = evaluation.jet_values(np.array([10.0, 49.0, 50.0, 6500.0, 7000.0, 5.0]), 1.0)
    assert evaluation.jec_records(level, values).tolist() == [2, 2, 3, 3, -1, -1]
    plot = run(
        jetmet.jec_correction_drawer,
        payload,
        level="L2Relative",
        eta=-1.0,
        pt_min=20,
        pt_max=80,
        points=3,
    )
    assert f32(plot.y).tolist() == f32([1.10, 1.10, 1.05]).tolist()


def test_missing_levels_are_named() -> None:
    payload = collection()
    uncertainty_only = jec_collection({9: parse_jec_text(UNCERTAINTY)})
    d = jetmet.jec_correction_drawer
    params = validate_params(d.params, {})
    empty_with_note(d.func(uncertainty_only, params), "no L2Relative; it holds Uncertainty")
    plot = run(jetmet.jec_correction_drawer, payload, level="L1RC")
    empty_with_note(plot, "no L1RC; it holds L1FastJet, L2Relative, L3Absolute")
    empty = jec_collection({})
    empty_with_note(run(jetmet.jec_correction_drawer, empty), "an empty collection")
    empty_with_note(run(jetmet.jec_correction_compare, payload, empty), "an empty collection")
    with pytest.raises(BadRequest, match="holds uncertainties"):
        level = evaluation.jec_levels(payload)["Uncertainty"]
        evaluation.jec_correction(level, evaluation.jet_values(50.0, 0.0))


def test_jec_compare() -> None:
    a = collection()
    b = copy.deepcopy(a)
    for record in b["corrections_"][1][1]["mRecords"]:
        record["mParameters"][2] = record["mParameters"][2] + F32(0.01)  # [0] of L2Relative
    kw: dict[str, ParamValue] = {"level": "L2Relative", "eta": 0.3, "points": 15}
    ya = run(jetmet.jec_correction_drawer, a, **kw).y
    yb = run(jetmet.jec_correction_drawer, b, **kw).y
    diff = run(jetmet.jec_correction_compare, a, b, mode="difference", **kw)
    np.testing.assert_array_equal(diff.y, wide(yb) - wide(ya))
    assert np.allclose(diff.y, 0.01, atol=1e-6)
    ratio = run(jetmet.jec_correction_compare, a, b, mode="ratio", **kw)
    np.testing.assert_array_equal(ratio.y, wide(yb) / wide(ya))


def test_every_drawer_is_registered() -> None:
    names = {d.name for d in jetmet.register_drawers()}
    assert names == {
        "jetmet.jer_scale_factor",
        "jetmet.jer_scale_factor_compare",
        "jetmet.jer_resolution",
        "jetmet.jer_resolution_compare",
        "jetmet.jec_correction",
        "jetmet.jec_correction_compare",
    }
