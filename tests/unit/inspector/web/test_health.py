"""``/healthz`` and ``/readyz``: liveness without the database, readiness naming what is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state


@pytest.fixture
def app(demo_path: Path, tmp_path: Path) -> Iterator[Flask]:
    databases = {
        "demo": DatabaseConfig("demo", f"sqlite:///{demo_path}"),
        "gone": DatabaseConfig("gone", f"sqlite:///{tmp_path / 'gone.sqlite'}"),
    }
    flask_app = create_app(Config(databases, "demo"), load_plugins())
    yield flask_app
    state(flask_app).close()


def test_healthz_touches_no_database(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert state(app).engine._databases == {}  # nothing was opened


def test_readyz_names_the_missing_database(app: Flask) -> None:
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["status"] == "unready" and body["unready"] == ["gone"]
    assert body["databases"]["demo"] == {"ready": True}
    gone = body["databases"]["gone"]
    assert gone["ready"] is False and "'gone'" in gone["error"]
    assert "gone.sqlite" not in response.get_data(as_text=True)  # no file paths to the public
    assert body["shared_cache"] == "off"


def test_readyz_is_200_when_every_database_answers(demo_path: Path) -> None:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    flask_app = create_app(config, load_plugins())
    try:
        response = flask_app.test_client().get("/readyz")
        assert response.status_code == 200
        assert response.get_json()["status"] == "ready"
    finally:
        state(flask_app).close()
