"""Tokenizer and recursive-descent parser: formula text → syntax tree.

The grammar, lowest precedence first (every binary operator is
left-associative except the power, which is right-associative)::

    expression := or
    or         := and   ( "||" and )*
    and        := equal ( "&&" equal )*
    equal      := order ( ("==" | "!=") order )*
    order      := sum   ( ("<" | "<=" | ">" | ">=") sum )*
    sum        := term  ( ("+" | "-") term )*
    term       := unary ( ("*" | "/") unary )*
    unary      := ("-" | "+" | "!") unary | power
    power      := atom  ( ("^" | "**") unary )?
    atom       := number | "[" digits "]" | name | name "(" arguments ")" | "(" expression ")"

so ``-x^2`` is ``-(x^2)``, ``2^3^2`` is ``2^(3^2)`` and ``x^-2`` is allowed,
as in ROOT's TFormula.  Names are the variables ``x``, ``y``, ``z``, ``t``
(and the extra names a caller declares), the constant ``pi`` and the
functions of :data:`inspector.formula.functions.FUNCTIONS`; anything else is a
:class:`~inspector.errors.FormulaError` naming the token and its position.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from inspector.errors import FormulaError
from inspector.formula.functions import CONSTANTS, FUNCTIONS, canonical_function

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "POSITIONAL_VARIABLES",
    "PRECEDENCE",
    "Binary",
    "Call",
    "Node",
    "Number",
    "Parameter",
    "Unary",
    "Variable",
    "children",
    "parse_tree",
    "tokenize",
    "tree_depth",
]

#: Longest formula text accepted (real JEC formulas are under 1,000 characters).
MAX_LENGTH: Final = 20_000
#: Deepest syntax tree accepted (real JetMET formulas stay under 30 levels); keeps
#: parsing and evaluation far from Python's recursion limit.
MAX_DEPTH: Final = 100
#: TFormula's positional variables: x is the first variable, y the second, ...
POSITIONAL_VARIABLES: Final = ("x", "y", "z", "t")


# -- Syntax tree ---------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A numeric literal."""

    value: float


@dataclass(frozen=True)
class Parameter:
    """``[index]``: a parameter of the record being evaluated."""

    index: int


@dataclass(frozen=True)
class Variable:
    """A variable by position: 0 is ``x``, 1 is ``y``, 2 is ``z``, 3 is ``t``."""

    index: int


@dataclass(frozen=True)
class Unary:
    """``-a``, ``+a`` or ``!a``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    """``a op b`` with op one of ``+ - * / ^ < <= > >= == != && ||``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    """A whitelisted function by its canonical name (``TMath::Log`` → ``log``)."""

    name: str
    args: tuple[Node, ...]


Node = Number | Parameter | Variable | Unary | Binary | Call


# -- Tokens --------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """One token: its kind, its text and where it starts (0-based offset)."""

    kind: str  # "number", "parameter", "name", "op", "end"
    text: str
    position: int


_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*")
_PARAMETER = re.compile(r"\[\s*(\d+)\s*\]")
#: Longest first, so "**" is not read as two "*".
_OPERATORS: Final[tuple[str, ...]] = (
    *("**", "<=", ">=", "==", "!=", "&&", "||"),
    *("+", "-", "*", "/", "^", "(", ")", ",", "<", ">", "!"),
)


