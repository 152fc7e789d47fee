"""How a plot object shows itself in Jupyter: the standalone HTML export, framed.

Jupyter asks an object for ``_repr_mimebundle_``; plot objects delegate to
:func:`mimebundle` here, so :mod:`inspector.plots` itself never imports Bokeh.
The HTML is the ``html`` export format through the one export path
(:func:`inspector.render.exports.export`) — the very file the web page's
"export HTML" and ``inspector plot --format html`` write, drawn by the
renderer and geometry registries the plugins fill — with BokehJS inlined, so
a notebook shows plots offline, keeps them when saved, and nothing is
fetched from a CDN.

The document goes into an ``<iframe srcdoc>``: each plot gets its own page,
so BokehJS loaded by one output never meets another's (or a different Bokeh
version the notebook loaded itself), and scripts run in every front end that
runs output HTML.  The frame grows to the plot's height once drawn.

A plot alone knows no database, so it draws without the run context (the
LHC fills a history is shaded with); :meth:`inspector.notebook.Session.show`
wraps a plot with its session's :class:`RenderContext` in a :class:`Drawing`.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Final

from inspector.plots import PlotObject
from inspector.plugin import Plugins, load_plugins
from inspector.render import RendererRegistry
from inspector.render.exports import RenderContext, RenderTools, export

__all__ = ["Drawing", "frame_html", "mimebundle", "renderers", "summary", "tools", "use_plugins"]

#: Height of the frame before the plot has drawn (or where scripts do not run).
INITIAL_HEIGHT: Final = 480

# The frame fits its height to the drawn document and follows later changes.
_FIT: Final = (
    "(function(f){var d=f.contentDocument;if(!d||!d.body)return;"
    "var fit=function(){f.style.height=(d.documentElement.scrollHeight+8)+'px'};fit();"
    "if(window.ResizeObserver){new ResizeObserver(fit).observe(d.body)}})(this)"
)

_lock = threading.Lock()
_tools: RenderTools | None = None


def use_plugins(plugins: Plugins) -> None:
    """Draw with these plugins' registries (a session's, so plugins load once).

    The first session's plugins are kept: every session loads the same
    installed plugins, and renderers do not depend on the configuration.
    """
    global _tools
    with _lock:
        if _tools is None:
            _tools = RenderTools.from_plugins(plugins)


def tools() -> RenderTools:
    """The registries plots are displayed with (installed plugins when no session set them)."""
    global _tools
    with _lock:
        if _tools is None:
            _tools = RenderTools.from_plugins(load_plugins())
        return _tools


def renderers() -> RendererRegistry:
    """The renderer registry plots are displayed with."""
    return tools().renderers


def frame_html(plot: PlotObject, context: RenderContext | None = None) -> str:
    """The plot's ``html`` export inside an ``<iframe srcdoc>`` (see the module docstring)."""
    document = export(plot, "html", context or RenderContext(tools())).decode("utf-8")
    title = html.escape(plot.title or plot.plot_type)
    return (
        f'<iframe title="{title}" srcdoc="{html.escape(document, quote=True)}" '
        f'style="width:100%;height:{INITIAL_HEIGHT}px;border:0" '
        f'onload="{html.escape(_FIT, quote=True)}"></iframe>'
    )


@dataclass(frozen=True)
class Drawing:
    """A plot with the render context of its database: displays with the LHC fills and view."""

    plot: PlotObject
    context: RenderContext

    def _repr_mimebundle_(
        self, include: Container[str] | None = None, exclude: Container[str] | None = None
    ) -> dict[str, str]:
        return mimebundle(self.plot, include, exclude, self.context)


def summary(plot: PlotObject) -> str:
    """A few lines of text: what a console (or a text-only front end) shows."""
    p = plot.provenance
    lines = [f"{plot.plot_type}: {plot.title}" if plot.title else plot.plot_type]
    size = _size(plot)
    if size:
        lines.append(f"  {size}")
    where = [
        f"db {p.db}" if p.db else "",
        f"tags {', '.join(p.tags)}" if p.tags else "",
        f"drawer {p.drawer}" if p.drawer else "",
        f"snapshot {p.snapshot}" if p.snapshot else "",
    ]
    if any(where):
        lines.append("  " + " · ".join(w for w in where if w))
    if p.labels:
        lines.append("  " + " vs ".join(p.labels))
    lines.extend(f"  note: {n}" for n in plot.notes)
    return "\n".join(lines)


def _size(plot: PlotObject) -> str:
    """How much the plot holds, in the words of its type."""
    series = getattr(plot, "series", None)
    if isinstance(series, Mapping):  # History
        n = len(getattr(plot, "since", ()))
        return f"{n:,} IOVs; series {', '.join(series)}"
    columns = plot.csv_columns()
    rows = len(columns[0].values) if columns else 0
    return f"{rows:,} rows: {', '.join(c.name for c in columns)}"


def mimebundle(
    plot: PlotObject,
    include: Container[str] | None = None,
    exclude: Container[str] | None = None,
    context: RenderContext | None = None,
) -> dict[str, str]:
    """Jupyter's display data: ``text/html`` (the framed plot) and ``text/plain``.

    ``include``/``exclude`` are IPython's: only the asked-for types are built,
    so a text-only front end never pays for rendering.
    """

    def wanted(mime: str) -> bool:
        return (include is None or mime in include) and (exclude is None or mime not in exclude)

    bundle: dict[str, str] = {}
    if wanted("text/html"):
        bundle["text/html"] = frame_html(plot, context)
    if wanted("text/plain"):
        bundle["text/plain"] = summary(plot)
    return bundle
