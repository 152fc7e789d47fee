"""Binned distributions: :class:`Histogram1D` and :class:`Histogram2D`.

Bins are given by their edges (finite, strictly increasing), so variable
bin widths need nothing special, and counts are float64 so that weighted,
normalised or difference histograms use the same type.  A NaN count means
"no value for this bin" (e.g. the mean of an empty bin); renderers leave it
blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from inspector.plots.base import (
    CsvColumn,
    JsonReader,
    PlotError,
    PlotObject,
    Provenance,
    as_edges,
    as_float_array,
    check_length,
)
from inspector.plots.serialize import floats_to_json

__all__ = ["Histogram1D", "Histogram2D"]

_Range = tuple[float, float]


def _check_range(owner: str, name: str, value: Any) -> _Range:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise PlotError(owner, f"{name} must be a pair (lo, hi)", field=name) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise PlotError(owner, f"{name} must be finite with lo < hi, got {value!r}", field=name)
    return lo, hi


def _auto_range(values: npt.NDArray[np.float64]) -> _Range:
    """numpy's default range, from the finite values only (Inf would break it)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    return float(finite.min()), float(finite.max())


def _non_negative(owner: str, name: str, values: npt.NDArray[np.float64]) -> None:
    bad = np.flatnonzero(values < 0)
    if bad.size:
        raise PlotError(
            owner,
            f"{name} must not be negative ({name}[{bad[0]}] = {values[bad[0]].item()!r})",
            field=name,
        )


def _nan_note(count: int) -> tuple[str, ...]:
    return (f"{count} NaN value(s) not counted",) if count else ()


