"""The built-in export formats, registered by :mod:`inspector.plugin.builtin`.

Each writer takes the plot and its :class:`~inspector.render.exports.RenderContext`;
docs/export-formats.md describes what each file holds.
"""

from __future__ import annotations

from typing import Final

from inspector.plots import History, PlotObject
from inspector.plots.cmspi import to_cmspi_bytes
from inspector.render.export import standalone_html
from inspector.render.exports import ExportFormat, RenderContext
from inspector.render.png import png_html, png_size

__all__ = ["BUILTIN_EXPORTS"]


def _json(plot: PlotObject, context: RenderContext) -> bytes:
    return plot.to_json()


def _csv(plot: PlotObject, context: RenderContext) -> bytes:
    if isinstance(plot, History):  # each IOV's run, lumisection and fill beside its since
        return plot.to_csv(plot.csv_columns(fills=context.run_fills)).encode("utf-8")
    return plot.to_csv().encode("utf-8")


def _html(plot: PlotObject, context: RenderContext) -> bytes:
    options = context.drawing_options()
    return standalone_html(plot, context.tools.renderers, options).encode("utf-8")


def _png(plot: PlotObject, context: RenderContext) -> bytes:
    size = png_size(context.view.options())
    page = png_html(plot, context.tools.renderers, context.drawing_options(), size)
    return context.tools.png.render(page, size)


def _cmspi(plot: PlotObject, context: RenderContext) -> bytes:
    return to_cmspi_bytes(plot, context.payload_type, series=context.view.series)


BUILTIN_EXPORTS: Final = (
    ExportFormat(
        "json", "application/json", "json", "the plot object (docs/plot-objects.md)", _json
    ),
    ExportFormat("csv", "text/csv", "csv", "the plot's numbers, one row per point", _csv),
    ExportFormat(
        "html",
        "text/html",
        "html",
        "a standalone page, BokehJS inlined: opens offline",
        _html,
        drawn=True,
    ),
    ExportFormat(
        "png",
        "image/png",
        "png",
        "the drawing, by headless Chromium",
        _png,
        needs_browser=True,
        drawn=True,
    ),
    ExportFormat(
        "cmspi",
        "application/json",
        "cmspi.json",
        "the JSON of the CMS Payload Inspector (one series of a history)",
        _cmspi,
        series_in_name=True,
    ),
)
