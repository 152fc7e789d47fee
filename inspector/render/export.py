"""Serialising rendered plots: ``json_item`` bytes and standalone HTML."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from bokeh.embed import file_html, json_item
from bokeh.layouts import column
from bokeh.models.widgets import Div
from bokeh.resources import INLINE

from inspector.plots import PlotObject
from inspector.render.bokeh_renderers import provenance_text
from inspector.render.registry import RendererRegistry

__all__ = ["json_item_bytes", "standalone_html"]


def json_item_bytes(
    plot: PlotObject, renderers: RendererRegistry, options: Mapping[str, Any] | None = None
) -> bytes:
    """The ``bokeh.embed.json_item`` document of a plot, as compact UTF-8 bytes.

    Callers cache these bytes, never the Bokeh models.
    """
    model = renderers.render(plot, options)
    return json.dumps(json_item(model), separators=(",", ":")).encode("utf-8")


def standalone_html(
    plot: PlotObject, renderers: RendererRegistry, options: Mapping[str, Any] | None = None
) -> str:
    """One self-contained HTML file (BokehJS inlined): opens offline, anywhere."""
    model = renderers.render(plot, options)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in plot.notes)
    caption = (
        f"<p style='font:12px sans-serif;color:#555'>"
        f"{html.escape(provenance_text(plot))}</p>"
        + (f"<ul style='font:12px sans-serif'>{notes}</ul>" if notes else "")
    )
    prov = plot.provenance
    if prov.query:
        # The exact view (tags, IOVs, range, snapshot, parameters): opens it again.
        view = html.escape(f"/plot/{prov.drawer}?{prov.query}")
        caption += f"<p style='font:12px monospace;color:#555'>view: {view}</p>"
    page = column(model, Div(text=caption), sizing_mode="stretch_width")
    return file_html(page, INLINE, title=plot.title or plot.plot_type)
