"""The plugin guide works as written: its first drawer and its export format run for real.

A detector-group author writes a plugin from docs/plugins.md alone; the code
blocks of its sections 1 and 3 are executed here as a module of theirs would
be, registered with entry points on (as an installed package is), and run
through the engine on the demo database and through both export edges.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np

from inspector import Config, DatabaseConfig, Engine, PlotRequest, load_plugins
from inspector.conddb import open_database
from inspector.render.exports import RenderTools, export, render_context

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


def _module(name: str, code: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(code, f"{GUIDE}:{name}", "exec"), module.__dict__)
    return module


def test_the_first_drawer_of_the_guide_draws_a_real_cms_class(demo_path: Path) -> None:
    drawers = _module("my_group_drawers", _blocks()[0])
    plugins = load_plugins(extra=[("mygroup", drawers)])
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    engine = Engine(config, plugins)
    try:
        tag = "BeamSpotObjects_PCL_byLumi_v1"
        plot = engine.plot(PlotRequest("mygroup.beam_width", tag, params={"axis": "y"}))
        widths = plot.series["width"].values  # type: ignore[attr-defined]
        assert plot.iov_count > 10 and np.all((widths > 1) & (widths < 100))  # µm
        assert plot.provenance.query.endswith("&axis=y")
    finally:
        engine.close()


def test_the_guides_export_format_is_served_by_the_one_export_path(demo_path: Path) -> None:
    (block,) = [b for b in _blocks() if "register_export_formats" in b]
    plugins = load_plugins(extra=[("title_format", _module("title_format", block))])
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    engine = Engine(config, plugins)
    tools = RenderTools.from_plugins(plugins)
    try:
        request = PlotRequest("beamspot.position_x", "BeamSpotObjects_PCL_byLumi_v1")
        plot = engine.plot(request)
        database = open_database(config.database("demo"))
        context = render_context(tools, database, plot, request)
        assert export(plot, "title", context) == plot.title.encode("utf-8")
        name = tools.exports.get("title").file_name(plot, request.view)
        assert name.startswith("beamspot.position_x_BeamSpotObjects_PCL_byLumi_v1_")
        assert name.endswith(".txt")
    finally:
        engine.close()