@dataclass(frozen=True, kw_only=True, eq=False)
class Histogram1D(PlotObject):
    """A 1-D histogram: ``counts[i]`` entries between ``edges[i]`` and ``edges[i+1]``.

    ``errors`` (optional, not negative) are per-bin uncertainties;
    ``underflow`` and ``overflow`` count entries below the first and above
    the last edge, kept so that a plot can say how much it does not show.
    """

    text_fields: ClassVar[tuple[str, ...]] = ("x_label", "x_unit", "y_label", "y_unit")

    edges: npt.NDArray[Any]  # float64 (n+1,): finite, strictly increasing
    counts: npt.NDArray[Any]  # float64 (n,), NaN = no value
    errors: npt.NDArray[Any] | None = None  # float64 (n,), not negative
    underflow: float = 0.0
    overflow: float = 0.0
    x_label: str = ""
    x_unit: str = ""
    y_label: str = ""
    y_unit: str = ""

    def validate(self) -> None:
        owner = self.plot_type
        edges = as_edges(owner, "edges", self.edges)
        counts = as_float_array(owner, "counts", self.counts)
        check_length(owner, "counts", counts, edges.size - 1, "bins")
        self.set_field("edges", edges)
        self.set_field("counts", counts)
        if self.errors is not None:
            errors = as_float_array(owner, "errors", self.errors)
            check_length(owner, "errors", errors, edges.size - 1, "bins")
            _non_negative(owner, "errors", errors)
            self.set_field("errors", errors)
        self.check_count("underflow")
        self.check_count("overflow")

    @classmethod
    def from_values(
        cls,
        values: npt.ArrayLike,
        bins: int | npt.ArrayLike = 10,
        range: _Range | None = None,
        *,
        title: str = "",
        x_label: str = "",
        x_unit: str = "",
        y_label: str = "entries",
        y_unit: str = "",
        provenance: Provenance | None = None,
        notes: Sequence[str] = (),
    ) -> Self:
        """Histogram ``values`` with :func:`numpy.histogram`, keeping under/overflow.

        ``bins`` is a number of equal bins over ``range`` (default: the
        finite values' extent) or the edges themselves.  NaN values are not
        counted and a note says how many there were; ±Inf count as
        under/overflow.
        """
        owner = cls.plot_type
        data = _sample(owner, "values", values)
        nan = np.isnan(data)
        counted = data[~nan]
        window = _auto_range(counted) if range is None else _check_range(owner, "range", range)
        try:
            counts, edges = np.histogram(counted, bins=bins, range=window)
        except (TypeError, ValueError) as exc:
            raise PlotError(owner, f"bins: {exc}", field="bins") from None
        return cls(
            edges=edges,
            counts=counts.astype(np.float64),
            underflow=float(np.count_nonzero(counted < edges[0])),
            overflow=float(np.count_nonzero(counted > edges[-1])),
            title=title,
            x_label=x_label,
            x_unit=x_unit,
            y_label=y_label,
            y_unit=y_unit,
            provenance=provenance if provenance is not None else Provenance(),
            notes=(*notes, *_nan_note(int(np.count_nonzero(nan)))),
        )

    @property
    def centres(self) -> npt.NDArray[np.float64]:
        """Bin centres (for renderers that draw points or bars at the centre)."""
        centres: npt.NDArray[np.float64] = 0.5 * (self.edges[:-1] + self.edges[1:])
        return centres

    def data_to_json(self) -> dict[str, Any]:
        return {
            "edges": floats_to_json(self.edges),
            "counts": floats_to_json(self.counts),
            "errors": None if self.errors is None else floats_to_json(self.errors),
            "underflow": self.underflow,
            "overflow": self.overflow,
        }

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        return cls(
            edges=data.floats("edges"),
            counts=data.floats("counts"),
            errors=data.floats("errors", required=False),
            underflow=data.number("underflow"),
            overflow=data.number("overflow"),
            **common,
        )

    def csv_columns(self) -> list[CsvColumn]:
        columns = [
            CsvColumn("low", self.edges[:-1], self.x_label, self.x_unit),
            CsvColumn("high", self.edges[1:], self.x_label, self.x_unit),
            CsvColumn("count", self.counts, self.y_label, self.y_unit),
        ]
        if self.errors is not None:
            columns.append(CsvColumn("error", self.errors, "", self.y_unit))
        return columns

    def csv_comments(self) -> list[str]:
        return [f"underflow: {self.underflow!r}", f"overflow: {self.overflow!r}"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Histogram2D(PlotObject):
    """A 2-D grid of values: ``values[i, j]`` is the cell of x bin i and y bin j.

    That is :func:`numpy.histogram2d`'s layout (x first).  Cells may be NaN
    (empty: drawn blank), so the same type holds counts or per-cell means.
    ``outside`` counts entries that fell outside the grid.
    """

    text_fields: ClassVar[tuple[str, ...]] = (
        "x_label",
        "x_unit",
        "y_label",
        "y_unit",
        "z_label",
        "z_unit",
    )

    x_edges: npt.NDArray[Any]  # float64 (nx+1,): finite, strictly increasing
    y_edges: npt.NDArray[Any]  # float64 (ny+1,): finite, strictly increasing
    values: npt.NDArray[Any]  # float64 (nx, ny), NaN = empty cell
    outside: float = 0.0
    x_label: str = ""
    x_unit: str = ""
    y_label: str = ""
    y_unit: str = ""
    z_label: str = ""
    z_unit: str = ""

    def validate(self) -> None:
        owner = self.plot_type
        x_edges = as_edges(owner, "x_edges", self.x_edges)
        y_edges = as_edges(owner, "y_edges", self.y_edges)
        values = as_float_array(owner, "values", self.values, ndim=2)
        shape = (x_edges.size - 1, y_edges.size - 1)
        if values.shape != shape:
            self.fail("values", f"has shape {values.shape} for {shape[0]} x {shape[1]} bins")
        self.set_field("x_edges", x_edges)
        self.set_field("y_edges", y_edges)
        self.set_field("values", values)
        self.check_count("outside")

    @classmethod
    def from_values(
        cls,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        bins: int | npt.ArrayLike = 10,
        range: tuple[_Range, _Range] | None = None,
        *,
        title: str = "",
        x_label: str = "",
        x_unit: str = "",
        y_label: str = "",
        y_unit: str = "",
        z_label: str = "entries",
        z_unit: str = "",
        provenance: Provenance | None = None,
        notes: Sequence[str] = (),
    ) -> Self:
        """Histogram the points (x, y) with :func:`numpy.histogram2d`.

        Points with a NaN coordinate are not counted (a note says how many);
        points outside the grid are counted in ``outside``.
        """
        owner = cls.plot_type
        xs = as_float_array(owner, "x", np.ravel(np.asarray(x)))
        ys = as_float_array(owner, "y", np.ravel(np.asarray(y)))
        check_length(owner, "y", ys, xs.size, "x values")
        nan = np.isnan(xs) | np.isnan(ys)
        xs, ys = xs[~nan], ys[~nan]
        if range is None:
            window = (_auto_range(xs), _auto_range(ys))
        else:
            window = (
                _check_range(owner, "range", range[0]),
                _check_range(owner, "range", range[1]),
            )
        spec: Any = bins  # numpy's stubs list fewer forms than histogram2d accepts
        try:
            counts, x_edges, y_edges = np.histogram2d(xs, ys, bins=spec, range=window)
        except (TypeError, ValueError) as exc:
            raise PlotError(owner, f"bins: {exc}", field="bins") from None
        inside = (xs >= x_edges[0]) & (xs <= x_edges[-1]) & (ys >= y_edges[0]) & (ys <= y_edges[-1])
        return cls(
            x_edges=x_edges,
            y_edges=y_edges,
            values=counts.astype(np.float64),
            outside=float(np.count_nonzero(~inside)),
            title=title,
            x_label=x_label,
            x_unit=x_unit,
            y_label=y_label,
            y_unit=y_unit,
            z_label=z_label,
            z_unit=z_unit,
            provenance=provenance if provenance is not None else Provenance(),
            notes=(*notes, *_nan_note(int(np.count_nonzero(nan)))),
        )

    def data_to_json(self) -> dict[str, Any]:
        return {
            "x_edges": floats_to_json(self.x_edges),
            "y_edges": floats_to_json(self.y_edges),
            "values": floats_to_json(self.values),
            "outside": self.outside,
        }

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        return cls(
            x_edges=data.floats("x_edges"),
            y_edges=data.floats("y_edges"),
            values=data.floats("values", ndim=2),
            outside=data.number("outside"),
            **common,
        )

    def csv_columns(self) -> list[CsvColumn]:
        nx, ny = self.values.shape
        return [
            CsvColumn("x_low", np.repeat(self.x_edges[:-1], ny), self.x_label, self.x_unit),
            CsvColumn("x_high", np.repeat(self.x_edges[1:], ny), self.x_label, self.x_unit),
            CsvColumn("y_low", np.tile(self.y_edges[:-1], nx), self.y_label, self.y_unit),
            CsvColumn("y_high", np.tile(self.y_edges[1:], nx), self.y_label, self.y_unit),
            CsvColumn("value", self.values.ravel(), self.z_label, self.z_unit),
        ]

    def csv_comments(self) -> list[str]:
        return [f"outside: {self.outside!r}"]


def _sample(owner: str, field_name: str, values: npt.ArrayLike) -> npt.NDArray[Any]:
    """Values to histogram, flattened, as given.

    Binning needs no decimal-exact float64 copy (that is for stored arrays):
    9.3 million float32 strip noises are binned as they are, without the
    second or so and the gigabyte a conversion would cost.
    """
    raw = np.ravel(np.asarray(values))
    if raw.dtype.kind in "fiu":
        return raw
    return as_float_array(owner, field_name, raw)
