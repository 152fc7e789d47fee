"""``inspector plugins``: plugins, drawers, and the detector layouts each plugin registers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspector.cli.main import cli
from inspector.plugin import Plugins, hookimpl, load_plugins


class DiskLayouts:
    def __init__(self, *files: Path) -> None:
        self.files = list(files)

    @hookimpl
    def register_geometries(self) -> list[Path]:
        return self.files


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Plugins:
    layout = tmp_path / "fpix_group_disk3"  # CMS layout files often have no suffix
    layout.write_text("352588804 0 0 1 0 1 1\n")
    loaded = load_plugins(extra=[("disks", DiskLayouts(layout))])
    monkeypatch.setattr("inspector.cli.context.load_plugins", lambda: loaded)
    return loaded


def test_the_layouts_a_plugin_registers_are_listed(plugins: Plugins, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "fpix_group_disk3" in result.output and "disks" in result.output
    assert "1 plugin layouts" in result.output
    doc = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)
    assert doc["layouts"] == [
        {"plugin": "disks", "name": "fpix_group_disk3", "file": str(tmp_path / "fpix_group_disk3")}
    ]
