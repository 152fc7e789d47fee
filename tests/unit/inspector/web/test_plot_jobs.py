"""Heavy plots as background jobs, through the API and the plot page.

The drawers here are real plugins: ``jobtest.gated`` reduces one payload each
time the test opens its gate, so progress, joining and a full queue are
observed at known moments instead of guessed with sleeps; ``jobtest.fails_on``
fails on one payload, as a buggy plugin would.
"""

from __future__ import annotations

import gzip
import json
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from web_apps import beamspot_plugins
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from inspector.config import Config, DatabaseConfig
from inspector.drawers import Drawer, Param, drawer
from inspector.jobs import JobSettings, job_id
from inspector.payload import DecodedPayload
from inspector.plugin import hookimpl
from inspector.web.app import create_app
from inspector.web.openapi import openapi_document
from inspector.web.state import state

API = "/api/v1"
WAIT = 20.0
GATE = threading.Semaphore(0)
OPEN = threading.Event()  # set: every gate is open (end of a test)
SNAPSHOT = "2025-01-01T00:00:00Z"


@drawer(
    "jobtest.gated",
    title="gated x",
    payload_types="BeamSpotObjects",
    kind="history",
    params=[Param.int("salt", 0, minimum=0, maximum=1000)],
)
def gated(payload: DecodedPayload, params: Mapping[str, Any]) -> float:
    """x, once the test lets this payload through (``salt`` keeps tests apart in the cache)."""
    for _ in range(int(WAIT / 0.05)):
        if GATE.acquire(timeout=0.05) or OPEN.is_set():
            return float(payload["position_"][0])
    raise AssertionError("the test never opened the gate")


@drawer("jobtest.fails_on", title="fails on x=0.3", payload_types="BeamSpotObjects", kind="history")
def fails_on(payload: DecodedPayload, params: Mapping[str, Any]) -> float:
    """Fails on one payload of the history."""
    if abs(float(payload["position_"][0]) - 0.3) < 1e-9:
        raise ValueError("x=0.3 is cursed")
    return float(payload["position_"][0])


class JobTestPlugin:
    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [gated, fails_on]


def _app(handmade: Path, **jobs: Any) -> Flask:
    config = Config(
        {"hand": DatabaseConfig("hand", f"sqlite:///{handmade}")},
        "hand",
        jobs=JobSettings.from_table({"heavy_mb": 0, **jobs}),
    )
    return create_app(config, beamspot_plugins(("jobtest", JobTestPlugin())))


