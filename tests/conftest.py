"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from handmade import build_handmade

from inspector.conddb import ConditionsDB, open_database
from inspector.config import DatabaseConfig
from inspector.payload import SchemaRegistry


@pytest.fixture(scope="session")
def schemas() -> SchemaRegistry:
    """The built-in payload schemas."""
    return SchemaRegistry.builtin()


@pytest.fixture(scope="session")
def handmade_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Path of the hand-built database and its payload hashes by label."""
    path = tmp_path_factory.mktemp("handmade") / "handmade.sqlite"
    hashes = build_handmade(path)
    return path, hashes


@pytest.fixture
def handmade_db(handmade_path: tuple[Path, dict[str, str]]) -> Iterator[ConditionsDB]:
    """The hand-built database opened read-only, as the server opens it."""
    db = open_database(DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}"))
    yield db
    db.close()


@pytest.fixture
def hashes(handmade_path: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """Payload hashes of the hand-built database by label."""
    return handmade_path[1]
