"""A PostgreSQL server stops while the app serves, then starts again: 503s, then recovery.

The deferred half of the outage tests (see test_outage.py for SQLite): the
session's real PostgreSQL server is stopped (``pg_ctl stop -m fast``, which
cuts every open session, as a crash or a failover does) while the app holds
pooled connections to it.  While it is down every route that reads the
database answers 503 with ``Retry-After`` — a JSON:API error under ``/api``,
a readable page elsewhere, never a 500, a traceback or the server's
address.  Once it is back, the very next requests succeed with no restart
of the app: ``pool_pre_ping`` finds the dead pooled connections on checkout
and replaces them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from flask import Flask
from postgres_server import PostgresServer

from inspector.config import Config
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

#: Routes that read the database before anything else (no cache in front).
API_ROUTES: Final = (
    "/api/v1/tags",
    "/api/v1/tags/BS_run",
    "/api/v1/tags/BS_run/iovs",
    "/api/v1/globaltags/GT_v1",
    "/api/v1/runs",
)
PAGE_ROUTES: Final = ("/", "/tags/BS_run", "/globaltags", "/plot/beamspot.position_x?tag=BS_run")


@pytest.fixture
def app(postgres: PostgresServer, handmade_path: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    hand = postgres.load("hand", handmade_path[0])
    flask_app = create_app(Config({"hand": hand}, "hand"), load_plugins())
    yield flask_app
    state(flask_app).close()


def _statuses(app: Flask) -> dict[str, int]:
    client = app.test_client()
    return {route: client.get(route).status_code for route in (*API_ROUTES, *PAGE_ROUTES)}


def test_a_stopped_server_is_503_everywhere_then_served_again_without_restart(
    app: Flask, postgres: PostgresServer
) -> None:
    assert set(_statuses(app).values()) == {200}  # warm: connections pooled
    postgres.stop()
    try:
        client = app.test_client()
        for route in (*API_ROUTES, *PAGE_ROUTES):
            response = client.get(route)
            body = response.get_data(as_text=True)
            assert response.status_code == 503, (route, response.status_code, body[:300])
            assert response.headers["Retry-After"] == "5", route
            assert "Traceback" not in body and str(postgres.port) not in body, route
            if route.startswith("/api/"):
                assert response.mimetype == "application/vnd.api+json", route
                error = json.loads(body)["errors"][0]
                assert error["status"] == "503" and error["title"] == "Database unavailable"
                assert "database 'hand' is unavailable" in error["detail"]
            else:
                assert response.mimetype == "text/html", route
                assert "Database unavailable" in body
                assert "database &#39;hand&#39; is unavailable; try again in a moment" in body
    finally:
        postgres.start()
    # The very next round of requests succeeds: dead connections were replaced on checkout.
    assert _statuses(app) == dict.fromkeys((*API_ROUTES, *PAGE_ROUTES), 200)
