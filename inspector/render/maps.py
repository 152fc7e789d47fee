"""The Bokeh rendering of :class:`~inspector.plots.DetectorMap`: a map you can work with.

- **It fills its canvas.** The figure takes the layout's aspect ratio and
  scales with the page width; a layout taller than wide (the tracker map,
  1,263 × 2,957 map units) is drawn in landscape, x and y swapped, so it
  fills a screen-shaped canvas instead of a third of it.
- **Layers and disks are labelled** ("TOB L4", "TEC+ W3"), from the detids
  (:func:`inspector.geometry.labels.group_labels`).
- **A click pins a module**: a tap selects it (outlined, the rest dimmed),
  and the page shows its detid, name and value and links its history.
- The colour scale spans the 1st–99th percentile unless the plot fixes one,
  so a few dead or noisy modules do not wash it out.

With ``options["geometry_url"]`` (the web pages) the document carries only
the quantised values and the URL of the layout, which the page fetches once
(the browser caches it) and joins in (``tags[0]["transpose"]`` tells it to
swap x and y); otherwise (standalone exports) the polygons are embedded.
``options["geometry_registry"]`` resolves layout names (default: shipped).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from bokeh.models.annotations import ColorBar, LabelSet
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import HoverTool, TapTool

from inspector.errors import NotFound
from inspector.geometry import GeometryRegistry, Layout
from inspector.geometry.labels import group_labels
from inspector.plots import DetectorMap
from inspector.plots.numbers import robust_range
from inspector.render.figures import _axis_label, _figure, colour_mapper
from inspector.render.geometry_json import quantise_values
from inspector.render.registry import RenderError

__all__ = ["DETECTOR_MAP_SOURCE", "render_detector_map"]

DETECTOR_MAP_SOURCE: Final = "detector_map"
#: The map's nominal width [px]; the page scales the figure to its own width.
MAP_WIDTH: Final = 1200
#: What the figure holds besides the map's frame [px]: colour bar, toolbar; title, margins.
_SIDES_PX: Final = 170
_TITLE_PX: Final = 50
_HEIGHT_PX: Final = (300, 1400)
#: Room above the layout for the top row's labels, as a fraction of its height.
_LABEL_ROOM: Final = 0.04
#: A selected (pinned) module is outlined; the others stay readable, a little dimmed.
_PINNED: Final = {"selection_line_color": "black", "selection_line_width": 2.0}
_UNPINNED_ALPHA: Final = 0.55


def render_detector_map(plot: DetectorMap, options: Mapping[str, Any]) -> Any:
    """All modules as one ``patches`` glyph, coloured by value, grey without one."""
    registry = options.get("geometry_registry") or _default_geometry()
    try:
        layout = registry.get(plot.geometry)
    except NotFound as exc:
        raise RenderError(f"cannot draw the map: {exc}") from None
    values = _layout_values(plot, layout)
    mapper = colour_mapper(values, plot.diverging, plot.value_range or robust_range(values))
    x0, x1, y0, y1 = _bounds(layout)
    transpose = (y1 - y0) > (x1 - x0)
    if transpose:
        x0, x1, y0, y1 = y0, y1, x0, x1
    y1 += _LABEL_ROOM * (y1 - y0)  # the labels of the top row sit above their modules
    fig = _figure(plot, {**_size(x1 - x0, y1 - y0), **options}, match_aspect=True)
    # Two invisible corner points give the auto-ranges the layout's extent before
    # the polygons arrive, keeping the true aspect ratio (no stretched disks).
    fig.scatter([x0, x1], [y0, y1], size=0, alpha=0.0)
    # Those corners already hold a 2 % margin: no further padding around the map.
    fig.x_range.range_padding = fig.y_range.range_padding = 0.0
    source = _map_source(plot, layout, values, registry, options.get("geometry_url"), transpose)
    patches = fig.patches(
        "xs",
        "ys",
        source=source,
        line_color=None,
        fill_color={"field": "value", "transform": mapper},
        nonselection_fill_alpha=_UNPINNED_ALPHA,
        **_PINNED,
    )
    label = plot.value_label or "value"
    unit = f" {plot.value_unit}" if plot.value_unit else ""
    fig.add_tools(
        HoverTool(
            renderers=[patches],
            tooltips=[("detid", "@id"), ("module", "@name"), (label, f"@value{{0.[0000]}}{unit}")],
        ),
        TapTool(renderers=[patches]),
    )
    _add_group_labels(fig, layout, transpose)
    fig.add_layout(
        ColorBar(color_mapper=mapper, title=_axis_label(plot.value_label, plot.value_unit)), "right"
    )
    fig.axis.visible = False
    fig.grid.visible = False
    return fig


def _size(width: float, height: float) -> dict[str, Any]:
    """Figure size whose frame has the map's aspect ratio, scaled with the page width."""
    frame = MAP_WIDTH - _SIDES_PX
    px = round(frame * height / (width or 1.0)) + _TITLE_PX
    return {
        "width": MAP_WIDTH,
        "height": int(np.clip(px, *_HEIGHT_PX)),
        "sizing_mode": "scale_width",
    }


