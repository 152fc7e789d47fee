"""The formula evaluator: grammar, whitelist, errors, caching and vectorisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inspector.errors import FormulaError, InspectorError
from inspector.formula import FUNCTIONS, SPELLINGS, evaluate, parse
from inspector.formula.parser import MAX_DEPTH, MAX_LENGTH


def value(text: str, params: tuple[float, ...] = (), *variables: float) -> float:
    return float(evaluate(text, params, variables))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1+2*3", 7.0),
        ("(1+2)*3", 9.0),
        ("2-3-4", -5.0),
        ("8/4/2", 1.0),
        ("2^3^2", 512.0),  # right-associative
        ("2**3**2", 512.0),
        ("-2^2", -4.0),  # the power binds tighter than unary minus
        ("(-2)^2", 4.0),
        ("2^-1", 0.5),
        ("-x", -3.0),
        ("--x", 3.0),
        ("+x", 3.0),
        ("2*-x", -6.0),
        ("x*x/(x*x)", 1.0),
        (".5+1.+1e-1+2.5E+1", 26.6),
        ("  1 \t+\n 2 ", 3.0),
        ("1<2", 1.0),
        ("2<=1", 0.0),
        ("x>2&&x<4", 1.0),
        ("x>5||x==3", 1.0),
        ("x!=3", 0.0),
        ("!0", 1.0),
        ("1+2<4", 1.0),  # comparisons bind looser than sums
        ("pi", math.pi),
        ("TMath::Pi()", math.pi),
        ("TMath::E()", math.e),
    ],
)
def test_grammar(text: str, expected: float) -> None:
    assert value(text, (), 3.0) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("log(x)", math.log(2.0)),
        ("TMath::Log(x)", math.log(2.0)),
        ("log10(x)", math.log10(2.0)),
        ("TMath::Log10(x)", math.log10(2.0)),
        ("exp(x)", math.exp(2.0)),
        ("TMath::Exp(x)", math.exp(2.0)),
        ("sqrt(x)", math.sqrt(2.0)),
        ("TMath::Sqrt(x)", math.sqrt(2.0)),
        ("pow(x,3)", 8.0),
        ("TMath::Power(x,0.5)", math.sqrt(2.0)),
        ("abs(-x)", 2.0),
        ("fabs(-x)", 2.0),
        ("TMath::Abs(-x)", 2.0),
        ("max(x,5)", 5.0),
        ("TMath::Max(x,1)", 2.0),
        ("min(x,5)", 2.0),
        ("TMath::Min(x,1)", 1.0),
        ("erf(x)", math.erf(2.0)),
        ("TMath::Erf(x)", math.erf(2.0)),
        ("erfc(x)", math.erfc(2.0)),
        ("sin(x)+cos(x)+tan(x)", math.sin(2) + math.cos(2) + math.tan(2)),
        ("atan(x)+TMath::ATan2(x,1)", math.atan(2) + math.atan2(2, 1)),
        ("tanh(x)+TMath::CosH(x)", math.tanh(2) + math.cosh(2)),
    ],
)
def test_functions(text: str, expected: float) -> None:
    assert value(text, (), 2.0) == pytest.approx(expected, rel=1e-14)


def test_every_spelling_parses_with_its_arity_and_evaluates() -> None:
    for spelling, canonical in SPELLINGS.items():
        arity = FUNCTIONS[canonical].arity
        f = parse(f"{spelling}({', '.join(['x'] * arity)})")
        result = f.evaluate((), [0.5])
        assert result.shape == () and result.dtype == np.float64, spelling
        assert np.isfinite(result) or canonical == "acosh", spelling


def test_parameters_variables_and_names() -> None:
    f = parse("[0]+[2]*x-y", ("JetPt", "Rho"))
    assert (f.n_parameters, f.n_variables) == (3, 2)
    named = parse("[0]+[2]*JetPt-Rho", ("JetPt", "Rho"))
    assert named.evaluate([1, 0, 2], [10.0, 3.0]) == f.evaluate([1, 0, 2], [10.0, 3.0]) == 18.0
    assert parse("1").n_parameters == parse("1").n_variables == 0
    assert value("[ 1 ]", (5.0, 7.0)) == 7.0


def test_vectorised_over_points_and_per_point_parameters() -> None:
    f = parse("[0]+[1]*log10(x)")
    pt = np.array([10.0, 100.0, 1000.0])
    assert f.evaluate([1.0, 0.5], [pt]).tolist() == [1.5, 2.0, 2.5]
    per_point = np.array([[1.0, 0.5], [2.0, 0.0], [0.0, 1.0]])
    assert f.evaluate(per_point, [pt]).tolist() == [1.5, 2.0, 3.0]
    constant = parse("1").evaluate((), [pt])
    assert constant.shape == (3,) and constant.dtype == np.float64
    assert constant.flags.writeable


def test_ieee_results_like_cxx() -> None:
    assert math.isnan(value("log(-x)", (), 1.0))
    assert value("1/x", (), 0.0) == math.inf
    assert math.isnan(value("sqrt(x)", (), -1.0))
    # std::max semantics: a NaN first argument stays, a NaN second one is dropped
    assert math.isnan(value("max(log(-1),x)", (), 1.0))
    assert value("max(x,log(-1))", (), 1.0) == 1.0


def test_parsed_formulas_are_cached_on_their_text() -> None:
    parse.cache_clear()
    a = parse("sqrt([0]*[0]/(x*x)+[1]*[1]/x+[2]*[2])")
    b = parse("sqrt([0]*[0]/(x*x)+[1]*[1]/x+[2]*[2])")
    assert a is b
    assert parse.cache_info().hits == 1


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "the formula is empty", 0),
        ("foo(x)", "unknown function 'foo'", 0),
        ("x+bar", "unknown name 'bar'", 2),
        ("__import__(x)", "unknown function '__import__'", 0),
        ("__import__('os')", "unknown function '__import__'", 0),
        ("x.real", "unexpected character '.'", 1),
        ("os.system(x)", "unexpected character '.'", 2),
        ("x;1", "unexpected character ';'", 1),
        ('""', "unexpected character '\"'", 0),
        ("x+", "the formula ends where a value is expected", 2),
        ("(x", "'(' opened at position 0 is not closed", 2),
        ("x)", "unexpected ')' after a complete expression", 1),
        ("[a]", "parameter '[a]' is not of the form [0], [1], ...", 0),
        ("[-1]", "parameter '[-1]' is not of the form", 0),
        ("2x", "malformed number '2x'", 0),
        ("log(x,2)", "function 'log' takes 1 argument, not 2", 0),
        ("pow(x)", "function 'pow' takes 2 arguments, not 1", 0),
        ("sqrt", "function 'sqrt' needs its arguments in ( )", 0),
        ("x(2)", "variable 'x' is not a function", 0),
        ("1e999", "number '1e999' is out of range", 0),
        ("x = 1", "unexpected character '='", 2),
        ("x % 2", "unexpected character '%'", 2),
        ("x ? 1 : 2", "unexpected character '?'", 2),
        ("TMath::Landau(x)", "unknown function 'TMath::Landau'", 0),
        ("gaus(0)", "unknown function 'gaus'", 0),
        ("*2", "unexpected '*' where a value is expected", 0),
        ("max(1,)", "unexpected ')' where a value is expected", 6),
    ],
)
def test_errors_name_the_formula_the_token_and_its_position(
    text: str, message: str, position: int
) -> None:
    with pytest.raises(FormulaError) as info:
        parse(text)
    error = info.value
    assert isinstance(error, InspectorError) and error.http_status == 500
    assert error.formula == text
    assert message in error.reason
    assert error.position == position
    assert str(error).startswith(f"formula {text!r}: ")
    assert str(error).endswith(f"at position {position}")


def test_evaluation_errors_name_what_is_missing() -> None:
    with pytest.raises(FormulaError, match=r"uses parameter \[3\] but only 2 parameters"):
        evaluate("[3]*x", [1.0, 2.0], [1.0])
    with pytest.raises(FormulaError, match=r"uses variable 'y' \(number 2\) but only 1 var"):
        evaluate("x+y", (), [1.0])
    with pytest.raises(FormulaError, match="at most 4 exist"):
        parse("x", ("a", "b", "c", "d", "e"))


def test_size_limits() -> None:
    with pytest.raises(FormulaError, match=f"at most {MAX_LENGTH}"):
        parse("1" + "+1" * MAX_LENGTH)
    with pytest.raises(FormulaError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(FormulaError, match="levels deep"):
        parse("+".join(["x"] * (MAX_DEPTH + 5)))  # a long left-deep chain
    with pytest.raises(FormulaError, match="nested deeper"):
        parse("-" * 5000 + "x")
    assert parse("+".join(["x"] * (MAX_DEPTH - 5))).evaluate((), [1.0]) == MAX_DEPTH - 5
