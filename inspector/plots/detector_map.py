"""Per-module values on a named detector geometry: :class:`DetectorMap`.

The plot holds numbers by detector id only; the polygons live in the
geometry named by ``geometry`` and are joined in by the renderer, so a
16,587-module tracker map costs two arrays here, not 16,587 shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from inspector.plots.base import (
    CsvColumn,
    JsonReader,
    PlotObject,
    as_float_array,
    as_uint_array,
    check_length,
)
from inspector.plots.serialize import floats_to_json, ints_to_json

__all__ = ["DetectorMap"]


@dataclass(frozen=True, kw_only=True, eq=False)
class DetectorMap(PlotObject):
    """One value per detector id (uint32 DetId), NaN where there is none.

    ``value_range`` (lo, hi) fixes the colour scale (e.g. to compare maps);
    ``None`` lets the renderer use the data's range.  ``diverging`` asks for
    a colour map centred on zero, for differences between two inputs.
    """

    text_fields: ClassVar[tuple[str, ...]] = ("value_label", "value_unit")

    geometry: str
    ids: npt.NDArray[Any]  # uint32 (n,), unique
    values: npt.NDArray[Any]  # float64 (n,), NaN = no value
    value_label: str = ""
    value_unit: str = ""
    value_range: tuple[float, float] | None = None
    diverging: bool = False

    def validate(self) -> None:
        owner = self.plot_type
        self.check_texts("geometry")
        if not self.geometry:
            self.fail("geometry", "must name a geometry")
        if not isinstance(self.diverging, bool | np.bool_):
            self.fail("diverging", f"must be a boolean, not {self.diverging!r}")
        self.set_field("diverging", bool(self.diverging))
        ids = as_uint_array(owner, "ids", self.ids, np.uint32)
        values = as_float_array(owner, "values", self.values)
        check_length(owner, "values", values, ids.size, "ids")
        self._check_unique(ids)
        self.set_field("ids", ids)
        self.set_field("values", values)
        self.set_field("value_range", self._checked_range())

    def _check_unique(self, ids: npt.NDArray[np.uint32]) -> None:
        ordered = np.sort(ids)
        repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
        if repeated.size:
            count = np.unique(ordered[1:][repeated]).size
            self.fail(
                "ids", f"must be unique: id {ordered[repeated[0]]} and {count - 1} more repeat"
            )

    def _checked_range(self) -> tuple[float, float] | None:
        if self.value_range is None:
            return None
        try:
            lo, hi = (float(v) for v in self.value_range)
        except (TypeError, ValueError):
            self.fail("value_range", f"must be a pair (lo, hi), not {self.value_range!r}")
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            self.fail("value_range", f"must be finite with lo < hi, got ({lo!r}, {hi!r})")
        return lo, hi

    def data_to_json(self) -> dict[str, Any]:
        return {
            "geometry": self.geometry,
            "ids": ints_to_json(self.ids),
            "values": floats_to_json(self.values),
            "value_range": None if self.value_range is None else list(self.value_range),
            "diverging": self.diverging,
        }

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        value_range = data.floats("value_range", required=False)
        return cls(
            geometry=data.text("geometry"),
            ids=data.ints("ids", np.uint32),
            values=data.floats("values"),
            value_range=None if value_range is None else tuple(value_range.tolist()),
            diverging=data.flag("diverging"),
            **common,
        )

    def csv_columns(self) -> list[CsvColumn]:
        return [
            CsvColumn("id", self.ids),
            CsvColumn("value", self.values, self.value_label, self.value_unit),
        ]

    def csv_comments(self) -> list[str]:
        lo_hi = (
            "auto"
            if self.value_range is None
            else f"{self.value_range[0]!r}, {self.value_range[1]!r}"
        )
        return [
            f"geometry: {self.geometry}",
            f"value_range: {lo_hi}",
            f"diverging: {str(self.diverging).lower()}",
        ]
