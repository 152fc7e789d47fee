"""Per-module values on a named detector geometry: :class:`DetectorMap`.

The plot holds numbers by detector id only; the polygons live in the
geometry named by ``geometry`` and are joined in by the renderer, so a
16,587-module tracker map costs two arrays here, not 16,587 shapes.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Self

import numpy as np
import numpy.typing as npt

from inspector.geometry.registry import readable_names
from inspector.plots.base import (
    CsvColumn,
    JsonReader,
    PlotError,
    PlotObject,
    as_float_array,
    as_uint_array,
    check_length,
)
from inspector.plots.numbers import outliers
from inspector.plots.serialize import floats_to_json, ints_to_json

__all__ = ["HIGH", "LOW", "DetectorMap"]

#: Flags of modules whose value is an outlier (:func:`inspector.plots.numbers.outliers`).
HIGH: Final = "high"
LOW: Final = "low"


@dataclass(frozen=True, kw_only=True, eq=False)
class DetectorMap(PlotObject):
    """One value per detector id (uint32 DetId), NaN where there is none.

    ``value_range`` (lo, hi) fixes the colour scale (e.g. to compare maps);
    ``None`` lets the renderer use the data's range.  ``diverging`` asks for
    a colour map centred on zero, for differences between two inputs.
    ``flagged`` names modules the drawer knows to be bad, flag → ids (e.g.
    ``{"dead": ids}``): only the drawer knows that a noise of 0 means dead.
    :meth:`flags` adds the outliers every map has, so that pages list the
    modules worth a look instead of leaving them to pixel-hunting.
    """

    text_fields: ClassVar[tuple[str, ...]] = ("value_label", "value_unit")

    geometry: str
    ids: npt.NDArray[Any]  # uint32 (n,), unique
    values: npt.NDArray[Any]  # float64 (n,), NaN = no value
    value_label: str = ""
    value_unit: str = ""
    value_range: tuple[float, float] | None = None
    diverging: bool = False
    flagged: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict)

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
        self.set_field("flagged", self._checked_flagged(ids))

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

    def _checked_flagged(self, ids: npt.NDArray[np.uint32]) -> Mapping[str, npt.NDArray[Any]]:
        if not isinstance(self.flagged, Mapping):
            self.fail("flagged", "must map flag names to module ids")
        out: dict[str, npt.NDArray[Any]] = {}
        for name, flagged in self.flagged.items():
            if not isinstance(name, str) or not name or name in (HIGH, LOW):
                self.fail("flagged", f"flag {name!r} must be a non-empty name other than high/low")
            chosen = as_uint_array(self.plot_type, f"flagged[{name!r}]", flagged, np.uint32)
            if not np.isin(chosen, ids).all():
                self.fail("flagged", f"{name!r} names ids the map does not hold")
            out[name] = chosen
        return types.MappingProxyType(out)

    def flags(self) -> npt.NDArray[np.str_]:
        """One flag per id: the drawer's (first one wins), else ``high``/``low`` for an outlier.

        Outliers are values far from the median in robust standard deviations
        (:func:`~inspector.plots.numbers.outliers`), among the modules the
        drawer did not flag; ``""`` for the rest.
        """
        names = np.full(self.ids.size, "", dtype=object)
        for name, flagged in reversed(list(self.flagged.items())):
            names[np.isin(self.ids, flagged)] = name
        free = names == ""
        values = np.where(free, self.values, np.nan)
        far = outliers(values)
        median = np.nanmedian(values) if far.any() else 0.0
        names[far & (values > median)] = HIGH
        names[far & (values < median)] = LOW
        return np.asarray(names.astype(str))

    def data_to_json(self) -> dict[str, Any]:
        return {
            "geometry": self.geometry,
            "ids": ints_to_json(self.ids),
            "values": floats_to_json(self.values),
            "value_range": None if self.value_range is None else list(self.value_range),
            "diverging": self.diverging,
            "flagged": {name: ints_to_json(ids) for name, ids in self.flagged.items()},
        }

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        value_range = data.floats("value_range", required=False)
        flagged = data.raw("flagged") or {}
        if not isinstance(flagged, Mapping):
            raise PlotError(cls.plot_type, "JSON data.flagged must be an object")
        return cls(
            geometry=data.text("geometry"),
            ids=data.ints("ids", np.uint32),
            values=data.floats("values"),
            value_range=None if value_range is None else tuple(value_range.tolist()),
            diverging=data.flag("diverging"),
            flagged={
                str(name): JsonReader(cls.plot_type, {"ids": ids}, "data.flagged").ints(
                    "ids", np.uint32
                )
                for name, ids in flagged.items()
            },
            **common,
        )

    def csv_columns(self) -> list[CsvColumn]:
        # Names from the id alone (the rule the shipped layouts use): a
        # spreadsheet row must say which module it is without a geometry file.
        return [
            CsvColumn("id", self.ids),
            CsvColumn("name", np.asarray(readable_names(self.ids)), "module"),
            CsvColumn("value", self.values, self.value_label, self.value_unit),
            CsvColumn("flag", self.flags(), "dead, noisy or outlier (high/low)"),
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
