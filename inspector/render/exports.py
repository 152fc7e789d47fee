"""One export path: a plot object and its render context to the bytes of a format.

The web (``/plot/<drawer>/export.<format>``) and the command line
(``inspector plot --format``) both call :func:`export`; neither knows the
formats.  Formats are registered by plugins through the
``register_export_formats`` hook (the built-in json, csv, html, png and
cmspi come through it too, from ``inspector_plugins.exports``) and looked up
in an :class:`ExportRegistry`.

Everything a format may need besides the plot is one typed
:class:`RenderContext`, built by :func:`render_context` alone: the renderers
and the geometry registry of the loaded plugins (so a plugin's detector
layout draws in every export), the LHC fills of a history's range, the
annotation markers, the view (size, x axis, series) and the payload type.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inspector.errors import NotFound, PngUnavailable
from inspector.geometry import GeometryRegistry
from inspector.plots import History, PlotObject
from inspector.render.history import drawing_title
from inspector.render.png import PngRenderer
from inspector.render.registry import RendererRegistry
from inspector.render.view_title import ViewTitle
from inspector.request import PlotRequest, PlotView

if TYPE_CHECKING:
    from inspector.conddb import ConditionsDB, Fill
    from inspector.plugin import Plugins

__all__ = [
    "ExportFormat",
    "ExportRegistry",
    "RenderContext",
    "RenderTools",
    "export",
    "render_context",
]


@dataclass(frozen=True)
class RenderTools:
    """What every render of one process shares: built once from the plugins."""

    renderers: RendererRegistry
    geometry: GeometryRegistry
    exports: ExportRegistry
    png: PngRenderer

    @classmethod
    def from_plugins(cls, plugins: Plugins, png: PngRenderer | None = None) -> RenderTools:
        """The registries of the loaded plugins (``png``: the process's browser, if any)."""
        return cls(
            RendererRegistry(plugins.renderers),
            GeometryRegistry.from_plugins(plugins),
            ExportRegistry(plugins.export_formats),
            png or PngRenderer(),
        )

    def usable(self, fmt: str) -> ExportFormat:
        """The format called ``fmt``, refused before any work if it cannot be made here.

        :class:`NotFound` for an unknown name; ``PngUnavailable`` (a 503, exit 3)
        for a format drawn by the browser where there is none.
        """
        chosen = self.exports.get(fmt)
        if chosen.needs_browser:
            self.png.check()
        return chosen

    def offered(self) -> tuple[list[ExportFormat], dict[str, PngUnavailable]]:
        """The formats that can be made here, and why each other one cannot.

        What a page links: the same check as :meth:`usable` (so a link is
        never offered that would answer 503), made per format, cheaply (a
        file test and an import, no browser started).
        """
        usable: list[ExportFormat] = []
        missing: dict[str, PngUnavailable] = {}
        for fmt in self.exports:
            try:
                usable.append(self.usable(fmt.name))
            except PngUnavailable as exc:
                missing[fmt.name] = exc
        return usable, missing

    def admitted(self, fmt: str) -> contextlib.AbstractContextManager[None]:
        """The gate a render in ``fmt`` passes first: the browser's for a PNG, else none.

        Taken before the plot is computed or its page built, so a burst of
        PNGs is refused at once instead of each building its page (Bokeh's
        standalone HTML, 0.1-0.3 s of CPU) only to find the browser busy.
        """
        if self.exports.get(fmt).needs_browser:
            return self.png.admission.enter()
        return contextlib.nullcontext()

    def close(self) -> None:
        """Stop the shared browser (started only if a PNG was drawn)."""
        self.png.close()


@dataclass(frozen=True)
class RenderContext:
    """Everything that turns one plot into bytes, besides the plot itself."""

    tools: RenderTools
    view: PlotView = field(default_factory=PlotView)
    payload_type: str = ""
    #: extra drawing options of the run context: ``{"fills": [...]}`` for a history
    fills: Mapping[str, Any] = field(default_factory=dict)
    annotations: tuple[Any, ...] = ()

    @property
    def run_fills(self) -> tuple[Fill, ...]:
        """The LHC fills of a history's range: the ones its drawing shades, the CSV's fill column.

        Empty where the database knows no fill (then the column's cells are empty).
        """
        from inspector.engine.fills import FILLS_OPTION  # the engine imports the renderers

        return tuple(self.fills.get(FILLS_OPTION, ()))

    def drawing_options(self, **extra: Any) -> dict[str, Any]:
        """The options the renderers take: view, geometry registry, fills, annotations."""
        options: dict[str, Any] = {
            **self.view.options(),
            "geometry_registry": self.tools.geometry,
            **self.fills,
        }
        if self.annotations:
            options["annotations"] = self.annotations
        return {**options, **extra}


def render_context(
    tools: RenderTools,
    database: ConditionsDB,
    plot: PlotObject,
    request: PlotRequest,
    *,
    annotations: Iterable[Any] = (),
) -> RenderContext:
    """The one way a render context is built (web and command line alike)."""
    from inspector.engine.fills import fill_view_options  # the engine imports the renderers

    return RenderContext(
        tools=tools,
        view=request.view,
        payload_type=database.tag(request.tag).object_type,
        fills=fill_view_options(database, plot),
        annotations=tuple(annotations),
    )


#: ``write(plot, context) -> bytes``
Writer = Callable[[PlotObject, RenderContext], bytes]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name in URLs and ``--format``, how to write it, how to serve it."""

    name: str
    media_type: str
    #: file name suffix, without the dot (``cmspi.json``)
    extension: str
    help: str
    write: Writer
    #: drawn by the headless browser: refused early (and clearly) where there is none
    needs_browser: bool = False
    #: the view's ``series`` goes into the file name (one series of a history)
    series_in_name: bool = False
    #: a drawing of the view (HTML, PNG): a zoomed one is named after the IOVs it shows
    drawn: bool = False

    def file_name(self, plot: PlotObject, view: PlotView) -> str:
        """The download name, saying what it holds (:class:`ViewTitle`).

        ``beamspot.position_x_BeamSpot_v1_379058.1-379814.402.csv``: drawer,
        tag(s), IOV range (of a zoomed drawing, the IOVs in view) and the
        snapshot when pinned, then the series when the format writes one.
        """
        series = view.series if self.series_in_name and view.series else ""
        if self.drawn and isinstance(plot, History):  # a zoomed drawing: the IOVs it shows
            return drawing_title(plot, view.options()).file_name(self.extension, series or "")
        return ViewTitle.of(plot).file_name(self.extension, series or "")


class ExportRegistry:
    """The export formats of the loaded plugins, by name (registration order kept)."""

    def __init__(self, formats: Iterable[ExportFormat] = ()) -> None:
        self._formats: dict[str, ExportFormat] = {}
        for fmt in formats:
            if fmt.name in self._formats:
                raise ValueError(f"export format {fmt.name!r} is registered twice")
            if not re.fullmatch(r"[a-z][a-z0-9_]*", fmt.name):
                raise ValueError(f"export format name {fmt.name!r} must be lower case, a-z0-9_")
            self._formats[fmt.name] = fmt

    def __iter__(self) -> Iterator[ExportFormat]:
        return iter(self._formats.values())

    def __contains__(self, name: object) -> bool:
        return name in self._formats

    def names(self) -> list[str]:
        """Format names in registration order."""
        return list(self._formats)

    def get(self, name: str) -> ExportFormat:
        """The format called ``name``; :class:`NotFound` listing the known ones."""
        fmt = self._formats.get(name)
        if fmt is None:
            raise NotFound(f"no export format {name!r} (available: {', '.join(self._formats)})")
        return fmt


def export(plot: PlotObject, fmt: str, context: RenderContext) -> bytes:
    """``plot`` in the format named ``fmt``: the one path from a plot object to bytes."""
    return context.tools.usable(fmt).write(plot, context)
