"""The whitelist: every function and constant a formula may name.

Names follow ROOT's TFormula and CMSSW's ``reco::FormulaEvaluator``
(CommonTools/Utils/src/FormulaEvaluator.cc), which evaluates JetMET formulas
in CMSSW: the C functions (``log``, ``pow``, ``max``, ...) and their
``TMath::`` spellings.  Each spelling maps to one canonical name; each
canonical name has one vectorised numpy implementation over float64.

``max`` and ``min`` behave like C++ ``std::max`` / ``std::min``
(``a < b ? b : a``), so a NaN first argument stays NaN and a NaN second one
is dropped, as in CMSSW, instead of numpy's NaN propagation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["CONSTANTS", "FUNCTIONS", "SPELLINGS", "Function", "canonical_function"]

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Function:
    """One whitelisted function: its arity and its numpy implementation."""

    arity: int
    impl: Callable[..., Any]
    constant: float = math.nan  # the value of a 0-argument function


def _max(a: Array, b: Array) -> Array:
    return np.where(a < b, b, a)


def _min(a: Array, b: Array) -> Array:
    return np.where(b < a, b, a)


_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _erf_float(a: Array) -> Array:
    return np.asarray(_erf(a), dtype=np.float64)


def _erfc_float(a: Array) -> Array:
    return np.asarray(_erfc(a), dtype=np.float64)


#: Canonical name → function.
FUNCTIONS: Final[dict[str, Function]] = {
    "exp": Function(1, np.exp),
    "log": Function(1, np.log),
    "log10": Function(1, np.log10),
    "log2": Function(1, np.log2),
    "sqrt": Function(1, np.sqrt),
    "abs": Function(1, np.abs),
    "sin": Function(1, np.sin),
    "cos": Function(1, np.cos),
    "tan": Function(1, np.tan),
    "asin": Function(1, np.arcsin),
    "acos": Function(1, np.arccos),
    "atan": Function(1, np.arctan),
    "sinh": Function(1, np.sinh),
    "cosh": Function(1, np.cosh),
    "tanh": Function(1, np.tanh),
    "asinh": Function(1, np.arcsinh),
    "acosh": Function(1, np.arccosh),
    "atanh": Function(1, np.arctanh),
    "erf": Function(1, _erf_float),
    "erfc": Function(1, _erfc_float),
    "pow": Function(2, np.power),
    "atan2": Function(2, np.arctan2),
    "max": Function(2, _max),
    "min": Function(2, _min),
    "pi": Function(0, lambda: math.pi, math.pi),
    "e": Function(0, lambda: math.e, math.e),
}

#: Every accepted spelling → its canonical name.
SPELLINGS: Final[dict[str, str]] = {
    **{name: name for name, f in FUNCTIONS.items() if f.arity > 0},
    "fabs": "abs",
    "TMath::Exp": "exp",
    "TMath::Log": "log",
    "TMath::Log10": "log10",
    "TMath::Log2": "log2",
    "TMath::Sqrt": "sqrt",
    "TMath::Abs": "abs",
    "TMath::Sin": "sin",
    "TMath::Cos": "cos",
    "TMath::Tan": "tan",
    "TMath::ASin": "asin",
    "TMath::ACos": "acos",
    "TMath::ATan": "atan",
    "TMath::SinH": "sinh",
    "TMath::CosH": "cosh",
    "TMath::TanH": "tanh",
    "TMath::ASinH": "asinh",
    "TMath::ACosH": "acosh",
    "TMath::ATanH": "atanh",
    "TMath::Erf": "erf",
    "TMath::Erfc": "erfc",
    "TMath::Power": "pow",
    "TMath::ATan2": "atan2",
    "TMath::Max": "max",
    "TMath::Min": "min",
    "TMath::Pi": "pi",
    "TMath::E": "e",
}

#: Names that stand for a number without parentheses.
CONSTANTS: Final[dict[str, float]] = {"pi": math.pi}


def canonical_function(spelling: str) -> str | None:
    """The canonical name of a whitelisted function spelling, or ``None``."""
    return SPELLINGS.get(spelling)
