"""Nothing private in pages (issue 18 item 6).

- The page header's database badge names the alias and the configured
  description, never the database file path or URL.
- ``[ops] access`` keeps ``/metrics`` and ``/_stats`` to loopback or to a
  bearer token: anyone else gets a 403 with a JSON:API error body; the probes
  stay open; the default keeps both routes open.
- With ``[auth] proxy_secret``, the proxy's user header writes a note only
  when ``X-Inspector-Proxy-Secret`` carries the secret, even from a trusted
  (loopback) address.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inspector.annotations.settings import parse_auth_table
from inspector.config import Config, DatabaseConfig
from inspector.ops_settings import OpsSettings
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

OPS_TOKEN = "ops-token-for-prometheus-0123"
PROXY_SECRET = "shared-with-the-proxy-only-0123"
OPERATORS = ("/metrics", "/_stats")


MakeClient = Callable[..., FlaskClient]


def _app(database: Path, **fields: Any) -> Flask:
    db = DatabaseConfig("hand", f"sqlite:///{database}", "Hand-made test conditions")
    return create_app(Config({"hand": db}, "hand", **fields), load_plugins())


@pytest.fixture
def database(handmade_path: tuple[Path, dict[str, str]]) -> Path:
    return handmade_path[0]


@pytest.fixture
def make_client(database: Path) -> Iterator[MakeClient]:
    apps: list[Flask] = []

    def make(**fields: Any) -> FlaskClient:
        app = _app(database, **fields)
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        state(app).close()


def _get(client: FlaskClient, path: str, peer: str, **headers: str) -> tuple[int, str, str]:
    response = client.get(path, headers=headers, environ_base={"REMOTE_ADDR": peer})
    return response.status_code, response.mimetype, response.get_data(as_text=True)


def test_the_database_badge_shows_alias_and_description_only(
    make_client: MakeClient, database: Path
) -> None:
    client = make_client()
    for page in ("/", "/tags/BS_lumi", "/globaltags"):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert 'title="Hand-made test conditions">database <b>hand</b>' in html
        assert str(database) not in html and database.name not in html, page


def test_operators_routes_are_open_by_default(make_client: MakeClient) -> None:
    client = make_client()
    for path in OPERATORS:
        assert _get(client, path, "192.0.2.7")[0] == 200


def test_loopback_access_refuses_other_addresses_with_json(make_client: MakeClient) -> None:
    client = make_client(ops=OpsSettings.from_table({"access": "loopback"}))
    for path in OPERATORS:
        assert _get(client, path, "127.0.0.1")[0] == 200
        assert _get(client, path, "::1")[0] == 200
        status, mimetype, body = _get(client, path, "192.0.2.7")
        assert (status, mimetype) == (403, "application/vnd.api+json")
        error = json.loads(body)["errors"][0]
        assert error["status"] == "403" and "local requests only" in error["detail"]
    assert _get(client, "/healthz", "192.0.2.7")[0] == 200
    assert _get(client, "/readyz", "192.0.2.7")[0] == 200


def test_token_access_needs_the_bearer_token(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_TOKEN", OPS_TOKEN)
    ops = OpsSettings.from_table({"access": "token", "token": "env:OPS_TOKEN"})
    assert OPS_TOKEN not in repr(ops)
    client = make_client(ops=ops)
    for path in OPERATORS:
        for peer in ("127.0.0.1", "192.0.2.7"):
            assert _get(client, path, peer, Authorization=f"Bearer {OPS_TOKEN}")[0] == 200
            for wrong in ({}, {"Authorization": "Bearer nope"}, {"Authorization": OPS_TOKEN}):
                status, mimetype, body = _get(client, path, peer, **wrong)
                assert (status, mimetype) == (403, "application/vnd.api+json")
                assert "Bearer <ops token>" in body and OPS_TOKEN not in body
    assert _get(client, "/healthz", "192.0.2.7")[0] == 200


def _note(client: FlaskClient, headers: dict[str, str]) -> int:
    body = {"data": {"type": "annotations", "attributes": {"tag": "BS_lumi", "text": "ok"}}}
    response = client.post(
        "/api/v1/annotations",
        data=json.dumps(body),
        content_type="application/vnd.api+json",
        headers={"X-Remote-User": "bob", "Sec-Fetch-Site": "same-origin", **headers},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    return response.status_code


def test_the_user_header_needs_the_proxy_secret(make_client: MakeClient) -> None:
    digest = hashlib.sha256(PROXY_SECRET.encode()).hexdigest()
    auth = parse_auth_table(
        {
            "proxy_user_header": "X-Remote-User",
            "trusted_proxies": ["127.0.0.1"],
            "proxy_secret": f"sha256:{digest}",
        },
        "test",
    )
    client = make_client(auth=auth)
    assert _note(client, {}) == 401  # any local process: the header alone is ignored
    assert _note(client, {"X-Inspector-Proxy-Secret": "guessed"}) == 401
    assert _note(client, {"X-Inspector-Proxy-Secret": PROXY_SECRET}) == 201
