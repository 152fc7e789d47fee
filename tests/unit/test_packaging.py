"""Packaging stays in step with the source tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    assert "package-dir" not in config  # every package installs under its folder's name
    found = set()
    for root in ("inspector", "inspector_plugins", "payload_schemas"):
        for init in (ROOT / root).glob("**/__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    assert found == listed


def test_setup_cfg_has_exactly_one_job() -> None:
    sections = [
        line for line in (ROOT / "setup.cfg").read_text().splitlines() if line.startswith("[")
    ]
    assert all(s.startswith("[mypy") for s in sections)
