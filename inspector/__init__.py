"""Payload Inspector: plugin-based visualization of conditions-database payloads.

Everything a plugin (or a notebook) needs is importable from here, and only
this is public; modules behind it are private unless documented::

    from inspector import hookimpl, drawer, Param, Histogram1D, DrawContext

* plugin surface: :data:`hookimpl`, :func:`drawer`, :class:`Param`,
  :class:`Drawer`, :class:`DrawContext`, :class:`DecodedPayload`;
* plot objects: :class:`PlotObject` and the built-in types, :class:`Series`,
  :class:`Provenance`, :class:`PlotTypeRegistry`, :func:`from_json`; to add a
  type: :class:`CsvColumn`, :class:`JsonReader`, :func:`as_float_array`,
  :func:`as_uint_array`, :func:`check_length`, :func:`floats_to_json`,
  :func:`ints_to_json`;
* geometry: :class:`GeometryRegistry`, :func:`detector_map`,
  :func:`partition_mask`, :func:`pixel_modules`, :func:`strip_module_ids`;
* exports: :class:`ExportFormat`, :class:`RenderContext`;
* notebooks: :func:`open` (a database by alias or SQLite path) and its
  :class:`Session` (docs/python-api.md);
* running drawers (tests, scripts): :func:`load_plugins`, :class:`Engine`,
  :class:`Config`, :class:`DatabaseConfig`, :class:`PlotRequest`, :class:`PlotView`;
* errors: :class:`InspectorError` and the whole tree of :mod:`inspector.errors`.

Names other than the errors load on first use (PEP 562), so ``import
inspector`` stays light and no submodule import runs in a circle through
this file.  ``tests/unit/test_public_api.py`` pins :data:`__all__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspector._lazy import lazy_getattr
from inspector.errors import (
    BadRequest,
    CertificationUnavailable,
    ConfigError,
    DatabaseUnavailable,
    DrawerError,
    Forbidden,
    FormulaError,
    GeometryFileError,
    InspectorError,
    InvalidParameter,
    NotFound,
    Overloaded,
    PayloadDecodeError,
    PayloadEncodeError,
    PlotError,
    PluginError,
    PngUnavailable,
    QueueFull,
    RenderError,
    SchemaError,
    Unauthorized,
    UndecodablePayload,
    UnsupportedExport,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from inspector.config import Config, DatabaseConfig
    from inspector.drawers import DrawContext, Drawer, Param, ParamValue, drawer
    from inspector.engine import Engine
    from inspector.geometry import (
        GeometryRegistry,
        detector_map,
        partition_mask,
        pixel_modules,
        strip_module_ids,
    )
    from inspector.notebook import Session, open
    from inspector.payload import DecodedPayload
    from inspector.plots import (
        DetectorMap,
        Histogram1D,
        Histogram2D,
        History,
        PlotObject,
        PlotTypeRegistry,
        Provenance,
        Scatter,
        Series,
        Table,
        from_json,
    )
    from inspector.plots.base import (
        CsvColumn,
        JsonReader,
        as_float_array,
        as_uint_array,
        check_length,
    )
    from inspector.plots.serialize import floats_to_json, ints_to_json
    from inspector.plugin import hookimpl, load_plugins
    from inspector.render.exports import ExportFormat, RenderContext
    from inspector.request import PlotRequest, PlotView

__version__ = "0.1.0"

#: public name → the module that defines it (loaded on first access)
_LAZY: dict[str, str] = {
    "hookimpl": "inspector.plugin",
    "drawer": "inspector.drawers",
    "Drawer": "inspector.drawers",
    "DrawContext": "inspector.drawers",
    "Param": "inspector.drawers",
    "ParamValue": "inspector.drawers",
    "DecodedPayload": "inspector.payload",
    "PlotObject": "inspector.plots",
    "History": "inspector.plots",
    "Series": "inspector.plots",
    "Histogram1D": "inspector.plots",
    "Histogram2D": "inspector.plots",
    "DetectorMap": "inspector.plots",
    "Scatter": "inspector.plots",
    "Table": "inspector.plots",
    "Provenance": "inspector.plots",
    "PlotTypeRegistry": "inspector.plots",
    "from_json": "inspector.plots",
    "CsvColumn": "inspector.plots.base",
    "JsonReader": "inspector.plots.base",
    "as_float_array": "inspector.plots.base",
    "as_uint_array": "inspector.plots.base",
    "check_length": "inspector.plots.base",
    "floats_to_json": "inspector.plots.serialize",
    "ints_to_json": "inspector.plots.serialize",
    "load_plugins": "inspector.plugin",
    "Engine": "inspector.engine",
    "Config": "inspector.config",
    "DatabaseConfig": "inspector.config",
    "GeometryRegistry": "inspector.geometry",
    "detector_map": "inspector.geometry",
    "partition_mask": "inspector.geometry",
    "pixel_modules": "inspector.geometry",
    "strip_module_ids": "inspector.geometry",
    "ExportFormat": "inspector.render.exports",
    "RenderContext": "inspector.render.exports",
    "open": "inspector.notebook",
    "Session": "inspector.notebook",
    "PlotRequest": "inspector.request",
    "PlotView": "inspector.request",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "BadRequest",
    "CertificationUnavailable",
    "Config",
    "ConfigError",
    "CsvColumn",
    "DatabaseConfig",
    "DatabaseUnavailable",
    "DecodedPayload",
    "DetectorMap",
    "DrawContext",
    "Drawer",
    "DrawerError",
    "Engine",
    "ExportFormat",
    "Forbidden",
    "FormulaError",
    "GeometryFileError",
    "GeometryRegistry",
    "Histogram1D",
    "Histogram2D",
    "History",
    "InspectorError",
    "InvalidParameter",
    "JsonReader",
    "NotFound",
    "Overloaded",
    "Param",
    "ParamValue",
    "PayloadDecodeError",
    "PayloadEncodeError",
    "PlotError",
    "PlotObject",
    "PlotRequest",
    "PlotTypeRegistry",
    "PlotView",
    "PluginError",
    "PngUnavailable",
    "Provenance",
    "QueueFull",
    "RenderContext",
    "RenderError",
    "Scatter",
    "SchemaError",
    "Series",
    "Session",
    "Table",
    "Unauthorized",
    "UndecodablePayload",
    "UnsupportedExport",
    "UnsupportedMediaType",
    "__version__",
    "as_float_array",
    "as_uint_array",
    "check_length",
    "detector_map",
    "drawer",
    "floats_to_json",
    "from_json",
    "hookimpl",
    "ints_to_json",
    "load_plugins",
    "open",
    "partition_mask",
    "pixel_modules",
    "strip_module_ids",
]