def _add_group_labels(fig: Any, layout: Layout, transpose: bool) -> None:
    """Layer and disk names above their modules (none for a layout of one group)."""
    labels = group_labels(layout, transpose=transpose)
    if len(labels) < 2:
        return
    source = ColumnDataSource({"x": labels.x, "y": labels.y, "text": list(labels.text)})
    fig.add_layout(
        LabelSet(
            x="x",
            y="y",
            text="text",
            source=source,
            text_align="center",
            text_baseline="bottom",
            text_font_size="8pt",
            text_color="#333333",
            y_offset=1,
        )
    )


def _map_source(
    plot: DetectorMap,
    layout: Layout,
    values: npt.NDArray[np.float64],
    registry: GeometryRegistry,
    url_for: Callable[[str], str] | None,
    transpose: bool,
) -> ColumnDataSource:
    """The map's data: quantised values and the layout's URL (pages), or the polygons."""
    if url_for is not None:
        codes, lo, hi = quantise_values(values)
        meta = {
            "geometry_url": url_for(plot.geometry),
            "codes": codes,
            "lo": lo,
            "hi": hi,
            "transpose": transpose,
        }
        return ColumnDataSource(
            data={"xs": [], "ys": [], "id": [], "name": [], "value": []},
            name=DETECTOR_MAP_SOURCE,
            tags=[meta],
        )
    across, up = (layout.y, layout.x) if transpose else (layout.x, layout.y)
    pairs = zip(layout.offsets[:-1], layout.offsets[1:], strict=True)
    xs, ys = [], []
    for a, b in pairs:
        xs.append(across[a:b].astype(np.float64).tolist())
        ys.append(up[a:b].astype(np.float64).tolist())
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


def _bounds(layout: Layout) -> tuple[float, float, float, float]:
    """Layout extent plus a 2% margin (ranges are set before the polygons arrive)."""
    if len(layout) == 0:
        return 0.0, 1.0, 0.0, 1.0
    x0, x1 = float(layout.x.min()), float(layout.x.max())
    y0, y1 = float(layout.y.min()), float(layout.y.max())
    mx, my = 0.02 * (x1 - x0 or 1.0), 0.02 * (y1 - y0 or 1.0)
    return x0 - mx, x1 + mx, y0 - my, y1 + my


def _layout_values(plot: DetectorMap, layout: Layout) -> npt.NDArray[np.float64]:
    """The plot's values in the layout's order, NaN where a module has none."""
    values = np.full(len(layout), np.nan)
    if len(layout) == 0 or plot.ids.size == 0:
        return values
    position = np.clip(np.searchsorted(layout.ids, plot.ids), 0, len(layout) - 1)
    found = layout.ids[position] == plot.ids
    values[position[found]] = plot.values[found]
    return values


@functools.cache
def _default_geometry() -> GeometryRegistry:
    return GeometryRegistry()
