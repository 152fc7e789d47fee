"""Reading the ``data`` object of a plot document, every value checked and named."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy.typing as npt

from inspector.errors import PlotError
from inspector.plots import serialize as ser

# -- JSON reading ---------------------------------------------------------------------------


class JsonReader:
    """Typed access to one JSON object, naming plot and key in every error.

    Plot types read their ``data`` through it, so a malformed document says
    ``History: JSON data.since is malformed: integers (or decimal strings)
    expected`` instead of a bare numpy exception.
    """

    def __init__(self, plot_type: str, document: Any, path: str = "data") -> None:
        if not isinstance(document, Mapping):
            raise PlotError(plot_type, f"JSON {path} must be an object")
        self.plot_type = plot_type
        self.document: Mapping[str, Any] = document
        self.path = path

    def _error(self, key: str, reason: str) -> PlotError:
        return PlotError(self.plot_type, f"JSON {self.path}.{key} {reason}", field=key)

    def _convert(self, key: str, convert: Callable[[Any], Any], required: bool) -> Any:
        if key not in self.document:
            if required:
                raise self._error(key, "is missing")
            return None
        value = self.document[key]
        if value is None:
            return None
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            raise self._error(key, f"is malformed: {exc}") from None

    def text(self, key: str, default: str = "") -> str:
        """A string (labels, units); missing or null gives ``default``."""
        value = self._convert(key, _expect(str), required=False)
        return default if value is None else str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean; missing gives ``default``."""
        value = self._convert(key, _expect(bool), required=False)
        return default if value is None else bool(value)

    def number(self, key: str, default: float = 0.0) -> float:
        """A number; missing gives ``default``, null gives NaN."""
        if key in self.document and self.document[key] is None:
            return math.nan
        value = self._convert(key, _number, required=False)
        return default if value is None else float(value)

    def floats(self, key: str, ndim: int = 1, *, required: bool = True) -> Any:
        """A float64 array (nulls read as NaN); ``None`` if optional and absent."""
        return self._convert(key, lambda v: ser.floats_from_json(v, ndim), required)

    def ints(self, key: str, dtype: npt.DTypeLike) -> Any:
        """An integer array of ``dtype`` (numbers or decimal strings)."""
        return self._convert(key, lambda v: ser.ints_from_json(v, dtype), required=True)

    def datetimes(self, key: str, *, required: bool = False) -> Any:
        """A datetime64[us] array from ISO strings; ``None`` if absent or null."""
        return self._convert(key, ser.datetimes_from_json, required)

    def strings(self, key: str, *, required: bool = False) -> Any:
        """A unicode array; ``None`` if absent or null."""
        return self._convert(key, ser.strings_from_json, required)

    def items(self, key: str) -> list[JsonReader]:
        """A required array of objects, each wrapped in its own reader."""
        values = self._convert(key, _expect(list), required=True)
        if values is None:
            raise self._error(key, "must be an array of objects")
        return [
            JsonReader(self.plot_type, item, f"{self.path}.{key}[{i}]")
            for i, item in enumerate(values)
        ]

    def raw(self, key: str) -> Any:
        """The value as JSON holds it, or ``None``."""
        return self.document.get(key)


def _expect(kind: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return check


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)
