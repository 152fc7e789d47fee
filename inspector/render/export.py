"""Serialising rendered plots: ``json_item`` bytes and standalone HTML."""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from bokeh.document import Document
from bokeh.embed import file_html, json_item
from bokeh.layouts import column
from bokeh.model.util import collect_models
from bokeh.models.widgets import Div
from bokeh.resources import INLINE

from inspector.errors import UnsupportedExport
from inspector.plots import History, PlotObject
from inspector.render.bokeh_renderers import provenance_text
from inspector.render.history import history_values
from inspector.render.registry import RendererRegistry

__all__ = ["deterministic_ids", "history_values_bytes", "json_item_bytes", "standalone_html"]


def json_item_bytes(
    plot: PlotObject, renderers: RendererRegistry, options: Mapping[str, Any] | None = None
) -> bytes:
    """The ``bokeh.embed.json_item`` document of a plot, as compact UTF-8 bytes.

    Callers cache these bytes, never the Bokeh models.
    """
    model = renderers.render(plot, options)
    return json.dumps(json_item(model), separators=(",", ":")).encode("utf-8")


def history_values_bytes(
    plot: PlotObject, renderers: RendererRegistry, options: Mapping[str, Any] | None = None
) -> bytes:
    """The data of a history's drawing (:func:`~inspector.render.history.history_values`).

    What a page swaps into the figure it drew when the user zooms or pans:
    the same renderer draws it, so it holds what a new document would.
    Other plot types have no such form: :class:`UnsupportedExport` (a 400).
    """
    if not isinstance(plot, History):
        raise UnsupportedExport(f"only histories have values to refine, not a {plot.plot_type}")
    values = history_values(renderers.render(plot, options))
    return json.dumps(values, separators=(",", ":"), allow_nan=False).encode("utf-8")


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
    document = Document()
    # Model ids come from a counter of the process: number them by position instead
    # (the document's own config models too), before the document indexes them, so
    # that the same plot gives the same file from the server and the command line.
    for rank, each in enumerate(collect_models(document.config, page)):
        each._id = f"p{1000 + rank}"  # type: ignore[attr-defined]  # read-only id, set once
    document.add_root(page)
    return deterministic_ids(file_html(document, INLINE, title=plot.title or plot.plot_type))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def deterministic_ids(page: str) -> str:
    """``page`` with Bokeh's random document ids replaced by ids derived from its content.

    ``bokeh.embed.file_html`` names the document, its root element and its
    script with random UUIDs, so the same plot exported twice (or by the
    server and by the command line) would differ.  Each UUID becomes one
    derived from the page (UUIDs blanked) and its rank.  Model ids are made
    stable where the models are built (:func:`inspector.render.export.standalone_html`).
    """
    seed = hashlib.sha256(_UUID.sub("", page).encode("utf-8")).digest()
    ids: dict[str, str] = {}

    def stable(match: re.Match[str]) -> str:
        known = ids.get(match.group(0))
        if known is None:
            digest = hashlib.sha256(seed + len(ids).to_bytes(4, "big")).digest()
            known = ids[match.group(0)] = str(uuid.UUID(bytes=digest[:16], version=4))
        return known

    return _UUID.sub(stable, page)
