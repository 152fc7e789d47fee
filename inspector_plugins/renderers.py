"""Built-in plugin: Bokeh renderers of the built-in plot types."""

from __future__ import annotations

from typing import Any

from inspector.plugin import hookimpl
from inspector.render.bokeh_renderers import BUILTIN_RENDERERS


@hookimpl
def register_renderers() -> dict[type, Any]:
    """History, histograms, detector maps, scatter plots and tables."""
    return dict(BUILTIN_RENDERERS)
