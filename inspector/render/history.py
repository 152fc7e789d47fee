"""Drawing a History: steps over IOV boundaries, error bands, IOV hover, notes on the IOVs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
from bokeh.models.annotations import Span, Title
from bokeh.models.formatters import (
    BasicTickFormatter,
    DatetimeTickFormatter,
)
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import CustomJSHover, HoverTool
from bokeh.palettes import Category10_10

from inspector.plots import (
    History,
)
from inspector.plots.envelope import HistoryEnvelope, history_envelope, needs_envelope
from inspector.render.fill_bands import add_fill_bands

__all__ = ["AnnotationMarker", "add_annotation_markers", "render_history"]

from inspector.render.figures import _figure

Floats = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]

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
    """Step lines over IOV boundaries, error bands, hover on invisible IOV spans.

    A history of more IOVs than the plot's pixels can show one by one is
    drawn from its envelope (:mod:`inspector.plots.envelope`): the IOVs that
    hold each bucket's first, last, lowest and highest values, with a hover
    per bucket; the plot object itself (and every export) keeps every IOV.
    """
    x_axis = str(options.get("x_axis", "time" if plot.time_type == "Time" else "since"))
    x, kind = _history_x(plot, x_axis)
    fig = _figure(plot, options, x_axis_type="datetime" if kind == "datetime" else "linear")
    _history_axes(fig, plot, kind)
    edges = _step_edges(x, plot, kind)
    if options.get("fills") and edges.size:  # run context from the web layer
        add_fill_bands(fig, options["fills"], kind, float(edges[0]), float(edges[-1]))
    pixels = int(options.get("width", 900))
    envelope = history_envelope(plot, x, pixels) if needs_envelope(plot.iov_count, pixels) else None
    keep = None if envelope is None else envelope.keep
    visible, extent = _history_series(fig, plot, x, edges, keep)
    if envelope is None:
        spans, tooltips, formatters = _iov_hover(fig, plot, x, edges)
    else:
        spans, tooltips, formatters = _bucket_hover(fig, plot, x, edges, envelope)
        _envelope_caption(fig, plot, envelope)
    # `step` glyphs have no hit-testing.  Invisible quads spanning each IOV's
    # (or bucket's) x range take the hover, so the tooltip names the IOV
    # under the pointer anywhere inside it (a line would snap to the nearest start).
    hover_spans = fig.quad(
        left="x",
        right="x_end",
        bottom=extent[0],
        top=extent[1],
        source=spans,
        fill_alpha=0.0,
        line_alpha=0.0,
        hover_fill_alpha=0.06,
        hover_fill_color="#555555",
    )
    fig.y_range.renderers = visible
    fig.add_tools(
        HoverTool(renderers=[hover_spans], tooltips=tooltips, formatters=formatters, mode="vline")
    )
    fig.legend.click_policy = "hide"
    fig.legend.location = "top_left"
    if options.get("annotations"):
        add_annotation_markers(fig, plot, x, options["annotations"])
    return fig


Hover = tuple[ColumnDataSource, list[tuple[str, str]], dict[str, Any]]


def _iov_hover(fig: Any, plot: History, x: Floats, edges: Floats) -> Hover:
    """One hover span per IOV: its since, until, values (± errors), payload and insertion."""
    source = ColumnDataSource({"x": x, "x_end": edges[1:]})
    tooltips, formatters = _iov_bounds(source, plot.since, plot.until, plot.time_type)
    for i, (name, series) in enumerate(plot.series.items()):
        label, unit = series.label or name, series.unit
        source.data[f"v{i}"] = series.values
        if series.errors is not None:
            source.data[f"e{i}"] = series.errors
            tooltips.append((label, f"@v{i}{{0.[0000]}} ± @e{i}{{0.[0000]}} {unit}"))
        else:
            tooltips.append((label, f"@v{i}{{0.[0000]}} {unit}"))
    _iov_metadata_hover(plot, source, tooltips, formatters)
    return source, tooltips, formatters


def _bucket_hover(
    fig: Any, plot: History, x: Floats, edges: Floats, envelope: HistoryEnvelope
) -> Hover:
    """One hover span per bucket: how many IOVs and payloads, their range, each series' min..max."""
    start, stop = envelope.start, envelope.stop
    source = ColumnDataSource(
        {"x": x[start], "x_end": edges[stop], "n": envelope.iovs, "p": envelope.payloads}
    )
    tooltips, formatters = _iov_bounds(
        source, plot.since[start], plot.until[stop - 1], plot.time_type
    )
    tooltips[:0] = [("IOVs", "@n")]
    if plot.payload_codes is not None:
        tooltips.insert(1, ("payloads", "@p"))
    for i, (name, series) in enumerate(plot.series.items()):
        bucket = envelope.series[name]
        source.data[f"lo{i}"], source.data[f"hi{i}"] = bucket.low, bucket.high
        label = series.label or name
        tooltips.append((label, f"@lo{i}{{0.[0000]}} .. @hi{i}{{0.[0000]}} {series.unit}"))
    return source, tooltips, formatters


