"""Typed drawer parameters, validated before a drawer runs.

Parameters come from URLs and command lines as text; each :class:`Param`
parses and checks its value and names itself in the error, so a bad value is
a 400 / exit code 2 that says which parameter and why.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inspector.drawers.param_json import DrawerParam, ParamType, ParamValue
from inspector.errors import InvalidParameter

__all__ = ["MODULE", "DrawerParam", "Param", "ParamType", "ParamValue", "validate_params"]


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
MAX_STRING = 200
#: The parameter naming one detector module (its raw DetId): a drawer that takes
#: it draws that module, and pages link a module to such a drawer through it.
MODULE = "detid"
_MAX_DETID = 2**32 - 1


@dataclass(frozen=True)
class Param:
    """One declared drawer parameter (use the constructors below)."""

    name: str
    type: ParamType
    default: ParamValue
    help: str = ""
    minimum: builtins.float | None = None
    maximum: builtins.float | None = None
    choices: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"parameter name {self.name!r} must be an identifier")
        self.parse(self.default)  # a declaration whose default is invalid is a bug

    @classmethod
    def int(
        cls,
        name: str,
        default: builtins.int,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
        help: str = "",
    ) -> Param:
        """An integer, optionally bounded."""
        return cls(name, "int", default, help, minimum, maximum)

    @classmethod
    def float(
        cls,
        name: str,
        default: builtins.float,
        *,
        minimum: builtins.float | None = None,
        maximum: builtins.float | None = None,
        help: str = "",
    ) -> Param:
        """A finite float, optionally bounded."""
        return cls(name, "float", default, help, minimum, maximum)

    @classmethod
    def bool(cls, name: str, default: builtins.bool, *, help: str = "") -> Param:
        """A flag: true/false, yes/no, on/off, 1/0."""
        return cls(name, "bool", default, help)

    @classmethod
    def choice(
        cls, name: str, choices: Sequence[str], default: str | None = None, *, help: str = ""
    ) -> Param:
        """One of a fixed list of strings (default: the first)."""
        return cls(
            name,
            "choice",
            default if default is not None else choices[0],
            help,
            choices=tuple(choices),
        )

    @classmethod
    def string(cls, name: str, default: str = "", *, help: str = "") -> Param:
        """Free text (at most 200 characters)."""
        return cls(name, "string", default, help)

    @classmethod
    def module(cls, default: builtins.int, *, help: str = "the module's DetId") -> Param:
        """The DetId of one module (:data:`MODULE`), a raw 32-bit id."""
        return cls.int(MODULE, default, minimum=1, maximum=_MAX_DETID, help=help)

    def parse(self, raw: Any) -> ParamValue:
        """Parse text (or an already typed value) and check it."""
        parsers: dict[str, Callable[[Any], ParamValue]] = {
            "int": self._int,
            "float": self._float,
            "bool": self._bool,
            "choice": self._choice,
            "string": self._string,
        }
        return parsers[self.type](raw)

    def _fail(self, reason: str) -> InvalidParameter:
        return InvalidParameter(self.name, reason)

    def _bounded(self, value: builtins.float) -> None:
        if self.minimum is not None and value < self.minimum:
            raise self._fail(f"{value} is below the minimum {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise self._fail(f"{value} is above the maximum {self.maximum:g}")

    def _int(self, raw: Any) -> builtins.int:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise self._fail(f"{raw!r} is not an integer")
        try:
            value = int(raw)
        except ValueError:
            raise self._fail(f"{raw!r} is not an integer") from None
        self._bounded(value)
        return value

    def _float(self, raw: Any) -> builtins.float:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise self._fail(f"{raw!r} is not a number")
        try:
            value = float(raw)
        except ValueError:
            raise self._fail(f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise self._fail(f"{raw!r} is not a finite number")
        self._bounded(value)
        return value

    def _bool(self, raw: Any) -> builtins.bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._fail(f"{raw!r} is not true or false")

    def _choice(self, raw: Any) -> str:
        if raw not in self.choices:
            raise self._fail(f"{raw!r} is not one of {', '.join(self.choices)}")
        return str(raw)

    def _string(self, raw: Any) -> str:
        text = str(raw)
        if len(text) > MAX_STRING:
            raise self._fail(f"longer than {MAX_STRING} characters")
        return text

    def describe(self) -> DrawerParam:
        """JSON-able description (for the API, the UI form and ``inspector plugins``)."""
        doc: DrawerParam = {"name": self.name, "type": self.type, "default": self.default}
        if self.help:
            doc["help"] = self.help
        if self.minimum is not None:
            doc["minimum"] = self.minimum
        if self.maximum is not None:
            doc["maximum"] = self.maximum
        if self.choices:
            doc["choices"] = list(self.choices)
        return doc


def validate_params(declared: Sequence[Param], given: Mapping[str, Any]) -> dict[str, ParamValue]:
    """Defaults filled in, every value parsed; unknown names are rejected."""
    known = {p.name: p for p in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise InvalidParameter(unknown[0], f"unknown parameter (this drawer takes: {names})")
    return {p.name: p.parse(given[p.name]) if p.name in given else p.default for p in declared}
