"""What a hostile request can and cannot do to the server.

- The database is chosen **only among configured aliases**: a path, a URL or
  a relative name in ``db=`` is an unknown alias (404 naming it), never opened.
- **No path traversal** through any route: every route of the app's URL map
  (so a route added later is covered without editing this file) is asked
  with ``..`` in each of its variables, encoded every usual way.
- Filters reach SQL **only as bound parameters**: injection strings in tag
  search, names and filters give ordinary empty answers, and the SQL that
  ``search_tags`` executes carries the pattern as a parameter, not as text.
- Every answer carries a Content-Security-Policy that allows the app's own
  origin only, and ``X-Content-Type-Options: nosniff``; bodies and URLs that
  are too large get 405/413 and 414/400, never a 500.
- ``inspector serve`` never runs in debug mode, even with ``FLASK_DEBUG=1``
  in its environment, and an unexpected error shows no traceback.

Cross-site scripting is tested in a real browser: ``tests/browser/test_browser_security.py``.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.routing import Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import TestResponse

from inspector.cli.main import cli
from inspector.conddb import ConditionsDB
from inspector.config import Config, DatabaseConfig
from inspector.jobs import job_id
from inspector.plugin import Plugins, load_plugins
from inspector.web.app import create_app
from inspector.web.assets import BOKEH_VERSION
from inspector.web.state import state

#: Signs that a file outside the served folders leaked, or that code did.
LEAKS: Final = ("root:x:0:", "from __future__", "import ", "Traceback", "Werkzeug Debugger")


def _build_app(database: Path, plugins: Plugins) -> Flask:
    config = Config({"hand": DatabaseConfig("hand", f"sqlite:///{database}")}, "hand")
    return create_app(config, plugins)


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return load_plugins()


@pytest.fixture(scope="module")
def app(handmade_path: tuple[Path, dict[str, str]], plugins: Plugins) -> Iterator[Flask]:
    flask_app = _build_app(handmade_path[0], plugins)
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _open(client: FlaskClient, url: str, method: str, **kwargs: Any) -> TestResponse:
    """A request whose answer is read whole and closed (file answers hold a file open)."""
    return client.open(url, method=method, buffered=True, **kwargs)


def _get(client: FlaskClient, url: str, **kwargs: Any) -> TestResponse:
    return _open(client, url, "GET", **kwargs)


def _text(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def _no_leak(response: TestResponse) -> None:
    body = _text(response)
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} in the answer: {body[:300]}"


# -- the URL map: one valid URL per route, and its variables ----------------------------------

_VARIABLE: Final = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

#: A pinned plot request (a job URL carries one, so any process can answer it).
_PINNED: Final = "db=hand&tag=BS_run&snapshot=2025-01-01T00:00:00Z"

#: A valid value for each variable, by endpoint then by name, so that a
#: traversal attempt in one variable reaches the code that handles it (a
#: wrong Bokeh version would stop the request before the file name is read).
_VALID: Final[dict[str, str]] = {
    "static.filename": "inspector.css",
    "assets.bokeh_js.version": BOKEH_VERSION,
    "assets.bokeh_js.name": "bokeh.min.js",
    "assets.geometry.name": "bpix_layer1",
    "assets.geometry.digest": "DIGEST",  # replaced by the app's own digest
    "pages.plot_export.fmt": "csv",
    "api.get_drawer.name": "beamspot.position_x",
    "pages.drawer_page.name": "beamspot.position_x",
    "api.get_global_tag.name": "GT_v1",
    "pages.global_tag_page.name": "GT_v1",
    "drawer": "beamspot.position_x",
    "name": "BS_run",
    "payload_hash": "HASH",  # replaced by a real payload hash
    "api.get_job.ident": job_id(f"beamspot.position_x?{_PINNED}"),
    "number": "101",  # a run of the hand-built database
}

#: Query strings a route needs to answer 200 (plots need a tag).
_QUERY: Final[dict[str, str]] = {
    "pages.plot_page": "tag=BS_run",
    "pages.plot_item": "tag=BS_run",
    "pages.plot_values": "tag=BS_run",
    "pages.plot_check": "tag=BS_run",
    "pages.plot_export": "tag=BS_run",
    "api.plot_resource": "tag=BS_run",
    "api.get_job": f"drawer=beamspot.position_x&{_PINNED}",
    "api.diff_tags": "a=BS_run&b=BS_run",
    "api.diff_global_tags": "a=GT_v1&b=GT_v2",
    "diffs.tag_diff_page": "a=BS_run&b=BS_run",
    "diffs.global_tag_diff_page": "a=GT_v1&b=GT_v2",
    "api.run_readiness": "globaltag=GT_v1",
}


def _rules() -> list[Rule]:
    """Every GET route of a freshly built app (no database is opened to list them)."""
    probe = _build_app(Path("/nonexistent/never-opened.sqlite"), load_plugins())
    try:
        return sorted(
            (r for r in probe.url_map.iter_rules() if "GET" in (r.methods or ())),
            key=lambda r: r.rule,
        )
    finally:
        state(probe).close()


RULES: Final = _rules()


def _valid_value(rule: Rule, variable: str, app: Flask, hashes: dict[str, str]) -> str:
    value = _VALID.get(f"{rule.endpoint}.{variable}") or _VALID.get(variable)
    if value is None:
        pytest.fail(f"route {rule.rule}: give a valid value for <{variable}> in _VALID")
    if value == "DIGEST":
        return state(app).geometry_url("bpix_layer1").rsplit(".", 2)[1]
    if value == "HASH":
        return hashes["x=0.1"]
    return value


def _url(
    rule: Rule, app: Flask, hashes: dict[str, str], replace: tuple[str, str] | None = None
) -> str:
    """The rule's URL with valid values, or with ``replace = (variable, raw text)``."""

    def fill(match: re.Match[str]) -> str:
        variable = match.group(1)
        if replace is not None and variable == replace[0]:
            return replace[1]
        return quote(_valid_value(rule, variable, app, hashes), safe="")

    path = _VARIABLE.sub(fill, rule.rule)
    query = _QUERY.get(rule.endpoint)
    return f"{path}?{query}" if query else path


