"""A failing drawer fails only its own plot — seen through the web app, not just the engine.

The engine tests (``tests/unit/inspector/engine/test_engine.py``) show that
each kind of failure becomes a :class:`~inspector.errors.DrawerError`.  What a
user meets is the web app, so here every kind of failing drawer — raising,
returning the wrong type, building an inconsistent plot, running past its
time limit, asking for an impossible amount of memory — is requested through
the API, the plot page and an export, and must answer a 500-class JSON:API
error (API) or a readable page (elsewhere) naming the drawer, never a
traceback; right after it, and *while* a slow drawer is still running, good
drawers answer 200.

The time limit comes from the ``[engine]`` table of a real configuration
file, the same path ``inspector serve`` takes, so this also proves the limit
is configurable end to end.
"""

from __future__ import annotations

import html
import itertools
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from inspector.cli.main import cli
from inspector.config import load_config
from inspector.drawers import Drawer, Param, drawer
from inspector.engine import EngineSettings
from inspector.payload import DecodedPayload, builtin_schema_dir
from inspector.plots import Histogram1D, Table
from inspector.plugin import hookimpl, load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

#: The engine-wide limit set in the test configuration (seconds).
CONFIGURED_LIMIT: Final = 0.5
#: The limit one drawer declares for itself, which wins over the configured one.
OWN_LIMIT: Final = 0.25
#: Far more than any machine can map (8 PB): numpy raises MemoryError at once,
#: without touching memory, whatever the kernel's overcommit policy.
IMPOSSIBLE: Final = 10**15


class _Gate:
    """Holds slow drawers until the test lets them go (no sleeping on a clock).

    A thread that ran past its limit cannot be killed in Python; it keeps its
    worker until it returns.  Releasing the gate after each request gives the
    worker back, so one test's slow drawer never starves the next test.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self.started = threading.Event()

    def wait(self) -> None:
        with self._lock:
            event = self._event
        self.started.set()
        event.wait(timeout=60)

    def release(self) -> None:
        with self._lock:
            self._event.set()
            self._event = threading.Event()
        self.started.clear()


GATE: Final = _Gate()


#: ``n`` only makes each request for a good plot new to every cache, so the
#: drawer really runs on the worker pool after each failure (a cached plot
#: would answer 200 even if the pool were broken).
FRESH: Final = Param.int("n", 0, minimum=0)
_fresh = itertools.count(1)


@drawer("iso.good", title="Good", payload_types="BeamSpotObjects", kind="single", params=[FRESH])
def good(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """The beam spot x in a one-row table."""
    return Table(title="good", columns={"x": np.array([float(payload["position_"][0])])})


@drawer(
    "iso.good_history", title="x", payload_types="BeamSpotObjects", kind="history", params=[FRESH]
)
def good_history(payload: DecodedPayload, params: Mapping[str, Any]) -> float:
    """The beam spot x, per IOV."""
    return float(payload["position_"][0])


@drawer("iso.raises", title="Raises", payload_types="BeamSpotObjects", kind="single")
def raises(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """A bug in the plugin."""
    raise RuntimeError("the calibration is upside down")


@drawer("iso.wrong_type", title="Wrong type", payload_types="BeamSpotObjects", kind="single")
def wrong_type(payload: DecodedPayload, params: Mapping[str, Any]) -> Any:
    """Returns a dict instead of a plot object."""
    return {"not": "a plot"}


@drawer("iso.inconsistent", title="Inconsistent", payload_types="BeamSpotObjects", kind="single")
def inconsistent(payload: DecodedPayload, params: Mapping[str, Any]) -> Histogram1D:
    """Five edges, seven counts."""
    return Histogram1D(edges=np.arange(5.0), counts=np.ones(7))


@drawer("iso.slow", title="Slow", payload_types="BeamSpotObjects", kind="single")
def slow(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Runs until released: past the configured limit."""
    GATE.wait()
    return Table(columns={"x": np.zeros(1)})


