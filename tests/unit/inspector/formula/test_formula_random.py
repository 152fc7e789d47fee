"""Random expressions against a reference computed with numpy directly.

Each drawn expression is built twice from the same choices: as formula text
(in TFormula spellings, with random spacing and redundant parentheses) and as
a numpy computation written here independently of the package's evaluator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.formula import parse, unparse
from inspector.formula.parser import parse_tree

Array = npt.NDArray[np.float64]
Env = tuple[Array, Array, Array]  # parameters (n, 4), x (n,), y (n,)
Expr = tuple[str, Callable[[Env], Any]]

N_POINTS = 7
PARAMS = 4


def _spaced(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", " "]))


def _leaf(draw: st.DrawFn) -> Expr:
    kind = draw(st.sampled_from(["number", "parameter", "x", "y"]))
    if kind == "number":
        value = draw(st.floats(0.0, 1e4, allow_nan=False))
        text = draw(st.sampled_from([repr(value), f"{value:.6e}", f"{value:g}"]))
        number = float(text)
        return text, lambda env: np.float64(number)
    if kind == "parameter":
        i = draw(st.integers(0, PARAMS - 1))
        return f"[{i}]", lambda env: env[0][:, i]
    if kind == "x":
        return "x", lambda env: env[1]
    return "y", lambda env: env[2]


ONE_ARG: dict[str, Callable[[Array], Array]] = {
    "exp": np.exp,
    "TMath::Exp": np.exp,
    "log": np.log,
    "TMath::Log": np.log,
    "log10": np.log10,
    "TMath::Log10": np.log10,
    "sqrt": np.sqrt,
    "TMath::Sqrt": np.sqrt,
    "abs": np.abs,
    "fabs": np.abs,
    "TMath::Abs": np.abs,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "atan": np.arctan,
    "TMath::ATan": np.arctan,
    "tanh": np.tanh,
    "erf": np.vectorize(math.erf, otypes=[np.float64]),
    "TMath::Erf": np.vectorize(math.erf, otypes=[np.float64]),
}


def _cxx_max(a: Array, b: Array) -> Array:
    # std::max(a, b): (a < b) ? b : a
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = a.copy()
    pick = a < b
    out[pick] = b[pick]
    return out


def _cxx_min(a: Array, b: Array) -> Array:
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = a.copy()
    pick = b < a
    out[pick] = b[pick]
    return out


TWO_ARGS: dict[str, Callable[[Array, Array], Array]] = {
    "pow": np.power,
    "TMath::Power": np.power,
    "max": _cxx_max,
    "TMath::Max": _cxx_max,
    "min": _cxx_min,
    "TMath::Min": _cxx_min,
    "atan2": np.arctan2,
}

OPS: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
    "**": np.power,
}


@st.composite
def expressions(draw: st.DrawFn, depth: int = 4) -> Expr:
    """(text, reference) with every binary operation fully parenthesised."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return _leaf(draw)
    kind = draw(st.sampled_from(["binary", "binary", "unary", "call1", "call2", "parens"]))
    if kind == "binary":
        op = draw(st.sampled_from(sorted(OPS)))
        (lt, lf), (rt, rf) = draw(expressions(depth - 1)), draw(expressions(depth - 1))
        fn = OPS[op]
        return f"({_spaced(draw, lt)}{op}{_spaced(draw, rt)})", lambda e: fn(lf(e), rf(e))
    if kind == "unary":
        text, f = draw(expressions(depth - 1))
        return f"(-({text}))", lambda e: np.negative(f(e))
    if kind == "call1":
        name = draw(st.sampled_from(sorted(ONE_ARG)))
        text, f = draw(expressions(depth - 1))
        g = ONE_ARG[name]
        return f"{name}({_spaced(draw, text)})", lambda e: g(f(e))
    if kind == "call2":
        name = draw(st.sampled_from(sorted(TWO_ARGS)))
        (at, af), (bt, bf) = draw(expressions(depth - 1)), draw(expressions(depth - 1))
        h = TWO_ARGS[name]
        return f"{name}({at},{_spaced(draw, bt)})", lambda e: h(af(e), bf(e))
    text, f = draw(expressions(depth - 1))
    return f"({text})", f


@st.composite
def environments(draw: st.DrawFn) -> Env:
    """Per-point parameters and x, y values (float32-representable, as payloads hold)."""
    values = st.floats(-50.0, 3000.0, allow_nan=False, width=32)
    params = np.array(
        draw(st.lists(values, min_size=N_POINTS * PARAMS, max_size=N_POINTS * PARAMS))
    )
    x = np.array(draw(st.lists(values, min_size=N_POINTS, max_size=N_POINTS)))
    y = np.array(draw(st.lists(values, min_size=N_POINTS, max_size=N_POINTS)))
    return params.reshape(N_POINTS, PARAMS), x, y


@settings(max_examples=300, deadline=None)
@given(expr=expressions(), data=st.data())
def test_random_expressions_equal_the_numpy_reference(expr: Expr, data: st.DataObject) -> None:
    text, reference = expr
    env = data.draw(environments())
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(np.asarray(reference(env), dtype=np.float64), (N_POINTS,))
    got = parse(text).evaluate(env[0], [env[1], env[2]])
    assert got.shape == (N_POINTS,)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, equal_nan=True, err_msg=text)


@settings(max_examples=300, deadline=None)
@given(expr=expressions())
def test_unparse_gives_text_that_parses_to_the_same_tree(expr: Expr) -> None:
    tree = parse_tree(expr[0])
    assert parse_tree(unparse(tree)) == tree