def _rule_id(rule: Rule) -> str:
    return rule.rule


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_every_route_has_a_working_example(
    client: FlaskClient, app: Flask, hashes: dict[str, str], rule: Rule
) -> None:
    """The valid URLs are really valid, so the attacks below reach the code under test."""
    response = _get(client, _url(rule, app, hashes))
    assert response.status_code == 200, (rule.rule, _text(response)[:300])


# -- (2) aliases only ----------------------------------------------------------------------------

HOSTILE_ALIASES: Final = (
    "/etc/passwd",
    "sqlite:////tmp/x",
    "../x",
    "..%2f..%2fhandmade.sqlite",
    "postgresql://attacker.example.org/db",
    "HAND",
)

DB_ROUTES: Final = (
    "/",
    "/tags/BS_run",
    "/tags/BS_run/timeline.json",
    "/globaltags",
    "/globaltags/GT_v1",
    "/plot/beamspot.position_x?tag=BS_run",
    "/plot/beamspot.position_x/item.json?tag=BS_run",
    "/plot/beamspot.position_x/export.csv?tag=BS_run",
    "/api/v1/tags",
    "/api/v1/tags/BS_run",
    "/api/v1/tags/BS_run/iovs",
    "/api/v1/drawers",
    "/api/v1/drawers/beamspot.position_x",
    "/api/v1/plots/beamspot.position_x?tag=BS_run",
    "/api/v1/globaltags",
    "/api/v1/globaltags/GT_v1",
    "/api/v1/runs",
)


