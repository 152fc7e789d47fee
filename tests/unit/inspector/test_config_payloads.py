"""``[payloads] layouts``: folders of payload layouts of one's own, beside the plugins'."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.cli.context import CliContext
from inspector.config import load_config, parse_config
from inspector.errors import ConfigError

LAYOUT = """
encoding = "cmssw-archive"
object_type = "Mine"
[classes.Mine]
members = [{ name = "x", type = "int" }]
"""
DATABASES = '[databases.a]\npath = "a.sqlite"\n'


def test_folders_are_relative_to_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "Mine.archive.toml").write_text(LAYOUT)
    path = tmp_path / "inspector.toml"
    path.write_text(DATABASES + '[payloads]\nlayouts = ["layouts"]\n')
    config = load_config(path)
    assert config.layout_folders == (tmp_path / "layouts",)
    cli = CliContext(config_path=str(path))
    assert "Mine" in cli.schemas.object_types()
    assert "JME::JetResolutionObject" in cli.schemas.object_types()  # the plugins' as well


def test_without_the_table_there_are_none(tmp_path: Path) -> None:
    config = parse_config({"databases": {"a": {"path": "a.sqlite"}}}, base_dir=tmp_path)
    assert config.layout_folders == ()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"layouts": "layouts"}, "[payloads] layouts must be a list of folder paths"),
        ({"layouts": [1]}, "[payloads] layouts must be a list of folder paths"),
        ({"layouts": [""]}, "[payloads] layouts must be a list of folder paths"),
        ({"layouts": ["missing"]}, "is not a folder"),
        ({"folders": ["x"]}, "[payloads] unknown key(s) folders"),
        ("x", "[payloads] must be a table"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, table: object, message: str) -> None:
    data = {"databases": {"a": {"path": "a.sqlite"}}, "payloads": table}
    with pytest.raises(ConfigError) as info:
        parse_config(data, base_dir=tmp_path, source=tmp_path / "c.toml")
    assert message in str(info.value) and "c.toml" in str(info.value)


def test_the_server_registers_them_too(tmp_path: Path) -> None:
    from inspector.web.app import create_app
    from inspector.web.state import EXTENSION

    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "Mine.archive.toml").write_text(LAYOUT)
    path = tmp_path / "inspector.toml"
    path.write_text(DATABASES + '[payloads]\nlayouts = ["layouts"]\n')
    app = create_app(load_config(path))
    assert "Mine" in app.extensions[EXTENSION].plugins.schemas.object_types()
