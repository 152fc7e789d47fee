"""A safe evaluator of ROOT TFormula text, as JetMET payloads carry it.

JER and JEC payloads (``JME::JetResolutionObject``,
``JetCorrectorParametersCollection``) store their parametrisation as formula
text such as ``sqrt([0]*abs([0])/(x*x)+[1]*[1]*pow(x,[3])+[2]*[2])``. This
package parses such text into a syntax tree with a small recursive-descent
parser (never Python's ``eval`` or ``compile``) and evaluates it vectorised
over numpy arrays::

    from inspector.formula import parse

    f = parse("[0]+[1]*log10(x)")
    f.evaluate([1.0, 0.5], [pt_grid])     # one value per pT

What is accepted (docs/formulas.md): numbers, parameters ``[0]`` … ``[n]``,
the variables ``x``, ``y``, ``z``, ``t`` (plus names a caller declares), the
operators ``+ - * / ^ **``, unary ``- + !``, comparisons, ``&&`` and ``||``,
parentheses, the constant ``pi`` and the functions of
:data:`~inspector.formula.functions.SPELLINGS`. Anything else is a
:class:`~inspector.errors.FormulaError` that names the formula, the offending
token and its position.  Parsed formulas are cached on their text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inspector.errors import FormulaError
from inspector.formula.evaluate import evaluate_tree, unparse
from inspector.formula.functions import FUNCTIONS, SPELLINGS
from inspector.formula.parser import (
    POSITIONAL_VARIABLES,
    Node,
    Parameter,
    Variable,
    children,
    parse_tree,
)

__all__ = ["FUNCTIONS", "SPELLINGS", "Formula", "FormulaError", "evaluate", "parse", "unparse"]


@dataclass(frozen=True, eq=False)
class Formula:
    """A parsed formula: its text, its syntax tree and what it uses."""

    text: str
    tree: Node
    #: 1 + the highest parameter index used (0 when the formula uses none)
    n_parameters: int
    #: 1 + the highest variable position used (x → 1, y → 2, ...; 0 for none)
    n_variables: int

    def evaluate(
        self, parameters: npt.ArrayLike = (), variables: Sequence[npt.ArrayLike] = ()
    ) -> npt.NDArray[np.float64]:
        """Values of the formula, broadcast over parameters and variables.

        ``parameters`` has the parameter index on its last axis: a 1-D array
        is one record's parameters; an ``(n, k)`` array gives each of ``n``
        points its own ``k`` parameters.  ``variables[0]`` is x, ``[1]`` y,
        and so on, each a scalar or an array.  The result is a float64 array
        of the broadcast shape (a constant formula is broadcast too).
        """
        params = np.asarray(parameters, dtype=np.float64)
        if params.ndim == 0:
            params = params.reshape(1)
        values = [np.asarray(v, dtype=np.float64) for v in variables]
        shape = np.broadcast_shapes(params.shape[:-1], *(v.shape for v in values))
        result = evaluate_tree(self.text, self.tree, params, values)
        return np.broadcast_to(np.asarray(result, dtype=np.float64), shape).copy()

    __call__ = evaluate

    def __str__(self) -> str:
        return self.text


def _uses(tree: Node) -> tuple[int, int]:
    params = variables = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Parameter):
            params = max(params, node.index + 1)
        elif isinstance(node, Variable):
            variables = max(variables, node.index + 1)
        stack.extend(children(node))
    return params, variables


@functools.lru_cache(maxsize=512)
def parse(text: str, names: tuple[str, ...] = ()) -> Formula:
    """Parse formula text (cached on the text and ``names``).

    ``names`` are extra names for the variables by position: with
    ``names=("JetPt", "Rho")`` the text may say ``JetPt`` for ``x`` and
    ``Rho`` for ``y``.  At most four variables exist, as in TFormula.
    """
    if len(names) > len(POSITIONAL_VARIABLES):
        raise FormulaError(
            text, f"{len(names)} variable names given; at most {len(POSITIONAL_VARIABLES)} exist"
        )
    tree = parse_tree(text, names)
    n_parameters, n_variables = _uses(tree)
    return Formula(text, tree, n_parameters, n_variables)


def evaluate(
    text: str,
    parameters: npt.ArrayLike = (),
    variables: Sequence[npt.ArrayLike] = (),
) -> npt.NDArray[np.float64]:
    """``parse(text).evaluate(parameters, variables)`` in one call."""
    return parse(text).evaluate(parameters, variables)