@pytest.mark.parametrize("alias", HOSTILE_ALIASES)
def test_the_database_is_chosen_only_among_configured_aliases(
    client: FlaskClient, handmade_path: tuple[Path, dict[str, str]], alias: str
) -> None:
    """A path, URL or relative name is an unknown alias: 404 naming it, nothing opened."""
    routes = (*DB_ROUTES, f"/api/v1/payloads/{handmade_path[1]['x=0.1']}")
    for route in routes:
        joiner = "&" if "?" in route else "?"
        response = _get(client, f"{route}{joiner}db={quote(alias, safe='')}")
        assert response.status_code == 404, (route, alias, response.status_code)
        body = _text(response)
        assert f"unknown database alias {alias!r} (configured: hand)" in body, (route, body[:300])
        _no_leak(response)
    databases = state(client.application).engine._databases  # what the engine ever opened
    assert set(databases) == {"hand"}


def test_the_path_of_a_real_database_is_not_an_alias(
    client: FlaskClient, handmade_path: tuple[Path, dict[str, str]]
) -> None:
    """Even the configured file, named by its path or URL, is not accepted."""
    for alias in (str(handmade_path[0]), f"sqlite:///{handmade_path[0]}"):
        response = _get(client, f"/api/v1/tags?db={quote(alias, safe='')}")
        assert response.status_code == 404
        assert "unknown database alias" in _text(response)


# -- (3) no path traversal -------------------------------------------------------------------

TRAVERSALS: Final = (
    "..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "../../../../../etc/passwd",
    "%2e%2e%2f%2e%2e%2fapp.py",
    "..%2fapp.py",
    "..%5c..%5capp.py",
    "%252e%252e%252fapp.py",
    "....%2f%2f....%2f%2fetc%2fpasswd",
    "..%00%2fapp.py",
    "%2fetc%2fpasswd",
)


def _traversal_cases() -> list[Any]:
    cases = []
    for rule in RULES:
        variables = _VARIABLE.findall(rule.rule) or [""]  # "" : appended to a fixed path
        for variable in variables:
            for attack in TRAVERSALS:
                label = f"{rule.rule}|{variable or 'suffix'}|{attack}"
                cases.append(pytest.param(rule, variable, attack, id=label))
    return cases


@pytest.mark.parametrize(("rule", "variable", "attack"), _traversal_cases())
def test_no_path_traversal_in_any_route(
    client: FlaskClient,
    app: Flask,
    hashes: dict[str, str],
    rule: Rule,
    variable: str,
    attack: str,
) -> None:
    """``..`` in any variable of any route is a 4xx without file contents, never a 500.

    Redirects are followed: Werkzeug merges doubled slashes with a 308 to the
    same site, which is harmless, but the page it leads to must be a 4xx too.
    """
    if variable:
        url = _url(rule, app, hashes, replace=(variable, attack))
    else:
        url = rule.rule.rstrip("/") + "/" + attack
    response = _get(client, url, follow_redirects=True)
    assert 400 <= response.status_code < 500, (url, response.status_code, _text(response)[:200])
    _no_leak(response)


# -- (4) SQL only through bound parameters ---------------------------------------------------

INJECTIONS: Final = (
    "' OR '1'='1",
    "x' OR 1=1 --",
    '"; DROP TABLE tag; --',
    "') UNION SELECT name, name, name, name, name, name, name, name, name FROM tag --",
    "%' AND 1=1 AND '%'='",
    "\\' OR 1=1 /*",
    "BS_run'; DELETE FROM iov; --",
)