def tokenize(text: str) -> Iterator[Token]:
    """Tokens of formula text, read lazily (so errors come in reading order)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            assert m is not None
            # "2x" or "1.5e" followed by a letter is a typo, not 2 * x
            end = m.end()
            if end < n and (text[end].isalpha() or text[end] == "_"):
                raise FormulaError(text, f"malformed number {text[i : end + 1]!r}", position=i)
            yield Token("number", m.group(), i)
            i = end
            continue
        if c == "[":
            m = _PARAMETER.match(text, i)
            if m is None:
                close = text.find("]", i)
                shown = text[i : close + 1] if close >= 0 else text[i:]
                raise FormulaError(
                    text,
                    f"parameter {shown!r} is not of the form [0], [1], ...",
                    position=i,
                )
            yield Token("parameter", m.group(1), i)
            i = m.end()
            continue
        if c.isalpha() or c == "_":
            m = _NAME.match(text, i)
            assert m is not None
            yield Token("name", m.group(), i)
            i = m.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                yield Token("op", op, i)
                i += len(op)
                break
        else:
            raise FormulaError(text, f"unexpected character {c!r}", position=i)
    yield Token("end", "", n)


# -- Parser --------------------------------------------------------------------

#: Binary operators and their precedence (higher binds tighter); all left-associative.
PRECEDENCE: Final = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
}


class _Parser:
    def __init__(self, text: str, names: tuple[str, ...]) -> None:
        self.text = text
        self.stream = tokenize(text)
        self.tokens: list[Token] = []
        self.pos = 0
        self.depth = 0
        self.variables = {name: i for i, name in enumerate(POSITIONAL_VARIABLES)}
        for i, name in enumerate(names):
            self.variables[name] = i

    # helpers
    def peek(self) -> Token:
        while len(self.tokens) <= self.pos:
            self.tokens.append(next(self.stream))
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def fail(self, reason: str, token: Token) -> FormulaError:
        return FormulaError(self.text, reason, position=token.position)

    def expect(self, op: str, opened: Token | None = None) -> None:
        token = self.peek()
        if token.kind == "op" and token.text == op:
            self.pos += 1
            return
        found = "the end of the formula" if token.kind == "end" else repr(token.text)
        if opened is not None:
            raise self.fail(
                f"{opened.text!r} opened at position {opened.position} is not closed: "
                f"expected {op!r}, found {found}",
                token,
            )
        raise self.fail(f"expected {op!r}, found {found}", token)

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels", token)

    # grammar
    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("the formula is empty", self.peek())
        node = self.binary(1)
        token = self.peek()
        if token.kind != "end":
            raise self.fail(f"unexpected {token.text!r} after a complete expression", token)
        return node

    def binary(self, lowest: int) -> Node:
        """Precedence climbing over the operators binding at least ``lowest``."""
        node = self.unary()
        while (token := self.peek()).kind == "op":
            precedence = PRECEDENCE.get(token.text, 0)
            if precedence < lowest:
                break
            self.pos += 1
            node = Binary(token.text, node, self.binary(precedence + 1))
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text in ("-", "+", "!"):
            self.pos += 1
            self.enter(token)
            operand = self.unary()
            self.depth -= 1
            return Unary(token.text, operand)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        token = self.peek()
        if token.kind == "op" and token.text in ("^", "**"):
            self.pos += 1
            self.enter(token)
            exponent = self.unary()
            self.depth -= 1
            return Binary("^", base, exponent)
        return base

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            if not math.isfinite(value):
                raise self.fail(f"number {token.text!r} is out of range", token)
            return Number(value)
        if token.kind == "parameter":
            return Parameter(int(token.text))
        if token.kind == "name":
            return self.name(token)
        if token.kind == "op" and token.text == "(":
            self.enter(token)
            node = self.binary(1)
            self.expect(")", token)
            self.depth -= 1
            return node
        if token.kind == "end":
            raise self.fail("the formula ends where a value is expected", token)
        raise self.fail(f"unexpected {token.text!r} where a value is expected", token)

    def name(self, token: Token) -> Node:
        follows = self.peek()
        is_call = follows.kind == "op" and follows.text == "("
        if not is_call:
            if token.text in self.variables:
                return Variable(self.variables[token.text])
            if token.text in CONSTANTS:
                return Number(CONSTANTS[token.text])
            if canonical_function(token.text) is not None:
                raise self.fail(f"function {token.text!r} needs its arguments in ( )", token)
            raise self.fail(f"unknown name {token.text!r}", token)
        function = canonical_function(token.text)
        if function is None:
            if token.text in self.variables:
                raise self.fail(f"variable {token.text!r} is not a function", token)
            raise self.fail(f"unknown function {token.text!r}", token)
        self.pos += 1  # "("
        self.enter(follows)
        args: list[Node] = []
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            args.append(self.binary(1))
            while self.peek().kind == "op" and self.peek().text == ",":
                self.pos += 1
                args.append(self.binary(1))
        self.expect(")", follows)
        self.depth -= 1
        arity = FUNCTIONS[function].arity
        if len(args) != arity:
            raise self.fail(
                f"function {token.text!r} takes {arity} argument{'s' if arity != 1 else ''}, "
                f"not {len(args)}",
                token,
            )
        if arity == 0:  # TMath::Pi() and friends are constants
            return Number(FUNCTIONS[function].constant)
        return Call(function, tuple(args))


def parse_tree(text: str, names: tuple[str, ...] = ()) -> Node:
    """The syntax tree of ``text``; ``names`` are extra names of variables 0, 1, ..."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            text[:60] + "…", f"is {len(text)} characters long; at most {MAX_LENGTH} are accepted"
        )
    tree = _Parser(text, names).parse()
    depth = tree_depth(tree)
    if depth > MAX_DEPTH:
        raise FormulaError(text, f"is nested {depth} levels deep; at most {MAX_DEPTH} are accepted")
    return tree


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def tree_depth(tree: Node) -> int:
    """Levels of the tree (a lone number is 1), computed without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    return deepest
