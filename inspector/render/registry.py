"""Which renderer draws which plot-object type.

Filled from the plugins' ``register_renderers`` hook — the built-in Bokeh
renderers come through the very same hook — so a plugin that adds a plot
type also says how to draw it.  Lookup follows the class hierarchy, so a
subclass of ``Histogram1D`` is drawn like one unless it registers its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from inspector.errors import RenderError
from inspector.plots import PlotObject

__all__ = ["RenderError", "Renderer", "RendererRegistry"]

#: ``renderer(plot, options) -> bokeh model``
Renderer = Callable[[Any, Mapping[str, Any]], Any]


class RendererRegistry:
    """Plot-object type → renderer."""

    def __init__(self, renderers: Mapping[type, Renderer] | None = None) -> None:
        self._renderers: dict[type, Renderer] = dict(renderers or {})

    def add(self, plot_type: type, renderer: Renderer) -> None:
        """Register (or replace) the renderer of ``plot_type``."""
        self._renderers[plot_type] = renderer

    def __contains__(self, plot_type: object) -> bool:
        return plot_type in self._renderers

    def types(self) -> list[str]:
        """Names of the plot types that can be drawn."""
        return sorted(t.__name__ for t in self._renderers)

    def renderer_for(self, plot: PlotObject) -> Renderer:
        """The renderer of ``plot``'s type or of its nearest base class."""
        for cls in type(plot).__mro__:
            renderer = self._renderers.get(cls)
            if renderer is not None:
                return renderer
        raise RenderError(f"no renderer is registered for {type(plot).__name__} plots")

    def render(self, plot: PlotObject, options: Mapping[str, Any] | None = None) -> Any:
        """A fresh Bokeh model for ``plot`` (never shared between documents)."""
        return self.renderer_for(plot)(plot, options or {})