@pytest.mark.parametrize("injection", INJECTIONS)
def test_injection_strings_are_just_names_that_match_nothing(
    client: FlaskClient, injection: str
) -> None:
    """Ordinary empty answers (200 with none, or 404 for one named thing); the data stays."""
    q = quote(injection, safe="")
    for url in (
        f"/api/v1/tags?filter[name]={q}",
        f"/api/v1/tags?filter[object_type]={q}",
        f"/api/v1/globaltags?filter[name]={q}",
    ):
        response = _get(client, url)
        assert response.status_code == 200, url
        assert json.loads(response.data)["meta"]["total"] == 0, url
    for url, count in (
        (f"/?q={q}", "0 tags"),
        (f"/?object_type={q}", "0 tags"),
        (f"/globaltags?q={q}", "0 global tags"),
    ):
        response = _get(client, url)
        assert response.status_code == 200, url
        assert f'<p class="count">{count}' in response.get_data(as_text=True), url
    for url in (
        f"/api/v1/tags/{q}",
        f"/api/v1/tags/{q}/iovs",
        f"/api/v1/globaltags/{q}",
        f"/tags/{q}",
        f"/globaltags/{q}",
        f"/plot/beamspot.position_x?tag={q}",
        f"/api/v1/plots/beamspot.position_x?tag={q}",
    ):
        response = _get(client, url)
        if "/" in injection and url.startswith("/api/v1/") and "?" not in url:
            assert response.status_code == 404, url  # a slash is not in a name: no route
        else:
            assert response.status_code == 404, (url, _text(response)[:200])
            assert "does not exist" in _text(response), url
    for url in (f"/api/v1/tags?sort={q}", f"/api/v1/tags?filter[time_type]={q}"):
        assert _get(client, url).status_code == 400, url  # whitelisted values only
    assert json.loads(_get(client, "/api/v1/tags").data)["meta"]["total"] == 4


def test_search_tags_sends_the_pattern_as_a_bound_parameter(handmade_db: ConditionsDB) -> None:
    """The SQL text never contains user input; the pattern travels as a parameter."""
    executed: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        executed.append((statement, parameters))

    event.listen(handmade_db.engine, "before_cursor_execute", record)
    try:
        injection = "x' OR 1=1 --"
        page = handmade_db.search_tags(injection, object_type=injection)
    finally:
        event.remove(handmade_db.engine, "before_cursor_execute", record)
    assert page.total == 0 and page.items == []
    searches = [(sql, params) for sql, params in executed if "FROM tag" in sql]
    assert len(searches) == 2  # the count, then the page
    bound = r"(\?|%\(\w+\)s(::VARCHAR)?)"  # SQLite's qmark, psycopg's pyformat
    for sql, params in searches:
        assert "OR 1=1" not in sql and "x'" not in sql
        assert re.search(rf"lower\(tag\.name\) LIKE {bound} ESCAPE '\\'", sql), sql
        assert re.search(rf"tag\.object_type = {bound}", sql), sql
        values = list(params.values()) if isinstance(params, dict) else list(params)
        assert "%x' or 1=1 --%" in values and injection in values  # lower-cased pattern


# -- (5) headers and size limits on every route ----------------------------------------------

#: What the policy may allow: this origin, nothing, data: images, and the
#: two relaxations BokehJS needs ('unsafe-eval' for its formatters,
#: 'unsafe-inline' styles for its widgets).  No host, no scheme, no wildcard.
ALLOWED_SOURCES: Final = frozenset(
    {"'self'", "'none'", "'unsafe-eval'", "'unsafe-inline'", "data:"}
)


