"""Points in a plane, optionally coloured by a third value: :class:`Scatter`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy.typing as npt

from inspector.plots.base import (
    CsvColumn,
    JsonReader,
    PlotObject,
    as_float_array,
    check_length,
)
from inspector.plots.serialize import floats_to_json

__all__ = ["Scatter"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Scatter(PlotObject):
    """Points (x[i], y[i]); ``colour[i]``, when given, picks each point's colour.

    NaN in any coordinate means the point has no value there; renderers skip
    it rather than the plot refusing it, so one bad module does not hide
    the others.
    """

    text_fields: ClassVar[tuple[str, ...]] = (
        "x_label",
        "x_unit",
        "y_label",
        "y_unit",
        "colour_label",
        "colour_unit",
    )

    x: npt.NDArray[Any]  # float64 (n,)
    y: npt.NDArray[Any]  # float64 (n,)
    colour: npt.NDArray[Any] | None = None  # float64 (n,)
    x_label: str = ""
    x_unit: str = ""
    y_label: str = ""
    y_unit: str = ""
    colour_label: str = ""
    colour_unit: str = ""

    def validate(self) -> None:
        owner = self.plot_type
        x = as_float_array(owner, "x", self.x)
        y = as_float_array(owner, "y", self.y)
        check_length(owner, "y", y, x.size, "points")
        self.set_field("x", x)
        self.set_field("y", y)
        if self.colour is not None:
            colour = as_float_array(owner, "colour", self.colour)
            check_length(owner, "colour", colour, x.size, "points")
            self.set_field("colour", colour)

    def data_to_json(self) -> dict[str, Any]:
        return {
            "x": floats_to_json(self.x),
            "y": floats_to_json(self.y),
            "colour": None if self.colour is None else floats_to_json(self.colour),
        }

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        return cls(
            x=data.floats("x"),
            y=data.floats("y"),
            colour=data.floats("colour", required=False),
            **common,
        )

    def csv_columns(self) -> list[CsvColumn]:
        columns = [
            CsvColumn("x", self.x, self.x_label, self.x_unit),
            CsvColumn("y", self.y, self.y_label, self.y_unit),
        ]
        if self.colour is not None:
            columns.append(CsvColumn("colour", self.colour, self.colour_label, self.colour_unit))
        return columns
