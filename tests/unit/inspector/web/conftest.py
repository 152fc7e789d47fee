"""The app most web tests read: the production factory over the small demo database.

Module-scoped (each test module gets its own app, closed after it) so that
one module's cache state never leaks into another's assertions; a module
that needs another configuration defines its own ``app`` fixture, which
takes precedence over this one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state


@pytest.fixture(scope="module")
def app(demo_path: Path) -> Iterator[Flask]:
    flask_app = create_app(
        Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo"), load_plugins()
    )
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
