"""What every Bokeh renderer shares: the figure, axis labels, the provenance line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from bokeh.models.annotations import Title
from bokeh.models.mappers import LinearColorMapper
from bokeh.models.tools import SaveTool
from bokeh.palettes import Turbo256, interp_palette
from bokeh.plotting import figure

from inspector.plots import (
    PlotObject,
)
from inspector.render.view_title import ViewTitle

__all__ = [
    "DIVERGING",
    "SAVE",
    "SUBTITLE",
    "TOOLBAR",
    "WEBGL_ABOVE",
    "colour_mapper",
    "provenance_text",
    "retitle",
]

WEBGL_ABOVE: Final = 10_000
_TOOLS: Final = "pan,wheel_zoom,box_zoom,reset,save"
DIVERGING: Final = tuple(interp_palette(("#2166ac", "#f7f7f7", "#b2182b"), 256))
#: Name of the figure's subtitle (tags, IOVs, snapshot) under its title.
SUBTITLE: Final = "view_subtitle"
#: Name of the toolbar's save tool (a zoom renames its picture).
SAVE: Final = "view_save"
#: Drawing option: ``False`` draws the figure without its toolbar (a picture has no buttons).
TOOLBAR: Final = "toolbar"


def _axis_label(label: str, unit: str) -> str:
    return f"{label} [{unit}]" if unit else label


def _figure(plot: PlotObject, options: Mapping[str, Any], **kwargs: Any) -> Any:
    """The figure every renderer draws into, titled for a slide.

    Under the title, the subtitle says which tag(s), IOVs and snapshot it
    shows (:class:`~inspector.render.view_title.ViewTitle`): a saved picture
    travels without its page.  The toolbar's save names its file the same
    way instead of asking for a name.
    """
    fig = figure(
        title=plot.title,
        width=int(options.get("width", 900)),
        height=int(options.get("height", 450)),
        tools=_TOOLS,
        sizing_mode=options.get("sizing_mode", "stretch_width"),
        **kwargs,
    )
    fig.toolbar.logo = None
    if options.get(TOOLBAR) is False:  # a picture (PNG export): no buttons on the slide
        fig.toolbar_location = None
    view = ViewTitle.of(plot)
    if view.subtitle():  # none for a plot that names no tag (built by hand)
        fig.add_layout(
            Title(text="", text_font_size="12px", text_font_style="normal", name=SUBTITLE),
            "above",
        )
    for tool in fig.toolbar.tools:
        if isinstance(tool, SaveTool):
            tool.name = SAVE
    retitle(fig, view)
    return fig


def retitle(fig: Any, view: ViewTitle) -> None:
    """Say ``view`` in the figure's subtitle and in the name its save button gives the picture.

    :func:`_figure` says the plot's whole view; a zoomed history says the
    IOVs in view (``inspector.render.history``).
    """
    subtitle = fig.select_one({"name": SUBTITLE})
    if subtitle is not None:
        subtitle.text = view.subtitle()
    save = fig.select_one({"name": SAVE})
    if save is not None:
        save.filename = view.file_name("png")


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


def colour_mapper(
    values: npt.NDArray[np.float64], diverging: bool, value_range: tuple[float, float] | None = None
) -> LinearColorMapper:
    """The colour scale of maps, 2-D histograms and coloured scatters (NaN grey)."""
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