@drawer(
    "iso.slow_own_limit",
    title="Slow, own limit",
    payload_types="BeamSpotObjects",
    kind="single",
    timeout=OWN_LIMIT,
)
def slow_own_limit(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Runs until released: past its own, shorter limit."""
    GATE.wait()
    return Table(columns={"x": np.zeros(1)})


@drawer("iso.exits", title="Exits", payload_types="BeamSpotObjects", kind="single")
def exits(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """What a plugin that parses arguments with argparse may do on a bad value."""
    raise SystemExit(2)


@drawer("iso.huge", title="Huge", payload_types="BeamSpotObjects", kind="single")
def huge(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Asks for 8 PB."""
    return Table(columns={"x": np.empty(IMPOSSIBLE)})


@drawer("iso.huge_history", title="Huge history", payload_types="BeamSpotObjects", kind="history")
def huge_history(payload: DecodedPayload, params: Mapping[str, Any]) -> float:
    """Asks for 8 PB on every payload."""
    return float(np.empty(IMPOSSIBLE).sum())


class IsolationPlugin:
    """The good and the bad drawers above, with the built-in payload schemas."""

    @hookimpl
    def register_payload_schemas(self) -> list[Path]:
        return [builtin_schema_dir()]

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [
            good,
            good_history,
            raises,
            wrong_type,
            inconsistent,
            slow,
            slow_own_limit,
            huge,
            huge_history,
            exits,
        ]


#: Each failing drawer and words its error must contain.
FAILURES: Final = {
    "iso.raises": "RuntimeError: the calibration is upside down",
    "iso.wrong_type": "returned dict, not a plot object",
    "iso.inconsistent": "Histogram1D",
    "iso.slow": f"ran past its time limit of {CONFIGURED_LIMIT:g} s",
    "iso.slow_own_limit": f"ran past its time limit of {OWN_LIMIT:g} s",
    "iso.huge": "MemoryError: Unable to allocate",
    "iso.huge_history": "MemoryError: Unable to allocate",
}

#: Signs of a leaked traceback or debugger in a body.
LEAKS: Final = ("Traceback", 'File "', "Werkzeug Debugger", "__debugger__")


def _config_file(tmp_path: Path, database: Path) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(
        f'[databases.hand]\npath = "{database}"\n'
        f"[engine]\ndrawer_timeout = {CONFIGURED_LIMIT}\nworkers = 4\ndecoded_cache_mb = 16\n"
    )
    return path


@pytest.fixture(scope="module")
def app(
    handmade_path: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The app built as ``inspector serve`` builds it: no settings, only the config file."""
    config = load_config(_config_file(tmp_path_factory.mktemp("iso"), handmade_path[0]))
    plugins = load_plugins(entry_points=False, extra=[("iso", IsolationPlugin())])
    flask_app = create_app(config, plugins)
    yield flask_app
    GATE.release()
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield app.test_client()
    GATE.release()


def _body(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _no_leak(response: TestResponse) -> None:
    body = _body(response)
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} in {body[:500]}"


def _api_error(client: FlaskClient, path: str) -> dict[str, Any]:
    """The one JSON:API error of a failing API request, checked for shape and leaks."""
    response = client.get(path)
    GATE.release()
    assert 500 <= response.status_code < 600, (path, response.status_code, _body(response)[:300])
    assert response.mimetype == "application/vnd.api+json"
    _no_leak(response)
    errors = json.loads(response.data)["errors"]
    assert len(errors) == 1 and errors[0]["status"] == str(response.status_code)
    error: dict[str, Any] = errors[0]
    return error


def _page_error(client: FlaskClient, path: str) -> str:
    """The text of a failing HTML page, checked for status and leaks."""
    response = client.get(path)
    GATE.release()
    assert 500 <= response.status_code < 600, (path, response.status_code)
    assert response.mimetype == "text/html"
    _no_leak(response)
    return html.unescape(_body(response))


def _good_plots_answer(client: FlaskClient) -> None:
    """Good drawers still run and answer, through the API, the page and an export."""
    for name in ("iso.good", "iso.good_history"):
        for path in (f"/api/v1/plots/{name}", f"/plot/{name}", f"/plot/{name}/export.csv"):
            response = client.get(f"{path}?tag=BS_run&n={next(_fresh)}")
            assert response.status_code == 200, (path, _body(response)[:300])


def test_the_configured_limit_reaches_the_engine(app: Flask) -> None:
    """``[engine]`` in the file, no settings in code: the engine uses the file's values."""
    settings = state(app).engine.settings
    assert settings == EngineSettings(
        drawer_timeout=CONFIGURED_LIMIT, workers=4, decoded_cache_bytes=16 << 20
    )


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_a_failing_drawer_fails_only_its_own_plot(client: FlaskClient, name: str) -> None:
    """500 naming the drawer and the cause on every edge; good plots answer right after."""
    cause = FAILURES[name]
    error = _api_error(client, f"/api/v1/plots/{name}?tag=BS_run")
    assert error["title"] == "Drawer failed"
    assert f"drawer '{name}' failed" in error["detail"] and cause in error["detail"]
    text = _page_error(client, f"/plot/{name}?tag=BS_run")
    assert "Drawer failed" in text and f"'{name}'" in text and cause in text
    # a .json resource answers a JSON:API error, as the API does (a script reads it)
    exported = _api_error(client, f"/plot/{name}/export.json?tag=BS_run")
    assert exported["title"] == "Drawer failed" and cause in exported["detail"]
    _good_plots_answer(client)


def test_a_history_drawer_failure_names_the_payload(
    client: FlaskClient, hashes: dict[str, str]
) -> None:
    """In a history the error also says which payload the drawer choked on."""
    detail = _api_error(client, "/api/v1/plots/iso.huge_history?tag=BS_run")["detail"]
    assert any(f"on payload {h}" in detail for h in hashes.values()), detail


def test_good_plots_answer_while_a_slow_drawer_is_still_running(client: FlaskClient) -> None:
    """Isolation in time: a drawer stuck in its worker holds nothing other plots need.

    The slow drawer cannot return before the gate opens, and the gate opens
    only after the good plots have answered: so they answered while it ran.
    """
    outcome: dict[str, TestResponse] = {}

    def slow_request() -> None:
        outcome["slow"] = client.application.test_client().get("/api/v1/plots/iso.slow?tag=BS_run")

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert GATE.started.wait(timeout=10), "the slow drawer never started"
    _good_plots_answer(client)
    thread.join(timeout=10)
    GATE.release()
    assert outcome["slow"].status_code == 500
    assert FAILURES["iso.slow"] in json.loads(outcome["slow"].data)["errors"][0]["detail"]


def test_inspector_serve_builds_the_engine_from_the_config_file(
    tmp_path: Path, handmade_path: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``inspector serve --config FILE`` passes the ``[engine]`` table on to the app."""
    served: dict[str, Any] = {}

    def run_server(factory: Callable[[], Flask], options: Any) -> None:
        served["app"] = factory()  # what each gunicorn worker builds after the fork
        served["options"] = options

    monkeypatch.setattr("inspector.cli.serve.run_server", run_server)
    config = _config_file(tmp_path, handmade_path[0])
    result = CliRunner().invoke(cli, ["--config", str(config), "serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    flask_app: Flask = served["app"]
    try:
        assert state(flask_app).engine.settings.drawer_timeout == CONFIGURED_LIMIT
        assert state(flask_app).engine.settings.workers == 4
    finally:
        state(flask_app).close()


# -- drawers that exit or hang past their limit (fixed in inspector/engine/engine.py) ----------


def test_a_drawer_calling_sys_exit_fails_only_its_plot(client: FlaskClient) -> None:
    """``SystemExit`` from plugin code is the plugin's failure, not the server's."""
    error = _api_error(client, "/api/v1/plots/iso.exits?tag=BS_run")
    assert "'iso.exits'" in error["detail"]
    _good_plots_answer(client)


def test_drawers_past_their_limit_do_not_starve_good_ones(
    handmade_path: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """One worker, held by a drawer that ran past its limit: the next good plot still answers."""
    config = load_config(_config_file(tmp_path, handmade_path[0]))
    plugins = load_plugins(entry_points=False, extra=[("iso", IsolationPlugin())])
    flask_app = create_app(config, plugins, settings=EngineSettings(drawer_timeout=0.3, workers=1))
    client = flask_app.test_client()
    try:
        assert client.get("/api/v1/plots/iso.slow?tag=BS_run").status_code == 500
        response = client.get("/api/v1/plots/iso.good?tag=BS_run")
        assert response.status_code == 200, response.get_data(as_text=True)
    finally:
        GATE.release()
        state(flask_app).close()
