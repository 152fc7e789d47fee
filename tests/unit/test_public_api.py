"""The public API: what ``import inspector`` offers, pinned (httpx's test_exported_members)."""

from __future__ import annotations

import subprocess
import sys

import inspector
from inspector import errors

PUBLIC = {
    # plugin surface
    "hookimpl",
    "drawer",
    "Drawer",
    "DrawContext",
    "Param",
    "ParamValue",
    "DecodedPayload",
    # plot objects
    "PlotObject",
    "History",
    "Series",
    "Histogram1D",
    "Histogram2D",
    "DetectorMap",
    "Scatter",
    "Table",
    "Provenance",
    "CsvColumn",
    "JsonReader",
    "as_float_array",
    "as_uint_array",
    "check_length",
    "floats_to_json",
    "ints_to_json",
    "PlotTypeRegistry",
    "from_json",
    # geometry
    "GeometryRegistry",
    "detector_map",
    "partition_mask",
    "pixel_modules",
    "strip_module_ids",
    # running drawers
    "load_plugins",
    "Engine",
    "Config",
    "DatabaseConfig",
    # notebooks
    "open",
    "Session",
    # exports and the request
    "ExportFormat",
    "RenderContext",
    "PlotRequest",
    "PlotView",
    "__version__",
}


def test_all_is_exactly_the_public_names_and_every_error() -> None:
    assert set(inspector.__all__) == PUBLIC | set(errors.__all__)
    assert len(inspector.__all__) == len(set(inspector.__all__))


def test_every_public_name_resolves_to_its_defining_object() -> None:
    for name in inspector.__all__:
        value = getattr(inspector, name)
        assert value is not None, name
    assert inspector.drawer is __import__("inspector.drawers", fromlist=["drawer"]).drawer
    assert inspector.hookimpl is __import__("inspector.plugin", fromlist=["x"]).hookimpl
    notebook = __import__("inspector.notebook", fromlist=["open"])
    assert inspector.open is notebook.open and inspector.Session is notebook.Session
    assert sorted(dir(inspector)) == sorted(inspector.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        inspector.nothing_here  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "nothing_here" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_importing_inspector_alone_loads_no_engine_web_or_bokeh() -> None:
    code = (
        "import sys, inspector\n"
        "heavy = [m for m in ('inspector.engine', 'inspector.web', 'inspector.notebook', "
        "'bokeh', 'flask', 'pandas') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