@pytest.fixture
def app(handmade_path: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    flask_app = _app(handmade_path[0], workers=1, queue=1)
    yield flask_app
    _close(flask_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _close(flask_app: Flask) -> None:
    """Open the gates, let every job finish, then close the app."""
    _drain()
    state(flask_app).jobs.close(wait=True)
    state(flask_app).close()


def _drain() -> None:
    """Let every job waiting on the gate finish (so no thread outlives its test)."""
    OPEN.set()


@pytest.fixture(autouse=True)
def _closed_gate() -> Iterator[None]:
    while GATE.acquire(blocking=False):  # permits left over by an earlier test
        pass
    OPEN.clear()
    yield
    OPEN.set()


# -- answers checked against the OpenAPI document ------------------------------------------------

_DOC = openapi_document("test")
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:openapi", Resource.from_contents(_DOC, default_specification=DRAFT202012)
)


def _checked(response: TestResponse, template: str) -> Any:
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    documented = _DOC["paths"][template]["get"]["responses"][str(response.status_code)]
    if "$ref" in documented:
        documented = _DOC["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"][response.mimetype]["schema"]
    schema = {"$ref": "urn:openapi" + schema["$ref"]}
    document = json.loads(body)
    Draft202012Validator(schema, registry=_REGISTRY).validate(document)
    return document


def _plot(client: FlaskClient, query: str, status: int, **headers: str) -> Any:
    response = client.get(f"{API}/plots/{query}", headers=headers)
    assert response.status_code == status, response.data[:400]
    return response, _checked(response, "/api/v1/plots/{drawer}")


def _job(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.data[:400]
    assert response.headers["Cache-Control"] == "no-store"
    document: dict[str, Any] = _checked(response, "/api/v1/jobs/{ident}")
    return document["data"]


def _until(client: FlaskClient, url: str, done: int | None = None) -> dict[str, Any]:
    """Poll a job until it counts ``done`` payloads (or finishes); bounded by count, not time."""
    event = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        job = _job(client, url)
        attributes = job["attributes"]
        if (done is not None and attributes["progress"]["done"] >= done) or (
            done is None and attributes["status"] in ("done", "failed")
        ):
            return job
        event.wait(0.01)
    raise AssertionError(f"job at {url} never got there: {_job(client, url)}")


def _history(salt: int, pinned: bool = True) -> str:
    snapshot = f"&snapshot={SNAPSHOT}" if pinned else ""
    return f"jobtest.gated?db=hand&tag=BS_run&salt={salt}{snapshot}"


# -- the API ------------------------------------------------------------------------------------


def test_heavy_history_is_a_202_job_whose_progress_grows_to_done(client: FlaskClient) -> None:
    response, document = _plot(client, _history(1), 202)
    job = document["data"]
    assert response.headers["Location"] == job["links"]["self"]
    assert int(response.headers["Retry-After"]) >= 1
    request = job["attributes"]["request"]
    assert request == f"jobtest.gated?db=hand&tag=BS_run&snapshot={SNAPSHOT}&salt=1"
    assert job["id"] == job_id(request)  # the same id in every process, for good
    assert job["attributes"]["progress"] == {"done": 0, "total": 4, "unit": "payloads"}
    assert job["attributes"]["status"] in ("queued", "running")
    url = job["links"]["self"]
    seen = [0]
    for step in range(1, 5):
        GATE.release()
        progress = _until(client, url, done=step)["attributes"]["progress"]
        assert progress["done"] == step and progress["total"] == 4
        assert progress["done"] >= seen[-1]
        seen.append(progress["done"])
    job = _until(client, url)
    attributes = job["attributes"]
    assert attributes["status"] == "done" and attributes["error"] is None
    assert attributes["created"] <= attributes["started"] <= attributes["finished"]
    # The result is the plot resource, served from the rendered cache.
    web = state(client.application)
    hits = web.pinned.stats().hits
    result = client.get(job["links"]["result"])
    assert result.status_code == 200
    plot = _checked(result, "/api/v1/plots/{drawer}")["data"]["attributes"]
    assert plot["type"] == "History"
    assert web.pinned.stats().hits == hits + 1
    # Asked again, the finished plot is answered directly: nothing left to compute.
    _plot(client, _history(1), 200)


def test_the_same_request_joins_the_running_job(client: FlaskClient) -> None:
    _, first = _plot(client, _history(2), 202)
    _, again = _plot(client, _history(2), 202)
    assert again["data"]["id"] == first["data"]["id"]
    # "latest" (no snapshot) runs pinned at the time it was asked, and is joined too
    _, latest = _plot(client, _history(3, pinned=False), 202)
    assert "snapshot=" in latest["data"]["links"]["self"]
    _, latest_again = _plot(client, _history(3, pinned=False), 202)
    assert latest_again["data"]["id"] == latest["data"]["id"]
    _drain()
    assert _until(client, first["data"]["links"]["self"])["attributes"]["status"] == "done"


def test_failure_names_the_drawer_and_the_payload(
    client: FlaskClient, hashes: dict[str, str]
) -> None:
    _, document = _plot(client, "jobtest.fails_on?db=hand&tag=BS_run&snapshot=" + SNAPSHOT, 202)
    job = _until(client, document["data"]["links"]["self"])
    error = job["attributes"]["error"]
    assert job["attributes"]["status"] == "failed" and "result" not in job["links"]
    assert error["drawer"] == "jobtest.fails_on"
    assert error["payload"] == hashes["x=0.3"]
    assert error["status"] == 500 and "x=0.3 is cursed" in error["detail"]


def test_queue_full_is_a_503_with_retry_after(client: FlaskClient) -> None:
    _plot(client, _history(4), 202)  # running (one worker)
    _plot(client, _history(5), 202)  # queued (queue of one)
    response = client.get(f"{API}/plots/{_history(6)}")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    error = _checked(response, "/api/v1/plots/{drawer}")["errors"][0]
    assert error["title"] == "Too many plot jobs" and "try again" in error["detail"]


def test_clients_may_force_either_mode(client: FlaskClient) -> None:
    # a cheap single plot as a job
    response, document = _plot(
        client,
        "beamspot.parameters?db=hand&tag=BS_run&snapshot=" + SNAPSHOT,
        202,
        Prefer="respond-async",
    )
    assert response.headers["Preference-Applied"] == "respond-async"
    assert _until(client, document["data"]["links"]["self"])["attributes"]["status"] == "done"
    # a heavy history answered in the request
    GATE.release(4)
    _, plot = _plot(client, _history(7), 200, Prefer="respond-sync")
    assert plot["data"]["attributes"]["type"] == "History"


def test_any_process_can_answer_a_job_url(handmade_path: tuple[Path, dict[str, str]]) -> None:
    """Two apps share nothing, like two gunicorn workers: the job URL is enough."""
    first, second = _app(handmade_path[0]), _app(handmade_path[0])
    try:
        _, document = _plot(first.test_client(), _history(8), 202)
        url = document["data"]["links"]["self"]
        other = second.test_client()
        rejoined = _job(other, url)  # unknown in `second`: rebuilt from the URL and started
        assert rejoined["id"] == document["data"]["id"]
        _drain()
        job = _until(other, url)
        assert job["attributes"]["status"] == "done"
        assert other.get(job["links"]["result"]).status_code == 200
        # without the pinned request, or with another one, the id is not found
        ident = document["data"]["id"]
        assert other.get(f"{API}/jobs/{ident}x").status_code == 404
        wrong = url.replace("salt=8", "salt=9")
        assert other.get(wrong).status_code == 404
    finally:
        _close(first)
        _close(second)


def test_other_routes_answer_while_a_job_runs(app: Flask) -> None:
    """A real threaded server: the job holds a worker while pages and the API still answer."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_port}"
    try:
        with urllib.request.urlopen(f"{origin}{API}/plots/{_history(10)}", timeout=WAIT) as r:
            assert r.status == 202
            job_url = json.loads(r.read())["data"]["links"]["self"]
        for path in ("/", f"{API}/tags?db=hand", "/tags/BS_run", f"{API}/drawers"):
            with urllib.request.urlopen(origin + path, timeout=WAIT) as r:
                assert r.status == 200, path
        with urllib.request.urlopen(origin + job_url, timeout=WAIT) as r:
            assert json.loads(r.read())["data"]["attributes"]["status"] in ("queued", "running")
    finally:
        _drain()
        server.shutdown()
        thread.join(timeout=WAIT)
        server.server_close()


# -- the plot page ------------------------------------------------------------------------------


def test_plot_page_of_a_heavy_history_shows_progress_and_the_job(client: FlaskClient) -> None:
    page = client.get(f"/plot/{_history(11)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-job-url="/api/v1/jobs/' in html
    assert "0 / 4 payloads" in html and "<progress" in html
    assert "<script>" not in html  # CSP: no inline script
    _drain()


def test_plot_page_of_a_cached_history_draws_directly(client: FlaskClient) -> None:
    GATE.release(4)
    client.get(f"{API}/plots/{_history(12)}", headers={"Prefer": "respond-sync"})
    html = client.get(f"/plot/{_history(12)}").get_data(as_text=True)
    assert "data-job-url" not in html and "data-item-url" in html
