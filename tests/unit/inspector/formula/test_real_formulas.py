"""The formulas that occur in real JER and JEC files parse and evaluate exactly.

JER: every header of the real text files beside the repository
(``../shared/data/cms-conditions/jer/textFiles``). JEC: formula texts as they
stand in the headers of JEC text files, from the cmssw data files
(CondFormats/JetMETObjects/data, e.g. Fall10_L2Relative_AK5PF.txt @ 2d45be040756,
Jec11V0_L1FastJet_AK5PF.txt @ 9b1b5f6e499b) and the Run 2/3 L1FastJet, L2Relative
and L2L3Residual headers written by the JERC tools.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from jetmet_text import JER_DATA

from inspector.formula import parse

TEXT_FILES = sorted((JER_DATA / "textFiles").glob("*/*.txt"))


def _jer_formulas() -> set[str]:
    found = set()
    for path in TEXT_FILES:
        header = path.read_text().splitlines()[0].strip("{} ").split()
        n_bins = int(header[0])
        formula = header[n_bins + int(header[n_bins + 1]) + 2]
        if formula.lower() != "none":
            found.add(formula)
    return found


@pytest.mark.skipif(not TEXT_FILES, reason=f"the real JER text files are not there: {JER_DATA}")
def test_every_jer_file_formula_parses_and_evaluates_on_its_records() -> None:
    formulas = _jer_formulas()
    assert formulas == {
        "sqrt([0]*[0]/(x*x)+[1]*[1]/x+[2]*[2])",
        "sqrt([0]*abs([0])/(x*x)+[1]*[1]*pow(x,[3])+[2]*[2])",
        "[0]+[1]*exp(-x/[2])+[3]*exp(-x/[4])",
    }
    pt = np.geomspace(15.0, 3000.0, 50)
    for text in formulas:
        f = parse(text)
        assert f.n_variables == 1
        values = f.evaluate(np.linspace(0.5, 2.0, f.n_parameters), [pt])
        assert values.shape == pt.shape and np.isfinite(values).all()


L2_RELATIVE_FALL10 = "[0]+[1]*log10(x)+[2]*pow(log10(x),2)+[3]*pow(log10(x),3)+[4]*pow(log10(x),4)"
L2_STANDARD = (
    "[0]+([1]/(pow(log10(x),2)+[2]))+([3]*exp(-([4]*((log10(x)-[5])*(log10(x)-[5])))))"
    "+([6]*exp(-([7]*((log10(x)-[8])*(log10(x)-[8])))))"
)
L1_FASTJET_2011 = "1-(z-[0])*y*[1]*[2]/x"
L1_FASTJET_RUN1 = "max(0.0001,1-y*([0]+([1]*z)*(1+[2]*log(x)))/x)"
L1_FASTJET_RUN2 = "max(0.0001,1-(z/y)*([0]+([1]*(x-[2]))*(1+[3]*log(y))))"
L2L3_RESIDUAL = (
    "[2]*([3]*([4]+[5]*TMath::Log(max([0],min([1],x))))*1./([6]+[7]*100./3.*"
    "(TMath::Max(0.,1.03091-0.051154*pow(x,-0.154227))-TMath::Max(0.,1.03091-0.051154*"
    "TMath::Power(208.,-0.154227)))+[8]*1.72396*(1./208.-1./x)))"
)
L2L3_RESIDUAL_LOGISTIC = (
    "[2]*([3]*([4]+[5]*TMath::Log(max([0],min([1],x))))*1./([6]+[7]/x+[8]*log(x)/x+"
    "[9]*(pow(x/[10],[11])-1)/(pow(x/[10],[11])+1)+[12]*pow(x,-0.3051)))"
)
JER_RATIO = (
    "sqrt([0]*fabs([0])/(x*x)+[1]*[1]/x+[2]*[2])/sqrt([3]*fabs([3])/(x*x)+[4]*[4]/x+[5]*[5])"
)
FSR = "[0]+[1]*log(0.01*x)+[2]*pow(log(0.01*x),2)"

P = [0.9, 0.35, 1.6, 0.04, 2.0, 1.9, -0.02, 1.5, 2.4, 0.3, 150.0, 1.2, 0.01]


def _l2l3(x: float) -> float:
    p = P
    clamped = max(p[0], min(p[1], x))
    return p[2] * (
        p[3]
        * (p[4] + p[5] * math.log(clamped))
        * 1.0
        / (
            p[6]
            + p[7]
            * 100.0
            / 3.0
            * (
                max(0.0, 1.03091 - 0.051154 * x**-0.154227)
                - max(0.0, 1.03091 - 0.051154 * 208.0**-0.154227)
            )
            + p[8] * 1.72396 * (1.0 / 208.0 - 1.0 / x)
        )
    )


CASES: dict[str, Callable[[float, float, float], float]] = {
    L2_RELATIVE_FALL10: lambda x, y, z: sum(P[i] * math.log10(x) ** i for i in range(5)),
    L2_STANDARD: lambda x, y, z: (
        P[0]
        + P[1] / (math.log10(x) ** 2 + P[2])
        + P[3] * math.exp(-(P[4] * (math.log10(x) - P[5]) ** 2))
        + P[6] * math.exp(-(P[7] * (math.log10(x) - P[8]) ** 2))
    ),
    L1_FASTJET_2011: lambda x, y, z: 1 - (z - P[0]) * y * P[1] * P[2] / x,
    L1_FASTJET_RUN1: lambda x, y, z: max(
        0.0001, 1 - y * (P[0] + P[1] * z * (1 + P[2] * math.log(x))) / x
    ),
    L1_FASTJET_RUN2: lambda x, y, z: max(
        0.0001, 1 - (z / y) * (P[0] + P[1] * (x - P[2]) * (1 + P[3] * math.log(y)))
    ),
    L2L3_RESIDUAL: lambda x, y, z: _l2l3(x),
    L2L3_RESIDUAL_LOGISTIC: lambda x, y, z: (
        P[2]
        * (P[3] * (P[4] + P[5] * math.log(max(P[0], min(P[1], x)))))
        / (
            P[6]
            + P[7] / x
            + P[8] * math.log(x) / x
            + P[9] * ((x / P[10]) ** P[11] - 1) / ((x / P[10]) ** P[11] + 1)
            + P[12] * x**-0.3051
        )
    ),
    JER_RATIO: lambda x, y, z: (
        math.sqrt(P[0] * abs(P[0]) / (x * x) + P[1] * P[1] / x + P[2] * P[2])
        / math.sqrt(P[3] * abs(P[3]) / (x * x) + P[4] * P[4] / x + P[5] * P[5])
    ),
    FSR: lambda x, y, z: P[0] + P[1] * math.log(0.01 * x) + P[2] * math.log(0.01 * x) ** 2,
    "1": lambda x, y, z: 1.0,
    "[0]": lambda x, y, z: P[0],
}


@pytest.mark.parametrize("text", list(CASES), ids=range(len(CASES)))
def test_jec_formulas_equal_a_reference_written_out(text: str) -> None:
    f = parse(text)
    x = np.array([12.0, 30.0, 208.0, 1000.0, 4000.0])
    y = np.array([5.0, 20.0, 35.0, 60.0, 110.0])
    z = np.array([0.2, 0.45, 0.5, 0.55, 0.8])
    got = f.evaluate(P[: max(f.n_parameters, 1)], [x, y, z][: max(f.n_variables, 1)])
    expected = [CASES[text](a, b, c) for a, b, c in zip(x, y, z, strict=True)]
    np.testing.assert_allclose(got, expected, rtol=1e-13)
