"""The one log line saying what a re-read configuration changed (``inspector serve`` SIGHUP)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from inspector.config import Config, parse_config
from inspector.config_changes import config_changes

BASE = """
default_database = "demo"
[databases.demo]
path = "demo.sqlite"
[databases.old]
path = "old.sqlite"
[[watch]]
tag = "A"
max_latency_hours = 48
[certification.golden]
path = "golden.json"
"""


def _config(folder: Path, text: str) -> Config:
    return parse_config(tomllib.loads(text), base_dir=folder)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "golden.json").write_text(json.dumps({"380000": [[1, 10]]}))
    return tmp_path


def test_nothing_changed(folder: Path) -> None:
    assert config_changes(_config(folder, BASE), _config(folder, BASE)) == "unchanged"


def test_named_items_added_removed_and_changed(folder: Path) -> None:
    new = BASE.replace('[databases.old]\npath = "old.sqlite"', '[databases.new]\npath = "n.sqlite"')
    new = new.replace('path = "demo.sqlite"', 'path = "demo.sqlite"\ndescription = "now described"')
    new += '[[watch]]\ndb = "new"\ntag = "B"\nmax_latency_hours = 1\n'
    assert config_changes(_config(folder, BASE), _config(folder, new)) == (
        "aliases +new -old ~demo; watch +new/B"
    )


def test_a_certification_file_whose_content_changed(folder: Path) -> None:
    old = _config(folder, BASE)
    (folder / "golden.json").write_text(json.dumps({"380000": [[1, 20]]}))
    assert config_changes(old, _config(folder, BASE)) == "certification ~golden"
    (folder / "golden.json").unlink()  # a missing file is a name kept as missing
    assert config_changes(old, _config(folder, BASE)) == "certification ~golden"


def test_other_tables_and_the_default_are_named(folder: Path) -> None:
    new = BASE.replace('default_database = "demo"', 'default_database = "old"')
    new += "[engine]\nworkers = 2\n[watch_clock]\nafter_newest_run_hours = 72\n"
    new += '[limits]\nplots = "60/minute"\n'
    assert config_changes(_config(folder, BASE), _config(folder, new)) == (
        # the watch entry names no database: it follows the default
        "watch +old/A -demo/A; default_database demo -> old; [engine]; [limits]; [watch_clock]"
    )
