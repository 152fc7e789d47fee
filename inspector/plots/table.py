"""Named columns of equal length: :class:`Table`.

For what is not a picture: per-module lists, the rows behind a plot, a
summary.  Each column keeps its own dtype (integers stay integers, ids stay
uint32), and the JSON form names that dtype so the table reads back equal.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from inspector.plots.base import (
    CsvColumn,
    JsonReader,
    PlotError,
    PlotObject,
    as_datetime_array,
    as_float_array,
    as_str_array,
    readonly,
)
from inspector.plots.serialize import (
    datetimes_from_json,
    datetimes_to_json,
    floats_from_json,
    floats_to_json,
    ints_from_json,
    ints_to_json,
    strings_from_json,
)

__all__ = ["Table"]

_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _dtype_name(values: npt.NDArray[Any]) -> str:
    """The JSON ``dtype`` of a column: how to read its values back exactly."""
    kind = values.dtype.kind
    if kind == "U":
        return "str"
    if kind == "M":
        return "datetime64[us]"
    return str(values.dtype.name)


def _bools_from_json(values: Any) -> npt.NDArray[np.bool_]:
    if not isinstance(values, list) or not all(isinstance(v, bool) for v in values):
        raise ValueError("booleans expected")
    return np.array(values, dtype=np.bool_)


def _column_from_json(dtype: str, values: Any) -> npt.NDArray[Any]:
    if dtype == "float64":
        return floats_from_json(values)
    if dtype in _INT_DTYPES:
        return ints_from_json(values, dtype)
    if dtype == "bool":
        return _bools_from_json(values)
    if dtype == "str":
        return strings_from_json(values)
    if dtype == "datetime64[us]":
        return datetimes_from_json(values)
    raise ValueError(f"unknown column dtype {dtype!r}")


def _column_to_json(values: npt.NDArray[Any]) -> list[Any]:
    kind = values.dtype.kind
    if kind == "f":
        return floats_to_json(values)
    if kind in "iu":
        return ints_to_json(values)
    if kind == "M":
        return datetimes_to_json(values)
    plain: list[Any] = values.tolist()
    return plain


@dataclass(frozen=True, kw_only=True, eq=False)
class Table(PlotObject):
    """Ordered columns, name → 1-D array, all of one length.

    Column dtypes: booleans, integers (kept as given, up to 64 bits), floats
    (stored as float64), strings, and date-times (datetime64[us], UTC).
    ``units`` names the unit of some columns.

    ``bars`` makes a summary table a chart too: each entry maps a numeric
    column to the column of its spread (``""`` for none), and renderers draw
    one bar per row (labelled by the first column, which must hold strings)
    with the spread as error bar, e.g. per-partition mean ± RMS.  The drawer
    says which columns pair up, since only it knows what the numbers mean.
    """

    columns: Mapping[str, npt.NDArray[Any]]
    units: Mapping[str, str] = field(default_factory=dict)
    bars: Mapping[str, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """Number of rows."""
        return len(next(iter(self.columns.values())))

    def validate(self) -> None:
        if not isinstance(self.columns, Mapping) or not self.columns:
            self.fail("columns", "must map at least one name to an array")
        columns: dict[str, npt.NDArray[Any]] = {}
        for name, values in self.columns.items():
            if not isinstance(name, str) or not name or name.startswith("#"):
                self.fail("columns", f"name {name!r} must be non-empty and not start with '#'")
            if "\n" in name or "\r" in name:
                self.fail("columns", f"name {name!r} must be one line")
            columns[name] = self._column(name, values)
        rows = len(next(iter(columns.values())))
        for name, values in columns.items():
            if len(values) != rows:
                self.fail(f"column {name!r}", f"has {len(values)} values for {rows} rows")
        self.set_field("columns", types.MappingProxyType(columns))
        self.set_field("units", self._checked_units(columns))
        self.set_field("bars", self._checked_bars(columns))

    def _column(self, name: str, values: Any) -> npt.NDArray[Any]:
        owner, label = self.plot_type, f"column {name!r}"
        try:
            raw = np.asarray(values)
        except (TypeError, ValueError) as exc:
            self.fail(label, f"is not an array ({exc})")
        kind = raw.dtype.kind
        if kind in "fO" and raw.size == 0:
            return as_float_array(owner, label, raw)
        if kind == "O" and all(isinstance(v, str) for v in raw.ravel().tolist()):
            kind = "U"
        if kind == "f":
            return as_float_array(owner, label, raw)
        if kind == "U":
            return as_str_array(owner, label, raw)
        if kind == "M":
            return as_datetime_array(owner, label, raw)
        if kind in "biu" and raw.dtype.itemsize <= 8:
            if raw.ndim != 1:
                self.fail(label, f"must be 1-dimensional, got shape {raw.shape}")
            return readonly(raw.astype(raw.dtype.newbyteorder("=")))
        self.fail(
            label, f"must hold booleans, integers, floats, strings or date-times, not {raw.dtype}"
        )

    def _checked_units(self, columns: Mapping[str, Any]) -> Mapping[str, str]:
        if not isinstance(self.units, Mapping):
            self.fail("units", "must map column names to units")
        units: dict[str, str] = {}
        for name, unit in self.units.items():
            if name not in columns:
                self.fail("units", f"names a column that does not exist: {name!r}")
            if not isinstance(unit, str):
                self.fail("units", f"{name!r} must be a string, not {unit!r}")
            if unit:
                units[name] = unit
        # In column order, so that equal tables compare equal whatever order units came in.
        return types.MappingProxyType({name: units[name] for name in columns if name in units})

    def _checked_bars(self, columns: Mapping[str, npt.NDArray[Any]]) -> Mapping[str, str]:
        if not isinstance(self.bars, Mapping):
            self.fail("bars", "must map value columns to their spread columns")
        for value, spread in self.bars.items():
            for name in (value, spread) if spread else (value,):
                if name not in columns or columns[name].dtype.kind not in "iuf":
                    self.fail("bars", f"{name!r} is not a numeric column")
        if self.bars and next(iter(columns.values())).dtype.kind != "U":
            self.fail("bars", "need the first column to label the rows with strings")
        return types.MappingProxyType({str(k): str(v) for k, v in self.bars.items()})

    def data_to_json(self) -> dict[str, Any]:
        return {
            "columns": [
                {
                    "name": name,
                    "dtype": _dtype_name(values),
                    "unit": self.units.get(name, ""),
                    "values": _column_to_json(values),
                }
                for name, values in self.columns.items()
            ],
            "bars": [{"value": k, "spread": v} for k, v in self.bars.items()],
        }

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        columns: dict[str, npt.NDArray[Any]] = {}
        units: dict[str, str] = {}
        items = data.items("columns")
        for item in items:
            name = item.text("name")
            dtype = item.text("dtype")
            try:
                columns[name] = _column_from_json(dtype, item.raw("values"))
            except (TypeError, ValueError) as exc:
                raise PlotError(cls.plot_type, f"JSON {item.path}.values: {exc}") from None
            units[name] = item.text("unit")
        if len(columns) != len(items):
            raise PlotError(cls.plot_type, "JSON data.columns: a column name appears twice")
        bars = (
            {b.text("value"): b.text("spread") for b in data.items("bars")}
            if data.raw("bars")
            else {}
        )
        return cls(columns=columns, units=units, bars=bars, **common)

    def csv_columns(self) -> list[CsvColumn]:
        return [
            CsvColumn(name, values, "", self.units.get(name, ""))
            for name, values in self.columns.items()
        ]