def _iov_bounds(
    source: ColumnDataSource,
    since: npt.NDArray[np.uint64],
    until: npt.NDArray[np.uint64],
    time_type: str,
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """``since`` and ``until`` columns of the hover, written as the time type reads."""
    tooltips: list[tuple[str, str]] = []
    formatters: dict[str, Any] = {}
    for label, prefix, values in (("since", "s", since), ("until", "u", until)):
        field = _iov_column(source, prefix, values, time_type)
        tooltips.append((label, f"@{field}{{custom}}"))
        formatters[f"@{field}"] = _iov_formatter(source, prefix, time_type)
    return tooltips, formatters


def _envelope_caption(fig: Any, plot: History, envelope: HistoryEnvelope) -> None:
    """Say that the drawing is reduced, and how much: nothing is hidden silently."""
    text = (
        f"{plot.iov_count:,} IOVs shown as {envelope.buckets:,} buckets "
        "(first, last, min and max of each); zoom in for every IOV"
    )
    fig.add_layout(Title(text=text, text_font_size="11px", text_font_style="italic"), "above")


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
    fig: Any, plot: History, x: Floats, edges: Floats, keep: Index | None
) -> tuple[list[Any], tuple[float, float]]:
    """Each series as steps (and an error band): the renderers drawn, and the y extent.

    ``keep`` (an envelope's IOVs) draws those IOVs only, each until the next
    one kept; ``None`` draws every IOV.
    """
    drawn_edges = edges if keep is None else np.append(x[keep], edges[-1])
    visible = []
    lows, highs = [], []
    for i, (name, series) in enumerate(plot.series.items()):
        colour = Category10_10[i % 10]
        label = series.label or name
        values = series.values if keep is None else series.values[keep]
        lo_v, hi_v = values, values
        if series.errors is not None:
            errors = series.errors if keep is None else series.errors[keep]
            lo_v, hi_v = values - errors, values + errors
            band = {
                "x": drawn_edges,
                "lo": np.append(lo_v, lo_v[-1:]),
                "hi": np.append(hi_v, hi_v[-1:]),
            }
            visible.append(
                fig.varea_step(
                    x="x",
                    y1="lo",
                    y2="hi",
                    source=ColumnDataSource(band),
                    step_mode="after",
                    fill_color=colour,
                    fill_alpha=0.2,
                    legend_label=label,
                )
            )
        steps = ColumnDataSource({"x": drawn_edges, "y": np.append(values, values[-1:])})
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
    if plot.payload_hashes is not None and plot.payload_codes is not None:
        # Ten thousand IOVs share about a thousand payloads: send each hash once.
        hashes = plot.payload_hashes
        source.data["h"] = np.asarray(plot.payload_codes, dtype=np.int32)
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
