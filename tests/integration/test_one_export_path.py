"""One export path: the command line and the web give the same bytes, format for format.

For every built-in drawer on the demo database, and for a plugin's drawer on
a plugin's detector layout (the case where the command line once rendered
with the shipped layouts only), ``inspector plot --format F -o FILE`` and
``GET /plot/<drawer>/export.F`` must write identical files, or fail with the
same message.  PNG is drawn by Chromium for one drawer of each plot type
(every drawer would take minutes); every other format for every drawer.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask

from inspector.cli.main import cli
from inspector.conddb import format_since
from inspector.config import Config, DatabaseConfig
from inspector.drawers import Drawer, drawer
from inspector.geometry.shipped import pixel_modules
from inspector.plots import DetectorMap
from inspector.plugin import Plugins, hookimpl, load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

FORMATS: Final = ("json", "csv", "html", "cmspi")
#: Drawers drawn to PNG as well: one of each plot type the demo makes.
PNG_DRAWERS: Final = (
    "beamspot.position_x",  # History
    "strips.noise_distribution",  # Histogram1D
    "maps.strip_noise",  # DetectorMap (tracker map)
)


class DiskPlugin:
    """A detector group's plugin: its own layout file and a map drawer that uses it."""

    def __init__(self, layout: Path) -> None:
        self.layout = layout

    @hookimpl
    def register_geometries(self) -> list[Path]:
        return [self.layout]

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [disk_map]


@drawer(
    "disks.gain_map",
    title="Pixel gain on the plugin's FPix disk",
    payload_types="SiPixelGainCalibrationForHLT",
    kind="single",
)
def disk_map(payload: Any, params: Any) -> DetectorMap:
    """One value per module of the plugin's layout."""
    modules = np.asarray(pixel_modules()[0][:12], dtype=np.uint32)
    return DetectorMap(
        geometry="fpix_plugin_disk", ids=modules, values=np.arange(modules.size, dtype=float)
    )


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve pixel modules as triangles: the tracker-map text format, no suffix."""
    path = tmp_path_factory.mktemp("layouts") / "fpix_plugin_disk"
    rows = [
        f"{detid} {i} 10 {i + 0.5} 11 {i + 1} 10" for i, detid in enumerate(pixel_modules()[0][:12])
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def plugins(layout: Path) -> Plugins:
    return load_plugins(extra=[("disks", DiskPlugin(layout))])


@pytest.fixture(scope="module")
def app(demo_path: Path, plugins: Plugins) -> Iterator[Flask]:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    flask_app = create_app(config, plugins)
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def config_file(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "inspector.toml"
    path.write_text(f'[databases.demo]\npath = "{demo_path}"\n')
    return path


def _arguments(app: Flask, name: str) -> dict[str, str]:
    """A tag the drawer reads, and two IOVs for a comparison."""
    web = state(app)
    declared = web.plugins.drawers.get(name)
    db = web.engine.database("demo")
    tags = db.search_tags(page_size=1000).items
    tag = next(t for t in tags if declared.applies_to(t.object_type))
    args = {"tag": tag.name}
    if declared.kind == "compare":
        sinces = web.engine.iovs("demo", tag.name).since
        args["iov"] = format_since(int(sinces[0]), tag.time_type)
        args["iov2"] = format_since(int(sinces[-1]), tag.time_type)
    return args


def _web(app: Flask, name: str, fmt: str, args: dict[str, str]) -> tuple[int, bytes]:
    response = app.test_client().get(f"/plot/{name}/export.{fmt}?{urlencode(args)}")
    return response.status_code, response.get_data()


@pytest.fixture(autouse=True)
def installed(plugins: Plugins, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line loads the test's plugin too, as it would an installed package's."""
    monkeypatch.setattr("inspector.cli.context.load_plugins", lambda: plugins)


def _cli(config: Path, name: str, fmt: str, args: dict[str, str], out: Path) -> tuple[int, Any]:
    options = [item for key, value in args.items() for item in (f"--{key}", value)]
    command = ["--config", str(config), "plot", name, *options, "--format", fmt, "-o", str(out)]
    result = CliRunner().invoke(cli, command)
    if result.exit_code != 0:
        return result.exit_code, result.output
    return 0, out.read_bytes()


def _same(app: Flask, config: Path, name: str, fmt: str, out: Path) -> None:
    args = _arguments(app, name)
    status, web_bytes = _web(app, name, fmt, args)
    code, cli_bytes = _cli(config, name, fmt, args, out)
    if status != 200:  # a format the plot type has not (cmspi of a map): both refuse it
        assert code == 2 and status == 400, (name, fmt, status, cli_bytes)
        (error,) = [line for line in str(cli_bytes).splitlines() if line.startswith("Error: ")]
        message = error.removeprefix("Error: ").strip()
        assert message in html.unescape(web_bytes.decode("utf-8")), (name, fmt, message)
        return
    assert code == 0, (name, fmt, cli_bytes)
    assert cli_bytes == web_bytes, f"{name} as {fmt}: {len(cli_bytes)} vs {len(web_bytes)} bytes"


def test_every_builtin_drawer_every_format(app: Flask, config_file: Path, tmp_path: Path) -> None:
    names = [d.name for d in state(app).plugins.drawers if d.plugin != "disks"]
    assert len(names) > 30
    for name in names:
        for fmt in FORMATS:
            _same(app, config_file, name, fmt, tmp_path / f"{name}.{fmt}")


@pytest.mark.parametrize("name", PNG_DRAWERS)
def test_png_of_each_plot_type(app: Flask, config_file: Path, tmp_path: Path, name: str) -> None:
    _same(app, config_file, name, "png", tmp_path / f"{name}.png")


@pytest.mark.parametrize("fmt", [*FORMATS, "png"])
def test_a_plugin_drawer_on_a_plugin_layout(
    app: Flask, config_file: Path, tmp_path: Path, fmt: str
) -> None:
    _same(app, config_file, "disks.gain_map", fmt, tmp_path / f"disk.{fmt}")
