"""Vectorised evaluation of a syntax tree over numpy arrays, and its text form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from inspector.errors import FormulaError
from inspector.formula.functions import FUNCTIONS
from inspector.formula.parser import (
    POSITIONAL_VARIABLES,
    PRECEDENCE,
    Binary,
    Call,
    Node,
    Number,
    Parameter,
    Unary,
    Variable,
)

__all__ = ["evaluate_tree", "unparse"]

Array = npt.NDArray[np.float64]

_BINARY = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
}
_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def evaluate_tree(
    text: str,
    tree: Node,
    parameters: npt.NDArray[np.float64],
    variables: Sequence[npt.NDArray[np.float64]],
) -> Any:
    """Evaluate ``tree``; ``parameters[..., i]`` is ``[i]``, ``variables[i]`` is x, y, ...

    Arithmetic follows IEEE float64 as C++ does: log of a negative number is
    NaN, a division by zero ±Inf; numpy's warnings about them are silenced.
    Comparisons and ``&&``, ``||``, ``!`` give 1.0 or 0.0.
    """

    def ev(node: Node) -> Any:
        if isinstance(node, Number):
            return np.float64(node.value)
        if isinstance(node, Parameter):
            if node.index >= parameters.shape[-1]:
                raise FormulaError(
                    text,
                    f"uses parameter [{node.index}] but only {parameters.shape[-1]} "
                    "parameters are given",
                )
            return parameters[..., node.index]
        if isinstance(node, Variable):
            if node.index >= len(variables):
                name = POSITIONAL_VARIABLES[node.index]
                raise FormulaError(
                    text,
                    f"uses variable {name!r} (number {node.index + 1}) but only "
                    f"{len(variables)} variables are given",
                )
            return variables[node.index]
        if isinstance(node, Unary):
            operand = ev(node.operand)
            if node.op == "-":
                return np.negative(operand)
            if node.op == "!":
                return np.where(operand == 0, 1.0, 0.0)
            return operand
        if isinstance(node, Binary):
            left, right = ev(node.left), ev(node.right)
            if node.op in _BINARY:
                return _BINARY[node.op](left, right)
            if node.op in _COMPARE:
                return _COMPARE[node.op](left, right).astype(np.float64)
            if node.op == "&&":
                return ((left != 0) & (right != 0)).astype(np.float64)
            return ((left != 0) | (right != 0)).astype(np.float64)  # "||"
        assert isinstance(node, Call)
        return FUNCTIONS[node.name].impl(*(ev(a) for a in node.args))

    with np.errstate(all="ignore"):
        return ev(tree)


# -- Text ------------------------------------------------------------------------

_UNARY = 7
_POWER = 8
_ATOM = 9


def _number(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


def unparse(tree: Node) -> str:
    """Formula text that parses back to ``tree``, with as few parentheses as needed."""

    def show(node: Node) -> tuple[str, int]:
        if isinstance(node, Number):
            return _number(node.value), _ATOM
        if isinstance(node, Parameter):
            return f"[{node.index}]", _ATOM
        if isinstance(node, Variable):
            return POSITIONAL_VARIABLES[node.index], _ATOM
        if isinstance(node, Call):
            return f"{node.name}({', '.join(show(a)[0] for a in node.args)})", _ATOM
        if isinstance(node, Unary):
            text, prec = show(node.operand)
            # the operand of a unary operator is a unary or a power expression
            return node.op + (text if prec >= _UNARY else f"({text})"), _UNARY
        assert isinstance(node, Binary)
        if node.op == "^":
            base, bprec = show(node.left)
            exponent, eprec = show(node.right)
            base = base if bprec == _ATOM else f"({base})"
            exponent = exponent if eprec >= _UNARY else f"({exponent})"
            return f"{base}^{exponent}", _POWER
        prec = PRECEDENCE[node.op]
        left, lprec = show(node.left)
        right, rprec = show(node.right)
        left = left if lprec >= prec else f"({left})"
        right = right if rprec > prec else f"({right})"
        return f"{left} {node.op} {right}", prec

    return show(tree)[0]
