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

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from outage_checks import API_ROUTES, PAGE_ROUTES, assert_unavailable_answer
from postgres_server import PostgresServer

from inspector.config import Config
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state


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
            hidden = (f"127.0.0.1:{postgres.port}", str(postgres.port), postgres.url("hand"))
            assert_unavailable_answer(route, client.get(route), "hand", hidden)
    finally:
        postgres.start()
    # The very next round of requests succeeds: dead connections were replaced on checkout.
    assert _statuses(app) == dict.fromkeys((*API_ROUTES, *PAGE_ROUTES), 200)
