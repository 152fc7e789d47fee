"""Packaging stays in step with the source tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = {v: k for k, v in config.get("package-dir", {}).items()}
    found = set()
    for root in ("inspector", "plugins", "payload_schemas"):
        for init in (ROOT / root).glob("**/__init__.py"):
            rel = init.parent.relative_to(ROOT)
            found.add(".".join((mapping.get(root, root), *rel.parts[1:])))
    assert found == listed


def test_setup_cfg_has_exactly_one_job() -> None:
    sections = [
        line for line in (ROOT / "setup.cfg").read_text().splitlines() if line.startswith("[")
    ]
    assert all(s.startswith("[mypy") for s in sections)
