"""Drawing a History: steps over IOV boundaries, error bands, IOV hover, notes on the IOVs."""

from __future__ import annotations

import base64
import dataclasses
import gzip
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
from bokeh.models.annotations import Span, Title
from bokeh.models.formatters import (
    BasicTickFormatter,
    DatetimeTickFormatter,
)
from bokeh.models.ranges import Range1d
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import CustomJSHover, HoverTool
from bokeh.palettes import Category10_10

from inspector.plots import (
    History,
)
from inspector.plots.envelope import HistoryEnvelope, history_envelope, needs_envelope
from inspector.render.fill_bands import FillSpan, add_fill_bands, fill_facts, fill_of_each

__all__ = [
    "AnnotationMarker",
    "add_annotation_markers",
    "decoded_sources",
    "history_values",
    "render_history",
]

from inspector.render.figures import SAVE, SUBTITLE, _figure, retitle
from inspector.render.view_title import ViewTitle

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


def _x_axis(plot: History, options: Mapping[str, Any]) -> str:
    """The x axis asked for: ``since`` or ``time`` (a Time tag's default)."""
    return str(options.get("x_axis", "time" if plot.time_type == "Time" else "since"))


def _step_edges(x: npt.NDArray[np.float64], plot: History, kind: str) -> npt.NDArray[np.float64]:
    """IOV boundaries: each start, plus an end for the last IOV."""
    if x.size == 0:
        return x
    widths = np.diff(x)
    typical = float(np.median(widths)) if widths.size else (1.0 if kind == "run" else 3.6e6)
    # The latest IOV is open-ended: give it a visible width (2% of the span at least).
    span = float(x[-1] - x[0])
    return np.append(x, x[-1] + max(typical, 0.02 * span, 1e-9))


class Window(NamedTuple):
    """The IOVs a drawing holds: the whole history, or those a zoom shows (with their x)."""

    plot: History
    x: Floats
    edges: Floats  # one more than x: where the last IOV drawn ends


#: Names of the figure's models that a zoom refines (:func:`history_values`).
X_RANGE: Final = "history_x"
CAPTION: Final = "history_caption"
IOV_SPANS: Final = "history_iov_spans"
BUCKET_SPANS: Final = "history_bucket_spans"
#: Prefix of every data source name that a refinement replaces.
SOURCE_PREFIX: Final = "history_"
#: Of a drawing's width, about what the axes and the toolbar take (the frame is the rest).
_AXES_PX: Final = 120


def render_history(plot: History, options: Mapping[str, Any]) -> Any:
    """Step lines over IOV boundaries, error bands, hover on invisible IOV spans.

    A history of more IOVs than the plot's pixels can show one by one is
    drawn from its envelope (:mod:`inspector.plots.envelope`): the IOVs that
    hold each bucket's first, last, lowest and highest values, with a hover
    per bucket; the plot object itself (and every export) keeps every IOV.

    ``options["zoom"]`` (start, end on the x axis) draws only the IOVs in
    that range, at the detail it needs, and opens the figure on it; the
    reset tool goes back to the whole history.  Both hovers (per IOV and per
    bucket) are always there, one of them empty, and every data source is
    named, so that a page can swap in the values of another range
    (:func:`history_values`) without a new document.
    """
    x, kind = _history_x(plot, _x_axis(plot, options))
    edges = _step_edges(x, plot, kind)
    full = _full_range(edges)
    zoom = options.get("zoom")
    start, end = zoom or full
    fig = _figure(
        plot,
        options,
        x_axis_type="datetime" if kind == "datetime" else "linear",
        x_range=Range1d(start=start, end=end, reset_start=full[0], reset_end=full[1], name=X_RANGE),
    )
    _history_axes(fig, plot, kind)
    pixels = int(options.get("width", 900))
    fills = options.get("fills") or ()
    if fills and edges.size:  # run context from the web layer
        frame = max(pixels - _AXES_PX, 100)
        add_fill_bands(fig, fills, kind, float(edges[0]), float(edges[-1]), (start, end), frame)
    shown = _window(plot, x, edges, zoom)
    if zoom is not None:  # the picture says the IOVs in view
        retitle(fig, _shown_title(plot, shown.plot))
    envelope = None
    if needs_envelope(shown.plot.iov_count, pixels, len(shown.plot.series)):
        envelope = history_envelope(shown.plot, shown.x, pixels)
    visible, extent = _history_series(fig, shown, None if envelope is None else envelope.keep)
    _add_hovers(fig, shown, envelope, extent, fills)
    # First of the panels above: nearest the frame, under the title and its subtitle.
    fig.above.insert(
        0,
        Title(
            text=_caption(shown.plot.iov_count, envelope),
            text_font_size="11px",
            text_font_style="italic",
            name=CAPTION,
        ),
    )
    fig.y_range.renderers = visible
    fig.legend.click_policy = "hide"
    fig.legend.location = "top_left"
    if options.get("annotations"):
        add_annotation_markers(fig, plot, x, options["annotations"])
    return fig


