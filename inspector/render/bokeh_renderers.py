"""Bokeh renderers of the built-in plot types.

Each builds a *fresh* model per call (models cannot be shared between
documents).  Arrays go to Bokeh as float64/int32 numpy columns, which
serialise as compact binary buffers; anything else (uint64 ``since`` values,
whose JavaScript numbers would lose precision) is converted first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from bokeh.models.annotations import ColorBar
from bokeh.models.formatters import (
    NumeralTickFormatter,
)
from bokeh.models.mappers import LinearColorMapper
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import HoverTool
from bokeh.palettes import Category10_10, Turbo256

from inspector.errors import NotFound
from inspector.plots import (
    DetectorMap,
    Histogram1D,
    Histogram2D,
    History,
    Scatter,
    Table,
)
from inspector.plots.numbers import robust_range
from inspector.render.geometry_json import quantise_values
from inspector.render.registry import RenderError

__all__ = [
    "BUILTIN_RENDERERS",
    "DETECTOR_MAP_SOURCE",
    "AnnotationMarker",
    "add_annotation_markers",
    "provenance_text",
]

from inspector.render.figures import (
    DIVERGING,
    WEBGL_ABOVE,
    _axis_label,
    _figure,
    provenance_text,
)
from inspector.render.history import AnnotationMarker, add_annotation_markers, render_history
from inspector.render.tables import render_table

# -- Histograms ---------------------------------------------------------------


def render_histogram1d(plot: Histogram1D, options: Mapping[str, Any]) -> Any:
    """Bins as quads with a hover showing the range and count."""
    fig = _figure(plot, options)
    source = ColumnDataSource(
        {"left": plot.edges[:-1], "right": plot.edges[1:], "top": plot.counts}
    )
    quads = fig.quad(
        left="left",
        right="right",
        top="top",
        bottom=0,
        source=source,
        fill_color=Category10_10[0],
        line_color="white",
        fill_alpha=0.8,
    )
    fig.add_tools(
        HoverTool(
            renderers=[quads],
            tooltips=[
                ("bin", "[@left{0.[000]}, @right{0.[000]})"),
                (plot.y_label or "entries", "@top"),
            ],
        )
    )
    fig.xaxis.axis_label = _axis_label(plot.x_label, plot.x_unit)
    fig.yaxis.axis_label = _axis_label(plot.y_label, plot.y_unit)
    fig.yaxis.formatter = NumeralTickFormatter(format="0.[0]a")
    fig.y_range.start = 0
    if plot.underflow or plot.overflow:
        fig.title.text = f"{plot.title}  (underflow {plot.underflow:g}, overflow {plot.overflow:g})"
    return fig


def _colour_mapper(
    values: npt.NDArray[np.float64], diverging: bool, value_range: tuple[float, float] | None = None
) -> LinearColorMapper:
    finite = values[np.isfinite(values)]
    if value_range is not None:
        lo, hi = value_range
    elif finite.size:
        lo, hi = float(finite.min()), float(finite.max())
    else:
        lo, hi = 0.0, 1.0
    if diverging:
        bound = max(abs(lo), abs(hi)) or 1.0
        lo, hi = -bound, bound
    if hi <= lo:
        hi = lo + 1.0
    # On diverging scales the middle colour is near white: "no value" is darker.
    return LinearColorMapper(
        palette=DIVERGING if diverging else Turbo256,
        low=lo,
        high=hi,
        nan_color="#9e9e9e" if diverging else "#d9d9d9",
        low_color="#000066" if value_range else None,
        high_color="#660000" if value_range else None,
    )


def render_histogram2d(plot: Histogram2D, options: Mapping[str, Any]) -> Any:
    """One image with a colour bar; empty cells grey."""
    x0, x1 = float(plot.x_edges[0]), float(plot.x_edges[-1])
    y0, y1 = float(plot.y_edges[0]), float(plot.y_edges[-1])
    fig = _figure(plot, options, x_range=(x0, x1), y_range=(y0, y1))
    diverging = bool(options.get("diverging", plot.title.lower().find("−") >= 0))
    mapper = _colour_mapper(plot.values, diverging)
    image = np.ascontiguousarray(plot.values.T, dtype=np.float64)
    glyph = fig.image(image=[image], x=x0, y=y0, dw=x1 - x0, dh=y1 - y0, color_mapper=mapper)
    fig.add_tools(
        HoverTool(
            renderers=[glyph],
            tooltips=[("x", "$x{0.[0]}"), ("y", "$y{0.[0]}"), (plot.z_label or "value", "@image")],
        )
    )
    fig.add_layout(
        ColorBar(color_mapper=mapper, title=_axis_label(plot.z_label, plot.z_unit)), "right"
    )
    fig.xaxis.axis_label = _axis_label(plot.x_label, plot.x_unit)
    fig.yaxis.axis_label = _axis_label(plot.y_label, plot.y_unit)
    return fig


# -- Detector maps ------------------------------------------------------------


def render_detector_map(plot: DetectorMap, options: Mapping[str, Any]) -> Any:
    """All modules as one ``patches`` glyph, coloured by value, grey without one.

    With ``options["geometry_url"]`` (the web pages) the document carries only
    the quantised values and the URL of the layout, which the page fetches
    once (the browser caches it) and joins in; otherwise (standalone exports)
    the polygons are embedded.  ``options["geometry_registry"]`` resolves
    layout names (default: the shipped layouts).
    """
    registry = options.get("geometry_registry") or _default_geometry()
    try:
        layout = registry.get(plot.geometry)
    except NotFound as exc:
        raise RenderError(f"cannot draw the map: {exc}") from None
    values = _layout_values(plot, layout)
    mapper = _colour_mapper(values, plot.diverging, plot.value_range or robust_range(values))
    x0, x1, y0, y1 = _bounds(layout)
    fig = _figure(plot, {"height": 900, **options}, match_aspect=True)
    # Two invisible corner points give the auto-ranges the layout's extent before
    # the polygons arrive, keeping the true aspect ratio (no stretched disks).
    fig.scatter([x0, x1], [y0, y1], size=0, alpha=0.0)
    label = plot.value_label or "value"
    source = _map_source(plot, layout, values, registry, options.get("geometry_url"))
    patches = fig.patches(
        "xs",
        "ys",
        source=source,
        line_color=None,
        fill_color={"field": "value", "transform": mapper},
    )
    unit = f" {plot.value_unit}" if plot.value_unit else ""
    fig.add_tools(
        HoverTool(
            renderers=[patches],
            tooltips=[("detid", "@id"), ("module", "@name"), (label, f"@value{{0.[0000]}}{unit}")],
        )
    )
    fig.add_layout(
        ColorBar(color_mapper=mapper, title=_axis_label(plot.value_label, plot.value_unit)), "right"
    )
    fig.axis.visible = False
    fig.grid.visible = False
    return fig


def _map_source(
    plot: DetectorMap,
    layout: Any,
    values: npt.NDArray[np.float64],
    registry: Any,
    url_for: Callable[[str], str] | None,
) -> ColumnDataSource:
    """The map's data: quantised values and the layout's URL (pages), or the polygons."""
    if url_for is not None:
        codes, lo, hi = quantise_values(values)
        meta = {"geometry_url": url_for(plot.geometry), "codes": codes, "lo": lo, "hi": hi}
        return ColumnDataSource(
            data={"xs": [], "ys": [], "id": [], "name": [], "value": []},
            name=DETECTOR_MAP_SOURCE,
            tags=[meta],
        )
    pairs = zip(layout.offsets[:-1], layout.offsets[1:], strict=True)
    xs, ys = [], []
    for a, b in pairs:
        xs.append(layout.x[a:b].astype(np.float64).tolist())
        ys.append(layout.y[a:b].astype(np.float64).tolist())
    names = registry.module_names(plot.geometry)
    return ColumnDataSource(
        {
            "xs": xs,
            "ys": ys,
            "id": layout.ids.astype(np.int64),
            "name": list(names),
            "value": values,
        }
    )


DETECTOR_MAP_SOURCE: Final = "detector_map"


def _bounds(layout: Any) -> tuple[float, float, float, float]:
    """Layout extent plus a 2% margin (ranges are set before the polygons arrive)."""
    if len(layout) == 0:
        return 0.0, 1.0, 0.0, 1.0
    x0, x1 = float(layout.x.min()), float(layout.x.max())
    y0, y1 = float(layout.y.min()), float(layout.y.max())
    mx, my = 0.02 * (x1 - x0 or 1.0), 0.02 * (y1 - y0 or 1.0)
    return x0 - mx, x1 + mx, y0 - my, y1 + my


def _layout_values(plot: DetectorMap, layout: Any) -> npt.NDArray[np.float64]:
    """The plot's values in the layout's order, NaN where a module has none."""
    values = np.full(len(layout), np.nan)
    if len(layout) == 0 or plot.ids.size == 0:
        return values
    position = np.clip(np.searchsorted(layout.ids, plot.ids), 0, len(layout) - 1)
    found = layout.ids[position] == plot.ids
    values[position[found]] = plot.values[found]
    return values


@functools.cache
def _default_geometry() -> Any:
    from inspector.geometry import GeometryRegistry

    return GeometryRegistry()


# -- Scatter -------------------------------------------------------------------


def render_scatter(plot: Scatter, options: Mapping[str, Any]) -> Any:
    """Points; WebGL above 10,000 of them."""
    backend = "webgl" if plot.x.size > WEBGL_ABOVE else "canvas"
    fig = _figure(plot, options, output_backend=backend)
    data: dict[str, Any] = {"x": plot.x, "y": plot.y}
    kwargs: dict[str, Any] = {"color": Category10_10[0]}
    if plot.colour is not None:
        data["c"] = plot.colour
        mapper = _colour_mapper(plot.colour, False)
        kwargs = {"color": {"field": "c", "transform": mapper}}
        fig.add_layout(
            ColorBar(color_mapper=mapper, title=_axis_label(plot.colour_label, plot.colour_unit)),
            "right",
        )
    points = fig.scatter("x", "y", source=ColumnDataSource(data), size=4, alpha=0.7, **kwargs)
    fig.add_tools(HoverTool(renderers=[points], tooltips=[("x", "@x"), ("y", "@y")]))
    fig.xaxis.axis_label = _axis_label(plot.x_label, plot.x_unit)
    fig.yaxis.axis_label = _axis_label(plot.y_label, plot.y_unit)
    return fig


BUILTIN_RENDERERS: Final[dict[type, Any]] = {
    History: render_history,
    Histogram1D: render_histogram1d,
    Histogram2D: render_histogram2d,
    DetectorMap: render_detector_map,
    Scatter: render_scatter,
    Table: render_table,
}
