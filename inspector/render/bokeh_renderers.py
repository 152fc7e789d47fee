"""Bokeh renderers of the built-in plot types.

Each builds a *fresh* model per call (models cannot be shared between
documents).  Arrays go to Bokeh as float64/int32 numpy columns, which
serialise as compact binary buffers; anything else (uint64 ``since`` values,
whose JavaScript numbers would lose precision) is converted first.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
from bokeh.layouts import column
from bokeh.models.annotations import ColorBar, Span
from bokeh.models.formatters import (
    BasicTickFormatter,
    DatetimeTickFormatter,
    NumeralTickFormatter,
)
from bokeh.models.mappers import LinearColorMapper
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import CustomJSHover, HoverTool
from bokeh.models.widgets import DataTable, Div, NumberFormatter, StringFormatter, TableColumn
from bokeh.palettes import Category10_10, Turbo256, interp_palette
from bokeh.plotting import figure

from inspector.errors import NotFound
from inspector.plots import (
    DetectorMap,
    Histogram1D,
    Histogram2D,
    History,
    PlotObject,
    Scatter,
    Table,
)
from inspector.render.fill_bands import add_fill_bands
from inspector.render.geometry_json import quantise_values
from inspector.render.registry import RenderError

__all__ = [
    "BUILTIN_RENDERERS",
    "DETECTOR_MAP_SOURCE",
    "AnnotationMarker",
    "add_annotation_markers",
    "provenance_text",
]

WEBGL_ABOVE: Final = 10_000
_TOOLS: Final = "pan,wheel_zoom,box_zoom,reset,save"
DIVERGING: Final = tuple(interp_palette(("#2166ac", "#f7f7f7", "#b2182b"), 256))


def _axis_label(label: str, unit: str) -> str:
    return f"{label} [{unit}]" if unit else label


def _figure(plot: PlotObject, options: Mapping[str, Any], **kwargs: Any) -> Any:
    fig = figure(
        title=plot.title,
        width=int(options.get("width", 900)),
        height=int(options.get("height", 450)),
        tools=_TOOLS,
        sizing_mode=options.get("sizing_mode", "stretch_width"),
        **kwargs,
    )
    fig.toolbar.logo = None
    return fig


def provenance_text(plot: PlotObject) -> str:
    """One readable line saying where the numbers come from."""
    p = plot.provenance
    parts = [
        f"db {p.db}" if p.db else "",
        f"tags {', '.join(p.tags)}" if p.tags else "",
        f"drawer {p.drawer}" if p.drawer else "",
        f"snapshot {p.snapshot}" if p.snapshot else "snapshot: latest",
    ]
    if p.labels:
        parts.append(" vs ".join(p.labels))
    return " · ".join(x for x in parts if x)


# -- History ------------------------------------------------------------------


def _history_x(plot: History, x_axis: str) -> tuple[npt.NDArray[np.float64], str]:
    """x coordinates of every IOV start and the kind of axis."""
    if x_axis == "time" and plot.time is not None and not np.isnat(plot.time).all():
        ms = plot.time.astype("datetime64[ms]").astype(np.int64).astype(np.float64)
        return ms, "datetime"
    since = plot.since
    if plot.time_type == "Lumi":
        run = (since >> np.uint64(32)).astype(np.float64)
        ls = (since & np.uint64(0xFFFFFFFF)).astype(np.float64)
        return run + np.minimum(ls, 9999.0) / 10000.0, "run"
    if plot.time_type == "Time":
        seconds = (since >> np.uint64(32)).astype(np.float64)
        return seconds * 1000.0, "datetime"
    return since.astype(np.float64), "run"


def _step_edges(x: npt.NDArray[np.float64], plot: History, kind: str) -> npt.NDArray[np.float64]:
    """IOV boundaries: each start, plus an end for the last IOV."""
    if x.size == 0:
        return x
    widths = np.diff(x)
    typical = float(np.median(widths)) if widths.size else (1.0 if kind == "run" else 3.6e6)
    # The latest IOV is open-ended: give it a visible width (2% of the span at least).
    span = float(x[-1] - x[0])
    return np.append(x, x[-1] + max(typical, 0.02 * span, 1e-9))


def render_history(plot: History, options: Mapping[str, Any]) -> Any:
    """Step lines over IOV boundaries, error bands, hover on invisible IOV spans."""
    x_axis = str(options.get("x_axis", "time" if plot.time_type == "Time" else "since"))
    x, kind = _history_x(plot, x_axis)
    fig = _figure(plot, options, x_axis_type="datetime" if kind == "datetime" else "linear")
    _history_axes(fig, plot, kind)
    edges = _step_edges(x, plot, kind)
    if options.get("fills") and edges.size:  # run context from the web layer
        add_fill_bands(fig, options["fills"], kind, float(edges[0]), float(edges[-1]))
    source = ColumnDataSource({"x": x, "x_end": edges[1:]})
    tooltips: list[tuple[str, str]] = []
    formatters: dict[str, Any] = {}
    for label, prefix, values in (("since", "s", plot.since), ("until", "u", plot.until)):
        field = _iov_column(source, prefix, values, plot.time_type)
        tooltips.append((label, f"@{field}{{custom}}"))
        formatters[f"@{field}"] = _iov_formatter(source, prefix, plot.time_type)
    visible, extent = _history_series(fig, plot, source, edges, tooltips)
    _iov_metadata_hover(plot, source, tooltips, formatters)
    # `step` glyphs have no hit-testing.  Invisible quads spanning each IOV's
    # [since, until) take the hover, so the tooltip names the IOV under the
    # pointer anywhere inside it (a line would snap to the nearest start).
    spans = fig.quad(
        left="x",
        right="x_end",
        bottom=extent[0],
        top=extent[1],
        source=source,
        fill_alpha=0.0,
        line_alpha=0.0,
        hover_fill_alpha=0.06,
        hover_fill_color="#555555",
    )
    fig.y_range.renderers = visible
    fig.add_tools(
        HoverTool(renderers=[spans], tooltips=tooltips, formatters=formatters, mode="vline")
    )
    fig.legend.click_policy = "hide"
    fig.legend.location = "top_left"
    if options.get("annotations"):
        add_annotation_markers(fig, plot, x, options["annotations"])
    return fig


def _history_axes(fig: Any, plot: History, kind: str) -> None:
    """Axis labels and tick formats of a history (no 4.000e+5 run numbers)."""
    fig.yaxis.axis_label = plot.y_label
    fig.xaxis.axis_label = (
        "time (UTC)"
        if kind == "datetime"
        else ("run" if plot.time_type in ("Run", "Lumi") else "since")
    )
    if kind == "datetime":
        fig.xaxis.formatter = DatetimeTickFormatter()
    else:
        fig.xaxis.formatter = BasicTickFormatter(use_scientific=False)
    fig.yaxis.formatter = BasicTickFormatter(
        use_scientific=True, power_limit_high=6, power_limit_low=-4
    )


def _history_series(
    fig: Any,
    plot: History,
    source: Any,
    edges: npt.NDArray[Any],
    tooltips: list[tuple[str, str]],
) -> tuple[list[Any], tuple[float, float]]:
    """Each series as steps (and an error band): the renderers drawn, and the y extent."""
    visible = []
    lows, highs = [], []
    for i, (name, series) in enumerate(plot.series.items()):
        colour = Category10_10[i % 10]
        key = f"v{i}"
        source.data[key] = series.values
        label = series.label or name
        lo_v, hi_v = series.values, series.values
        if series.errors is not None:
            source.data[f"e{i}"] = series.errors
            lo_v, hi_v = series.values - series.errors, series.values + series.errors
            band_src = ColumnDataSource(
                {"x": edges, "lo": np.append(lo_v, lo_v[-1:]), "hi": np.append(hi_v, hi_v[-1:])}
            )
            visible.append(
                fig.varea_step(
                    x="x",
                    y1="lo",
                    y2="hi",
                    source=band_src,
                    step_mode="after",
                    fill_color=colour,
                    fill_alpha=0.2,
                    legend_label=label,
                )
            )
            tooltips.append((label, f"@{key}{{0.[0000]}} ± @e{i}{{0.[0000]}} {series.unit}"))
        else:
            tooltips.append((label, f"@{key}{{0.[0000]}} {series.unit}"))
        steps = ColumnDataSource({"x": edges, "y": np.append(series.values, series.values[-1:])})
        visible.append(
            fig.step(
                x="x",
                y="y",
                source=steps,
                mode="after",
                color=colour,
                line_width=2,
                legend_label=label,
            )
        )
        lows.append(lo_v)
        highs.append(hi_v)
    finite = np.concatenate([v[np.isfinite(v)] for v in (*lows, *highs)] or [np.zeros(1)])
    bottom = float(finite.min()) if finite.size else 0.0
    top = float(finite.max()) if finite.size else 1.0
    return visible, (bottom, top)


def _iov_metadata_hover(
    plot: History, source: Any, tooltips: list[tuple[str, str]], formatters: dict[str, Any]
) -> None:
    """Payload hash and insertion time of each IOV in the tooltip, when the plot has them."""
    if plot.payload_hash is not None:
        # Ten thousand IOVs share about a thousand payloads: send each hash once.
        hashes, index = np.unique(np.asarray(plot.payload_hash), return_inverse=True)
        source.data["h"] = index.astype(np.int32)
        tooltips.append(("payload", "@h{custom}"))
        formatters["@h"] = CustomJSHover(
            args={"hashes": hashes.tolist()}, code="return hashes[value]"
        )
    if plot.insertion_time is not None:
        source.data["ins"] = _milliseconds(plot.insertion_time)
        tooltips.append(("inserted", "@ins{custom}"))
        formatters["@ins"] = CustomJSHover(code=_JS_UTC)


class AnnotationMarker(NamedTuple):
    """A note shown on a history: at the IOV valid at ``since``, text on hover.

    A view option (``options["annotations"]``), passed by the web layer; plot
    objects never hold notes.
    """

    since: int
    text: str
    author: str
    created: str


ANNOTATION_COLOUR: Final = "#8e44ad"


def add_annotation_markers(
    fig: Any, plot: History, x: npt.NDArray[np.float64], markers: Sequence[AnnotationMarker]
) -> None:
    """A dashed vertical line at each note's IOV and a triangle at its foot that shows the note.

    The triangles sit at the bottom of the data, clear of the legend (top left).

    ``x`` are the drawn IOV starts (whatever the axis).  A note whose
    ``since`` lies outside every drawn IOV (filtered out, or another range)
    is not drawn.  Hover text is escaped by Bokeh (no ``{safe}``): notes are
    text, never markup.
    """
    if not markers or plot.iov_count == 0:
        return
    since = np.array([m.since for m in markers], dtype=np.uint64)
    index = np.searchsorted(plot.since, since, side="right") - 1
    inside = (index >= 0) & (since < plot.until[np.maximum(index, 0)])
    if not inside.any():
        return
    shown = [m for m, ok in zip(markers, inside.tolist(), strict=True) if ok]
    xs = x[index[inside]]
    values = np.concatenate([s.values for s in plot.series.values()])
    finite = values[np.isfinite(values)]
    bottom = float(finite.min()) if finite.size else 0.0
    for position in xs.tolist():
        fig.add_layout(
            Span(
                location=position,
                dimension="height",
                line_color=ANNOTATION_COLOUR,
                line_dash="dashed",
                line_width=1.5,
            )
        )
    source = ColumnDataSource(
        {
            "x": xs,
            "y": np.full(xs.size, bottom),
            "text": [m.text for m in shown],
            "author": [m.author for m in shown],
            "created": [m.created for m in shown],
        }
    )
    glyph = fig.scatter(
        "x",
        "y",
        source=source,
        marker="triangle",
        size=14,
        fill_color=ANNOTATION_COLOUR,
        line_color="white",
        legend_label="notes",
        name="annotation_markers",
    )
    fig.add_tools(
        HoverTool(
            renderers=[glyph],
            tooltips=[("note", "@text"), ("by", "@author"), ("at", "@created UTC")],
        )
    )


_JS_UTC: Final = (
    "return isFinite(value) ? new Date(value).toISOString().slice(0, 19).replace('T', ' ') : '∞'"
)


def _milliseconds(times: npt.NDArray[np.datetime64]) -> npt.NDArray[np.float64]:
    """datetime64 → float ms since the epoch, NaN for NaT (JavaScript dates)."""
    ms = times.astype("datetime64[ms]").astype(np.int64).astype(np.float64)
    ms[np.isnat(times)] = np.nan
    return ms


def _iov_column(
    source: ColumnDataSource, prefix: str, values: npt.NDArray[np.uint64], time_type: str
) -> str:
    """Numeric columns for a since/until (compact buffers, not 10,000 strings).

    Lumi: run and lumisection; Run: the run; Time: milliseconds; the largest
    value ("until forever") becomes NaN and shows as ∞.
    """
    infinite = values >= np.uint64(2**64 - 1 if time_type != "Run" else 2**32 - 1)
    if time_type == "Lumi":
        run = (values >> np.uint64(32)).astype(np.float64)
        run[infinite] = np.nan
        source.data[f"{prefix}_run"] = run
        source.data[f"{prefix}_ls"] = (values & np.uint64(0xFFFFFFFF)).astype(np.int64)
        return f"{prefix}_run"
    if time_type == "Time":
        ms = (values >> np.uint64(32)).astype(np.float64) * 1000.0 + (
            values & np.uint64(0xFFFFFFFF)
        ).astype(np.float64) / 1e6
        ms[infinite] = np.nan
        source.data[f"{prefix}_ms"] = ms
        return f"{prefix}_ms"
    number = values.astype(np.float64)
    number[infinite] = np.nan
    source.data[f"{prefix}_n"] = number
    return f"{prefix}_n"


def _iov_formatter(source: ColumnDataSource, prefix: str, time_type: str) -> CustomJSHover:
    if time_type == "Lumi":
        return CustomJSHover(
            args={"source": source},
            code=(
                f"const i = special_vars.index; if (!isFinite(value)) return '∞';"
                f" return value.toFixed(0) + ':' + source.data['{prefix}_ls'][i];"
            ),
        )
    if time_type == "Time":
        return CustomJSHover(code=_JS_UTC)
    return CustomJSHover(code="return isFinite(value) ? value.toFixed(0) : '∞'")


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
    mapper = _colour_mapper(values, plot.diverging, plot.value_range or _robust_range(values))
    x0, x1, y0, y1 = _bounds(layout)
    fig = _figure(plot, {"height": 900, **options}, match_aspect=True)
    # Two invisible corner points give the auto-ranges the layout's extent before
    # the polygons arrive, keeping the true aspect ratio (no stretched disks).
    fig.scatter([x0, x1], [y0, y1], size=0, alpha=0.0)
    label = plot.value_label or "value"
    url_for = options.get("geometry_url")
    if url_for is not None:
        codes, lo, hi = quantise_values(values)
        meta = {"geometry_url": url_for(plot.geometry), "codes": codes, "lo": lo, "hi": hi}
        source = ColumnDataSource(
            data={"xs": [], "ys": [], "id": [], "name": [], "value": []},
            name=DETECTOR_MAP_SOURCE,
            tags=[meta],
        )
    else:
        pairs = zip(layout.offsets[:-1], layout.offsets[1:], strict=True)
        xs, ys = [], []
        for a, b in pairs:
            xs.append(layout.x[a:b].astype(np.float64).tolist())
            ys.append(layout.y[a:b].astype(np.float64).tolist())
        names = registry.module_names(plot.geometry)
        source = ColumnDataSource(
            {
                "xs": xs,
                "ys": ys,
                "id": layout.ids.astype(np.int64),
                "name": list(names),
                "value": values,
            }
        )
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


DETECTOR_MAP_SOURCE: Final = "detector_map"


def _robust_range(values: npt.NDArray[np.float64]) -> tuple[float, float] | None:
    """1st-99th percentile: a few noisy or dead modules must not wash out the scale."""
    finite = values[np.isfinite(values)]
    if finite.size < 20:
        return None
    lo, hi = np.percentile(finite, [1.0, 99.0])
    return (float(lo), float(hi)) if hi > lo else None


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


# -- Scatter and table -------------------------------------------------------


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


def render_table(plot: Table, options: Mapping[str, Any]) -> Any:
    """A sortable data table under the plot's title."""
    data: dict[str, Any] = {}
    columns = []
    for i, (name, values) in enumerate(plot.columns.items()):
        key = f"c{i}"
        numeric = values.dtype.kind in "iuf"
        data[key] = values if numeric else values.astype(str).astype(object)
        unit = plot.units.get(name, "")
        formatter = NumberFormatter(format="0.[000000]") if numeric else StringFormatter()
        columns.append(
            # DataTable shows header titles as HTML: column names can come from
            # tag names (comparison tables), so they are escaped like the title.
            TableColumn(
                field=key, title=_escape(f"{name} [{unit}]" if unit else name), formatter=formatter
            )
        )
    rows = len(next(iter(plot.columns.values()))) if plot.columns else 0
    table = DataTable(
        source=ColumnDataSource(data),
        columns=columns,
        index_position=None,
        height=min(600, 30 + 26 * max(rows, 1)),
        sizing_mode="stretch_width",
    )
    return column(Div(text=f"<b>{_escape(plot.title)}</b>"), table, sizing_mode="stretch_width")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


BUILTIN_RENDERERS: Final[dict[type, Any]] = {
    History: render_history,
    Histogram1D: render_histogram1d,
    Histogram2D: render_histogram2d,
    DetectorMap: render_detector_map,
    Scatter: render_scatter,
    Table: render_table,
}
