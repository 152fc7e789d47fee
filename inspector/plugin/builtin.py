"""Payload Inspector's own features, registered through the same hooks as any plugin's.

Like datasette's default plugins, this module is registered first by
:func:`inspector.plugin.load_plugins`, entry points or not, so that every app,
command and notebook has the plot types and export formats users expect,
and the hooks are exercised by the product itself every day.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from inspector.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from inspector.plots import PlotObject
    from inspector.render.exports import ExportFormat

__all__ = ["register_export_formats", "register_plot_types"]


@hookimpl
def register_plot_types() -> Iterable[type[PlotObject]]:
    """History, Histogram1D/2D, DetectorMap, Scatter and Table."""
    from inspector.plots import BUILTIN_PLOT_TYPES

    return BUILTIN_PLOT_TYPES


@hookimpl
def register_export_formats() -> Iterable[ExportFormat]:
    """json, csv, html, png and cmspi: what the web and ``inspector plot --format`` offer."""
    from inspector.render.builtin_exports import BUILTIN_EXPORTS

    return BUILTIN_EXPORTS