def drawing_title(plot: History, options: Mapping[str, Any]) -> ViewTitle:
    """What a drawing of ``plot`` with these options shows: its whole view, or the IOVs a
    ``zoom`` shows (what a zoomed PNG or HTML export is named after)."""
    zoom = options.get("zoom")
    if zoom is None:
        return ViewTitle.of(plot)
    x, kind = _history_x(plot, _x_axis(plot, options))
    return _shown_title(plot, _window(plot, x, _step_edges(x, plot, kind), zoom).plot)


def _shown_title(plot: History, shown: History) -> ViewTitle:
    """The view of ``plot`` over the IOVs of ``shown`` (a zoom that shows none: the whole)."""
    if shown.iov_count == 0:
        return ViewTitle.of(plot)
    return ViewTitle.of(plot).within(int(shown.since[0]), int(shown.since[-1]))


def history_values(fig: Any) -> dict[str, Any]:
    """What a zoom refinement sends instead of a new document: the drawing's data only.

    Read from the figure :func:`render_history` drew, so a refinement holds
    exactly what a document of that range would: each named data source's
    columns (:func:`_column`), the caption, the subtitle and the name the
    save button gives the picture (both saying the IOVs in view), the x
    range and the y extent of the hover spans (the page sets them on the
    spans' glyphs).
    """
    spans = fig.select_one({"name": IOV_SPANS}).glyph
    x_range = fig.select_one({"name": X_RANGE})
    subtitle, save = fig.select_one({"name": SUBTITLE}), fig.select_one({"name": SAVE})
    return {
        "sources": _sources(fig),
        "caption": fig.select_one({"name": CAPTION}).text,
        "subtitle": "" if subtitle is None else subtitle.text,
        "filename": "" if save is None else save.filename,
        "range": [x_range.start, x_range.end],
        "extent": [spans.bottom, spans.top],
    }


def _sources(fig: Any) -> dict[str, dict[str, Any]]:
    """Each named source's columns; a column equal to one sent before refers to it.

    A series' steps and its error band share their x, for one: sent once
    (``{"same_as": [source, column]}``), the answer stays within what gzip
    over HTTP would have deduplicated in a document.
    """
    out: dict[str, dict[str, Any]] = {}
    sent: dict[tuple[str, str], list[str]] = {}  # (dtype, data) → where it went first
    named = [s for s in fig.select({"type": ColumnDataSource}) if s.name]
    # By name: the same drawing gives the same bytes (and ETag) in every process.
    for source in sorted(named, key=lambda s: str(s.name)):
        if not source.name.startswith(SOURCE_PREFIX):
            continue
        columns = out[source.name] = {}
        for name, values in source.data.items():
            wire = _column(values)
            key = (wire["dtype"], str(wire["data"]))
            if wire["dtype"] != "str" and key in sent:
                wire = {"same_as": sent[key]}
            else:
                sent.setdefault(key, [source.name, name])
            columns[name] = wire
    return out


