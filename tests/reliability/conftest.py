"""Fixtures of the reliability tests that start real servers."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def config(handmade_path: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A configuration serving the hand-made database (for ``inspector serve``)."""
    path = tmp_path / "inspector.toml"
    path.write_text(f'default_database = "hand"\n[databases.hand]\npath = "{handmade_path[0]}"\n')
    return path