def _check_headers(response: TestResponse, url: str) -> None:
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {
        parts[0]: parts[1:] for parts in (d.split() for d in policy.split(";") if d.strip())
    }
    assert directives.get("default-src") == ["'self'"], (url, policy)
    for name, sources in directives.items():
        assert set(sources) <= ALLOWED_SOURCES, (url, name, sources)
    assert directives.get("object-src") == ["'none'"], policy
    assert "'unsafe-inline'" not in directives.get("script-src", []), policy


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_every_answer_has_csp_and_nosniff(
    client: FlaskClient, app: Flask, hashes: dict[str, str], rule: Rule
) -> None:
    """On the page itself, on its errors, and on refused methods and bodies."""
    url = _url(rule, app, hashes)
    _check_headers(_get(client, url), url)
    _check_headers(_get(client, url + ("&" if "?" in url else "?") + "db=nope"), url)
    _check_headers(_open(client, url, "POST", data=b"x"), url)
    _check_headers(_get(client, "/no/such/page"), "/no/such/page")


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_large_bodies_and_other_methods_are_refused(
    client: FlaskClient, app: Flask, hashes: dict[str, str], rule: Rule
) -> None:
    """Other methods are refused: a 1 MiB body with POST/PUT/PATCH/DELETE is 405 (or 413).

    The one collection that takes POST (``/api/v1/annotations``) refuses the
    oversized body with 413 before looking at anything else.
    """
    url = _url(rule, app, hashes)
    body = b"x" * (1 << 20)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = _open(client, url, method, data=body)
        assert response.status_code in (405, 413), (method, url, response.status_code)
        _no_leak(response)
    # A GET that carries a body anyway: the body is never read, the answer is ordinary.
    assert _get(client, url, data=body).status_code < 500


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_long_parameters_are_refused_not_crashed_on(
    client: FlaskClient, app: Flask, hashes: dict[str, str], rule: Rule
) -> None:
    """10 kB values in every name a route reads: 400 or 404 (or ignored), never a 5xx."""
    url = _url(rule, app, hashes)
    joiner = "&" if "?" in url else "?"
    long = "a" * 10_000
    for name in ("q", "db", "tag", "filter[name]", "page", "iov", "snapshot"):
        response = _get(client, f"{url}{joiner}{name}={long}")
        assert response.status_code < 500, (url, name, response.status_code)
        _no_leak(response)


def test_a_search_longer_than_sqlite_accepts_is_a_400_not_an_outage(client: FlaskClient) -> None:
    """SQLite refuses LIKE patterns over 50,000 bytes; that once read as "database unavailable"."""
    long = "a" * 60_000
    for url in (f"/?q={long}", f"/globaltags?q={long}"):
        response = _get(client, url)
        assert response.status_code == 400, (url[:30], response.status_code)
        assert "longer than 500 characters" in _text(response)


@pytest.fixture(scope="module")
def live(app: Flask) -> Iterator[tuple[str, int]]:
    """The app on loopback behind Werkzeug's HTTP server, as ``inspector serve`` runs it."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="security-test-server")
    thread.start()
    try:
        yield "127.0.0.1", server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_a_url_too_long_is_414(
    live: tuple[str, int], app: Flask, hashes: dict[str, str], rule: Rule
) -> None:
    """Beyond 64 KiB the server refuses the request line itself, before any route runs."""
    url = _url(rule, app, hashes)
    joiner = "&" if "?" in url else "?"
    connection = http.client.HTTPConnection(*live, timeout=10)
    try:
        connection.request("GET", f"{url}{joiner}q={'a' * 70_000}")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status in (400, 414), response.status


# -- (6) never in debug mode ---------------------------------------------------------------------


def test_inspector_serve_never_runs_in_debug_mode(
    tmp_path: Path, handmade_path: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not even with FLASK_DEBUG=1 inherited from a developer's shell.

    Flask reads ``FLASK_DEBUG`` when the app object is created; ``inspector
    serve`` turns debug off afterwards in the app each gunicorn worker builds
    (gunicorn has no debugger or reloader to start), so an unexpected error
    is a plain 500 page.
    """
    served: dict[str, Any] = {}

    def run_server(factory: Callable[[], Flask], options: Any) -> None:
        served["app"], served["options"] = factory(), options

    monkeypatch.setattr("inspector.cli.serve.run_server", run_server)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    config = tmp_path / "inspector.toml"
    config.write_text(f'[databases.hand]\npath = "{handmade_path[0]}"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "serve"])
    assert result.exit_code == 0, result.output
    flask_app: Flask = served["app"]
    try:
        assert flask_app.debug is False

        def boom() -> str:
            raise RuntimeError("secret internals /etc/shadow")

        flask_app.add_url_rule("/boom", view_func=boom)
        response = _get(flask_app.test_client(), "/boom")
        assert response.status_code == 500
        body = _text(response)
        assert "secret internals" not in body and "Traceback" not in body
        assert "Werkzeug Debugger" not in body and "__debugger__" not in body
    finally:
        state(flask_app).close()
