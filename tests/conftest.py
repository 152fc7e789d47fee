"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from handmade import build_handmade
from live_servers import RedisServer
from live_servers import redis_server as live_redis
from postgres_server import PostgresServer

from inspector.conddb import ConditionsDB, open_database
from inspector.config import Config, DatabaseConfig
from inspector.engine import Engine
from inspector.payload import SchemaRegistry
from inspector.plugin import load_plugins


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session (started on first use)."""
    server = PostgresServer.create()
    yield server
    server.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def handmade_config(
    request: pytest.FixtureRequest, handmade_path: tuple[Path, dict[str, str]]
) -> DatabaseConfig:
    """Alias ``hand``: the hand-built database on each backend (the same rows, loaded once)."""
    if request.param == "sqlite":
        return DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.load("hand", handmade_path[0])


@pytest.fixture
def handmade_db(handmade_config: DatabaseConfig) -> Iterator[ConditionsDB]:
    """The hand-built database opened read-only, as the server opens it (every backend)."""
    db = open_database(handmade_config)
    yield db
    db.close()


@pytest.fixture
def hashes(handmade_path: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """Payload hashes of the hand-built database by label."""
    return handmade_path[1]


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database (all real modules, few IOVs), built once per run."""
    from inspector.demo import build_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    build_demo_database(path, seed=3, scale=0.02)
    return path


@pytest.fixture(scope="session")
def demo_engine(demo_path: Path) -> Iterator[Engine]:
    """An engine over the demo database with the installed (built-in) plugins."""
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    engine = Engine(config, load_plugins())
    yield engine
    engine.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free loopback port (no persistence), killed after the test."""
    with live_redis(tmp_path / "redis") as server:
        yield server
