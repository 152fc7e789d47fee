"""Rendering plot objects with Bokeh: the registry, renderers and exports.

The only package that imports Bokeh; plot objects and drawers never do.
Its names load on first use (PEP 562), so that a light submodule
(:mod:`inspector.render.png_settings`, read by the configuration) can be
imported without Bokeh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspector._lazy import lazy_getattr

if TYPE_CHECKING:
    from inspector.render.export import json_item_bytes, standalone_html
    from inspector.render.registry import Renderer, RendererRegistry, RenderError

_LAZY = {
    "json_item_bytes": "inspector.render.export",
    "standalone_html": "inspector.render.export",
    "Renderer": "inspector.render.registry",
    "RendererRegistry": "inspector.render.registry",
    "RenderError": "inspector.render.registry",
}


__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = ["RenderError", "Renderer", "RendererRegistry", "json_item_bytes", "standalone_html"]