def decoded_sources(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sources of a :func:`history_values` answer as arrays (text as lists): what the page
    decodes, for tests and benchmarks."""
    out: dict[str, dict[str, Any]] = {}
    for source, columns in values["sources"].items():
        out[source] = {}
        for name, wire in columns.items():
            if "same_as" in wire:
                first, column = wire["same_as"]
                out[source][name] = out[first][column]
            elif wire["dtype"] == "str":
                out[source][name] = wire["data"]
            else:
                raw = base64.b64decode(wire["data"])
                raw = gzip.decompress(raw) if wire.get("gzip") else raw
                out[source][name] = np.frombuffer(raw, wire["dtype"])
    return out


#: numpy kind → the little-endian type a refinement's column is sent as.
_WIRE_TYPES: Final = {"f": "<f8", "i": "<i4", "u": "<i4", "b": "<u1"}


def _column(values: Any) -> dict[str, Any]:
    """One column: numbers as base64 of little-endian ``float64``/``int32``, text as a list.

    Binary, as in the document itself: exact and NaN kept.  Like Bokeh's own
    buffers, a column is gzip-compressed before base64 when that is smaller
    (``"gzip": true``): gzip over base64 text, as HTTP would do, saves far
    less.  Integers beyond 32 bits go as ``float64`` (like BokehJS holds them).
    """
    array = np.asarray(values)
    wire = _WIRE_TYPES.get(array.dtype.kind)
    if wire is None:
        return {"dtype": "str", "data": [str(v) for v in array.tolist()]}
    if wire == "<i4" and array.size and not _fits_int32(array):
        wire = "<f8"
    raw = np.ascontiguousarray(array, dtype=wire).tobytes()
    # Level 1: numbers compress about as well as at 9 (60.6 vs 60.3 kB for
    # 8,000 float64 of a random walk) in a small fraction of the time (52 such
    # columns: 0.69 s at level 9, 24 ms at level 1); a zoomed refinement of
    # 8,176 IOVs went from 185 to 97 ms on the server.
    packed = gzip.compress(raw, 1, mtime=0)
    column: dict[str, Any] = {"dtype": np.dtype(wire).name}
    if len(packed) < len(raw):
        column["gzip"], raw = True, packed
    column["data"] = base64.b64encode(raw).decode("ascii")
    return column


def _fits_int32(array: npt.NDArray[Any]) -> bool:
    return int(array.min()) >= -(2**31) and int(array.max()) < 2**31


def _full_range(edges: Floats) -> tuple[float, float]:
    """The x range of the whole history, 2% of its span either side."""
    if edges.size == 0:
        return 0.0, 1.0
    lo, hi = float(edges[0]), float(edges[-1])
    pad = 0.02 * (hi - lo) or 1.0
    return lo - pad, hi + pad


def _window(plot: History, x: Floats, edges: Floats, zoom: tuple[float, float] | None) -> Window:
    """The IOVs overlapping ``zoom`` (all of them without one): a view, nothing copied."""
    if zoom is None:
        return Window(plot, x, edges)
    first = max(int(np.searchsorted(x, zoom[0], side="right")) - 1, 0)
    stop = max(int(np.searchsorted(x, zoom[1], side="left")), first)
    return _slice(Window(plot, x, edges), first, stop)


def _slice(whole: Window, first: int, stop: int) -> Window:
    """IOVs ``first`` to ``stop`` (exclusive) of ``whole``."""
    cut = slice(first, stop)
    plot = whole.plot

    def column(values: npt.NDArray[Any] | None) -> npt.NDArray[Any] | None:
        return None if values is None else values[cut]

    part = dataclasses.replace(
        plot,
        since=plot.since[cut],
        until=plot.until[cut],
        series={
            name: dataclasses.replace(s, values=s.values[cut], errors=column(s.errors))
            for name, s in plot.series.items()
        },
        payload_codes=column(plot.payload_codes),
        insertion_time=column(plot.insertion_time),
        time=column(plot.time),
    )
    edges = whole.edges[first : stop + 1] if stop > first else whole.edges[:0]
    return Window(part, whole.x[cut], edges)


def _caption(iovs: int, envelope: HistoryEnvelope | None) -> str:
    """Say how much is drawn: nothing is reduced silently."""
    if envelope is None:
        return f"{iovs:,} IOVs, each drawn"
    return (
        f"{iovs:,} IOVs shown as {envelope.buckets:,} buckets "
        "(first, last, min and max of each); zoom in for every IOV"
    )


def _add_hovers(
    fig: Any,
    shown: Window,
    envelope: HistoryEnvelope | None,
    extent: tuple[float, float],
    fills: Sequence[FillSpan] = (),
) -> None:
    """The per-IOV and the per-bucket hover; the one not in use has an empty source.

    `step` glyphs have no hit-testing.  Invisible quads spanning each IOV's
    (or bucket's) x range take the hover, so the tooltip names the IOV under
    the pointer anywhere inside it (a line would snap to the nearest start).
    The smallest window makes the columns of the hover not in use.
    """
    facts = fill_facts(fills) if fills else None
    if envelope is None:
        iovs = _iov_hover(shown, fills, facts)
        buckets = _bucket_hover(shown, history_envelope(shown.plot, shown.x, 1), fills, facts)
        buckets[0].data = {name: column[:0] for name, column in buckets[0].data.items()}
    else:
        iovs = _iov_hover(_slice(shown, 0, min(shown.plot.iov_count, 1)), fills, facts)
        iovs[0].data = {name: column[:0] for name, column in iovs[0].data.items()}
        buckets = _bucket_hover(shown, envelope, fills, facts)
    for name, (source, tooltips, formatters) in ((IOV_SPANS, iovs), (BUCKET_SPANS, buckets)):
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
            name=name,
        )
        fig.add_tools(
            HoverTool(renderers=[spans], tooltips=tooltips, formatters=formatters, mode="vline")
        )


Hover = tuple[ColumnDataSource, list[tuple[str, str]], dict[str, Any]]


def _iov_hover(shown: Window, fills: Sequence[FillSpan], facts: ColumnDataSource | None) -> Hover:
    """One hover span per IOV: its since, until, time, fill, values (± errors), payload and
    insertion."""
    plot = shown.plot
    source = ColumnDataSource({"x": shown.x, "x_end": shown.edges[1:]}, name="history_iovs")
    tooltips, formatters = _iov_bounds(source, plot.since, plot.until, plot.time_type)
    every = np.arange(plot.iov_count)
    _run_context_hover(plot, every, every, source, tooltips, formatters, fills, facts)
    for i, (name, series) in enumerate(plot.series.items()):
        source.data[f"v{i}"] = series.values
        other = ""
        if series.errors is not None:
            other = f"e{i}"
            source.data[other] = series.errors
        _value_row(
            source, series.label or name, f"v{i}", other, " ± ", series.unit, tooltips, formatters
        )
    _iov_metadata_hover(plot, source, tooltips, formatters)
    return source, tooltips, formatters


def _value_row(
    source: ColumnDataSource,
    label: str,
    column: str,
    other: str,
    separator: str,
    unit: str,
    tooltips: list[tuple[str, str]],
    formatters: dict[str, Any],
) -> None:
    """A series' row: its value (with ``other``, an error or the top of a range) in its unit.

    Lengths read in µm below a centimetre (beam spot positions are a few
    hundred µm, fitted to about one); digits follow the error (two
    significant digits of it), else six significant digits.
    """
    tooltips.append((label, f"@{column}{{custom}}"))
    formatters[f"@{column}"] = CustomJSHover(
        args={
            "source": source,
            "other": other,
            "separator": separator,
            "unit": unit,
            "cm": _CM_PER_UNIT.get(unit),
        },
        code=_JS_VALUE,
    )


#: Length units the hover may rewrite in µm: centimetres per unit.
_CM_PER_UNIT: Final = {"cm": 1.0, "mm": 0.1, "µm": 1e-4, "um": 1e-4}
_JS_VALUE: Final = """
const d = source.data, i = special_vars.index;
let m = 1, shown = unit;
if (cm !== null) {
  const big = Math.abs(value * cm) >= 1;
  m = big ? cm : cm * 1e4;
  shown = big ? 'cm' : 'µm';
}
const v = value * m, o = other ? d[other][i] * m : NaN;
if (!isFinite(v)) return 'n/a';
const err = separator === ' ± ' ? Math.abs(o) : NaN;
const digits = err > 0 ? Math.min(8, Math.max(0, 1 - Math.floor(Math.log10(err)))) : null;
const f = (x) => digits === null ? String(Number(x.toPrecision(6))) : x.toFixed(digits);
return (other ? f(v) + separator + f(o) : f(v)) + (shown ? ' ' + shown : '');
"""


def _run_context_hover(
    plot: History,
    first: Index,
    last: Index,
    source: ColumnDataSource,
    tooltips: list[tuple[str, str]],
    formatters: dict[str, Any],
    fills: Sequence[FillSpan],
    facts: ColumnDataSource | None,
) -> None:
    """The wall-clock time and the LHC fill of each span (IOVs ``first`` to ``last``).

    Run and Lumi IOVs get their time from RUN_INFO (Time IOVs show it as
    their since already); the fill is named with its start and end.
    """
    if plot.time is not None and plot.time_type != "Time":
        source.data["t"] = _milliseconds(plot.time[first])
        tooltips.append(("time", "@t{custom}"))
        formatters["@t"] = CustomJSHover(code=_JS_UTC.replace(" : ", " + ' UTC' : "))
    if facts is None or (plot.time_type == "Time" and plot.time is None):
        return
    if plot.time_type == "Time":
        index = fill_of_each(fills, None, plot.time)
    else:
        runs = plot.since if plot.time_type == "Run" else plot.since >> np.uint64(32)
        index = fill_of_each(fills, runs.astype(np.int64), None)
    source.data["f"], source.data["f_last"] = index[first], index[last]
    tooltips.append(("fill", "@f{custom}"))
    formatters["@f"] = CustomJSHover(args={"fills": facts, "source": source}, code=_JS_FILL)


_JS_FILL: Final = """
const d = fills.data, last = source.data.f_last[special_vars.index];
const one = (k) => k < 0 ? 'none' : d.number[k] + ' (' + d.start[k] + ' – ' + d.end[k] + ' UTC)';
if (value === last) return one(value);
return (value < 0 ? 'none' : d.number[value]) + ' … ' + (last < 0 ? 'none' : d.number[last]);
"""


def _bucket_hover(
    shown: Window,
    envelope: HistoryEnvelope,
    fills: Sequence[FillSpan],
    facts: ColumnDataSource | None,
) -> Hover:
    """One hover span per bucket: how many IOVs and payloads, their range, each series' min..max."""
    plot, start, stop = shown.plot, envelope.start, envelope.stop
    source = ColumnDataSource(
        {
            "x": shown.x[start],
            "x_end": shown.edges[stop],
            "n": envelope.iovs,
            "p": envelope.payloads,
        },
        name="history_buckets",
    )
    tooltips, formatters = _iov_bounds(
        source, plot.since[start], plot.until[stop - 1], plot.time_type
    )
    tooltips[:0] = [("IOVs", "@n")]
    if plot.payload_codes is not None:
        tooltips.insert(1, ("payloads", "@p"))
    first, last = np.asarray(start, dtype=np.intp), np.asarray(stop, dtype=np.intp) - 1
    _run_context_hover(plot, first, last, source, tooltips, formatters, fills, facts)
    for i, (name, series) in enumerate(plot.series.items()):
        bucket = envelope.series[name]
        source.data[f"lo{i}"], source.data[f"hi{i}"] = bucket.low, bucket.high
        label = series.label or name
        _value_row(source, label, f"lo{i}", f"hi{i}", " .. ", series.unit, tooltips, formatters)
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
    fig: Any, shown: Window, keep: Index | None
) -> tuple[list[Any], tuple[float, float]]:
    """Each series as steps (and an error band): the renderers drawn, and the y extent.

    ``keep`` (an envelope's IOVs) draws those IOVs only, each until the next
    one kept; ``None`` draws every IOV.  Series ``i`` is drawn from the
    sources ``history_steps_i`` and ``history_band_i``.
    """
    plot, x, edges = shown
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
                    source=ColumnDataSource(band, name=f"history_band_{i}"),
                    step_mode="after",
                    fill_color=colour,
                    fill_alpha=0.2,
                    legend_label=label,
                )
            )
        steps = ColumnDataSource(
            {"x": drawn_edges, "y": np.append(values, values[-1:])}, name=f"history_steps_{i}"
        )
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
        # Ten thousand IOVs share about a thousand payloads: send each hash once
        # (in a source of its own, which a refinement replaces with the hover's),
        # and only those of the IOVs drawn (a zoom, or the IOVs an envelope keeps).
        used, codes = np.unique(np.asarray(plot.payload_codes), return_inverse=True)
        hashes = np.asarray(plot.payload_hashes)[used]
        source.data["h"] = codes.astype(np.int32)
        tooltips.append(("payload", "@h{custom}"))
        names = ColumnDataSource({"hash": hashes.tolist()}, name="history_hashes")
        formatters["@h"] = CustomJSHover(
            args={"hashes": names}, code="return hashes.data.hash[value]"
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
