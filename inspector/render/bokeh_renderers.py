"""Bokeh renderers of the built-in plot types.

Each builds a *fresh* model per call (models cannot be shared between
documents).  Arrays go to Bokeh as float64/int32 numpy columns, which
serialise as compact binary buffers; anything else (uint64 ``since`` values,
whose JavaScript numbers would lose precision) is converted first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from bokeh.models.annotations import ColorBar
from bokeh.models.formatters import (
    NumeralTickFormatter,
)
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import HoverTool
from bokeh.palettes import Category10_10

from inspector.plots import (
    DetectorMap,
    Histogram1D,
    Histogram2D,
    History,
    Scatter,
    Table,
)

__all__ = [
    "BUILTIN_RENDERERS",
    "DETECTOR_MAP_SOURCE",
    "AnnotationMarker",
    "add_annotation_markers",
    "provenance_text",
]

from inspector.render.figures import (
    WEBGL_ABOVE,
    _axis_label,
    _figure,
    colour_mapper,
    provenance_text,
)
from inspector.render.history import AnnotationMarker, add_annotation_markers, render_history
from inspector.render.maps import DETECTOR_MAP_SOURCE, render_detector_map
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


def render_histogram2d(plot: Histogram2D, options: Mapping[str, Any]) -> Any:
    """One image with a colour bar; empty cells grey."""
    x0, x1 = float(plot.x_edges[0]), float(plot.x_edges[-1])
    y0, y1 = float(plot.y_edges[0]), float(plot.y_edges[-1])
    fig = _figure(plot, options, x_range=(x0, x1), y_range=(y0, y1))
    diverging = bool(options.get("diverging", plot.title.lower().find("−") >= 0))
    mapper = colour_mapper(plot.values, diverging)
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


# -- Scatter -------------------------------------------------------------------


def render_scatter(plot: Scatter, options: Mapping[str, Any]) -> Any:
    """Points; WebGL above 10,000 of them."""
    backend = "webgl" if plot.x.size > WEBGL_ABOVE else "canvas"
    fig = _figure(plot, options, output_backend=backend)
    data: dict[str, Any] = {"x": plot.x, "y": plot.y}
    kwargs: dict[str, Any] = {"color": Category10_10[0]}
    if plot.colour is not None:
        data["c"] = plot.colour
        mapper = colour_mapper(plot.colour, False)
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
