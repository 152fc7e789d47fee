"""Rendering plot objects with Bokeh: the registry, renderers and exports.

The only package that imports Bokeh; plot objects and drawers never do.
"""

from inspector.render.export import json_item_bytes, standalone_html
from inspector.render.registry import Renderer, RendererRegistry, RenderError

__all__ = ["RenderError", "Renderer", "RendererRegistry", "json_item_bytes", "standalone_html"]
