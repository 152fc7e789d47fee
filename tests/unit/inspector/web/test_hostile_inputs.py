"""No input is a 500: every route of the app × hostile values, and hypothesis over the numbers.

The walk iterates ``app.url_map`` (so a new route is walked the day it is
added), fills each path variable with a real value of the small demo
database (a tag, a drawer, a run, a payload hash ...), and sends every
hostile value of :data:`HOSTILE` in each query argument the route reads,
one argument at a time, the others left valid: the API routes' arguments
are the parameters their OpenAPI operation declares, a page's are those of
the API route it shows (:data:`PAGE_SIBLINGS`) plus its own
(:data:`PAGE_ARGS`).  Path variables get the hostile values too, and the
note forms (form fields and JSON:API bodies) get them in every field.

A 4xx naming the argument, or a clamped answer, are both fine: the one
thing asserted is that no answer is a 5xx.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from inspector import __version__
from inspector.annotations.settings import parse_auth_table
from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.jsonapi import MEDIA_TYPE
from inspector.web.openapi import openapi_document
from inspector.web.state import state
from inspector.web_settings import WebSettings

TOKEN: Final = "hostile-token-0123456789"
BEARER: Final = {"Authorization": f"Bearer {TOKEN}"}
DOC: Final = openapi_document(__version__)

#: What an attacker types: infinities, NaN, the edges of 64-bit integers, huge and
#: negative numbers, empty text, a NUL, a lone surrogate (as its UTF-8-like bytes
#: in URLs, as itself where the encoding allows: JSON), and very long text.
HOSTILE: Final = (
    "inf",
    "-inf",
    "nan",
    str(2**63),
    str(2**64),
    "-1",
    str(10**30),
    "1e999",
    "",
    "%00",
    "\x00",
    "\ud800",
    "379058:" + str(2**40),
    "9" * 400,
    "x" * 5000,
)

#: Real values of the demo database for each path variable (by endpoint, then by name).
LUMI_TAG: Final = "BeamSpotObjects_PCL_byLumi_v1"
RUN_TAG: Final = "BeamSpotObjects_Express_byRun_v1"
RUN: Final = "379058"
GLOBAL_TAG: Final = "140X_dataRun3_Prompt_v1"
HISTORY: Final = "beamspot.position_x"

#: Valid arguments a route needs to reach its interesting code (each is replaced in turn).
BASE_ARGS: Final[dict[str, dict[str, str]]] = {
    "api.plot_resource": {"tag": LUMI_TAG},
    "pages.plot_page": {"tag": LUMI_TAG},
    "pages.plot_item": {"tag": LUMI_TAG},
    "pages.plot_export": {"tag": LUMI_TAG},
    "api.diff_tags": {"a": LUMI_TAG, "b": LUMI_TAG},
    "diffs.tag_diff_page": {"a": RUN_TAG, "b": "BeamSpotObjects_HLT_byRun_v1"},
    "api.diff_global_tags": {"a": GLOBAL_TAG, "b": "140X_dataRun3_Prompt_v2"},
    "diffs.global_tag_diff_page": {"a": GLOBAL_TAG, "b": "140X_dataRun3_Prompt_v2"},
    "api.list_annotations": {"filter[tag]": LUMI_TAG},
    "api.run_readiness": {"globaltag": GLOBAL_TAG},
    "runs_pages.run_page": {"globaltag": GLOBAL_TAG},
}

#: The API route whose parameters a page reads under the same names.
PAGE_SIBLINGS: Final = {
    "pages.home": "api.list_tags",
    "pages.tag_page": "api.list_iovs",
    "pages.tag_timeline": "api.list_iovs",
    "pages.plot_page": "api.plot_resource",
    "pages.plot_item": "api.plot_resource",
    "pages.plot_export": "api.plot_resource",
    "diffs.tag_diff_page": "api.diff_tags",
    "diffs.global_tag_diff_page": "api.diff_global_tags",
    "pages.global_tags_page": "api.list_global_tags",
    "pages.global_tag_page": "api.get_global_tag",
    "pages.payload_page": "api.get_payload",
    "runs_pages.runs_page": "api.list_runs",
    "runs_pages.run_page": "api.run_readiness",
    "runs_pages.readiness_page": "api.list_readiness",
}
#: Names pages read that their API sibling spells otherwise (plain HTML forms).
PAGE_ARGS: Final = (
    "q",
    "page",
    "all",
    "object_type",
    "time_type",
    "globaltag",
    "since",
    "until",
    "ready",
)
#: Arguments of the routes outside the API and the pages (health, metrics, assets).
OTHER_ARGS: Final = ("db", "since", "until", "page")


def _api_operations() -> dict[str, list[str]]:
    """Flask endpoint → the query parameter names its OpenAPI operation declares."""
    refs = DOC["components"].get("parameters", {})
    out: dict[str, list[str]] = {}
    for ops in DOC["paths"].values():
        for op in ops.values():
            names = []
            for parameter in op.get("parameters", []):
                if "$ref" in parameter:
                    parameter = refs[parameter["$ref"].rsplit("/", 1)[1]]
                if parameter["in"] == "query" and parameter["name"] != "drawer_parameters":
                    names.append(parameter["name"])
            out["api." + op["operationId"]] = names
    return out


@pytest.fixture(scope="module")
def app(demo_path: Path) -> Iterator[Flask]:
    auth = parse_auth_table(
        {"tokens": {"eve": "sha256:" + hashlib.sha256(TOKEN.encode()).hexdigest()}}, "test"
    )
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo", auth=auth)
    flask_app = create_app(config, load_plugins())
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def path_values(app: Flask) -> dict[str, str]:
    """A real value for each path variable, by name (``name`` depends on the endpoint)."""
    payload = app.test_client().get(f"/api/v1/tags/{RUN_TAG}/iovs").get_json()
    return {
        "drawer": HISTORY,
        "number": RUN,
        "payload_hash": payload["data"][0]["attributes"]["payload_hash"],
        "ident": "0" * 16,
        "fmt": "csv",
        "filename": "inspector.css",
        "digest": "0" * 12,
        "version": "0",
    }


def _name_for(endpoint: str) -> str:
    if "global_tag" in endpoint:
        return GLOBAL_TAG
    if "drawer" in endpoint:
        return HISTORY
    if "geometry" in endpoint:
        return "tracker"
    if "bokeh" in endpoint:
        return "bokeh.min.js"
    return LUMI_TAG


def _routes(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in (r.methods or ())),
        key=lambda r: r.rule,
    )


def _arg_names(endpoint: str, operations: dict[str, list[str]]) -> tuple[str, ...]:
    if endpoint in operations:
        return tuple(operations[endpoint])
    sibling = PAGE_SIBLINGS.get(endpoint)
    if sibling is not None:
        return tuple(dict.fromkeys([*operations[sibling], *PAGE_ARGS]))
    return OTHER_ARGS


def _encode(value: str) -> str:
    """A query or path value as an attacker sends it (a lone surrogate as its raw bytes)."""
    if value == "%00":
        return value
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _url(path: str, args: dict[str, str]) -> str:
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in args.items())
    return f"{path}?{query}" if query else path


def _path(rule: Rule, values: dict[str, str], override: tuple[str, str] | None = None) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match[1]
        if override is not None and override[0] == name:
            return _encode(override[1])
        value = _name_for(rule.endpoint) if name == "name" else values[name]
        return quote(value, safe="/")

    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)


def _walk(app: Flask, values: dict[str, str]) -> Iterator[str]:
    """Every hostile URL: each value in each argument, then in each path variable."""
    operations = _api_operations()
    for rule in _routes(app):
        path = _path(rule, values)
        base = BASE_ARGS.get(rule.endpoint, {})
        for name in _arg_names(rule.endpoint, operations):
            for value in HOSTILE:
                yield _url(path, {**base, name: value})
        for variable in rule.arguments:
            for value in HOSTILE:
                yield _url(_path(rule, values, (variable, value)), base)


def _server_errors(client: FlaskClient, urls: Iterator[str]) -> tuple[int, list[str]]:
    tried, failed = 0, []
    for url in urls:
        tried += 1
        response = client.get(url)
        response.close()  # static files answer with an open file
        status = response.status_code
        if status >= 500:
            failed.append(f"{status} GET {url[:300]}")
    return tried, failed


def test_no_route_answers_a_hostile_value_with_a_5xx(
    app: Flask, path_values: dict[str, str]
) -> None:
    tried, failed = _server_errors(app.test_client(), _walk(app, path_values))
    assert tried > 3000  # every route was walked, not a handful
    assert failed == [], f"{len(failed)} of {tried} answered 5xx:\n" + "\n".join(failed[:40])


NOTE_FIELDS: Final = ("db", "tag", "target", "since", "plot", "text")
NOTE_BASE: Final = {"tag": RUN_TAG, "text": "hostile walk"}


def _note_forms() -> Iterator[dict[str, str]]:
    for name in (*NOTE_FIELDS, "next"):
        for value in HOSTILE:
            yield {**NOTE_BASE, name: value}
    for back in ("/x\r\nSet-Cookie: a=b", "/\t/evil.example", "//evil", "/\\evil", "https://e"):
        yield {**NOTE_BASE, "next": back}


def _form_body(fields: dict[str, str]) -> bytes:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in fields.items()).encode("ascii")


def test_no_note_form_or_document_answers_a_5xx(app: Flask) -> None:
    client = app.test_client()
    failed = []
    for fields in _note_forms():
        form = client.post(
            "/annotations",
            data=_form_body(fields),
            content_type="application/x-www-form-urlencoded",
            headers=BEARER,
        )
        doc = {"data": {"type": "annotations", "attributes": {**fields}}}
        doc["data"]["attributes"].pop("next", None)
        api = client.post(
            "/api/v1/annotations",
            data=json.dumps(doc),  # ensure_ascii: a lone surrogate travels as \ud800
            content_type=MEDIA_TYPE,
            headers=BEARER,
        )
        failed += [f"{r.status_code} {fields!r}"[:200] for r in (form, api) if r.status_code >= 500]
    assert failed == []


#: Arguments read as numbers: integer-typed ones, sinces (plain string schemas) and run filters.
_NUMERIC_NAME: Final = re.compile(r"since|until|iov|first|last|fill")


def _numeric_arguments() -> list[tuple[str, str, dict[str, str]]]:
    """(path template, argument, base arguments) for every numeric argument of the API.

    A path variable is named ``{number}``; every other path variable is
    filled with its demo value.
    """
    values = {"name": LUMI_TAG, "drawer": HISTORY}
    refs = DOC["components"]["parameters"]
    out = []
    for path, ops in DOC["paths"].items():
        op = ops.get("get")
        if op is None or not set(re.findall(r"{(\w+)}", path)) <= {*values, "number"}:
            continue
        template = re.sub(r"{(name|drawer)}", lambda m: values[m[1]], path)
        base = BASE_ARGS.get("api." + op["operationId"], {})
        for parameter in op.get("parameters", []):
            parameter = (
                refs[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
            )
            name, schema = parameter["name"], parameter.get("schema", {})
            if schema.get("type") == "integer" or _NUMERIC_NAME.search(name):
                where = "{" + name + "}" if parameter["in"] == "path" else name
                out.append((template, where, base))
    return out


NUMERIC: Final = _numeric_arguments()
NUMBERS: Final = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=379000, max_value=380000).map(str),  # real runs, so some succeed
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.tuples(st.integers(-(2**40), 2**65), st.integers(-(2**40), 2**65)).map(
        lambda pair: f"{pair[0]}:{pair[1]}"
    ),
    st.tuples(st.integers(379000, 380000), st.integers(0, 4000)).map(
        lambda pair: f"{pair[0]}:{pair[1]}"
    ),
    st.sampled_from(["inf", "-inf", "nan", "1e999", "0x10", "1_000", "+5", " 7 ", "١٢"]),
)


#: Edges of the integer types a number may be stored in (32 and 64 bits, signed and unsigned).
EDGES: Final = [2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1]


@pytest.mark.parametrize("target", NUMERIC, ids=[f"{t}?{n}" for t, n, _ in NUMERIC])
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=st.one_of(NUMBERS, st.sampled_from(EDGES).map(str)))
def test_hypothesis_finds_no_5xx_in_numeric_api_arguments(
    app: Flask, target: tuple[str, str, dict[str, str]], value: str
) -> None:
    template, name, base = target
    if name.startswith("{"):
        url = _url(template.replace(name, _encode(value)), base)
    else:
        url = _url(template.replace("{number}", RUN), {**base, name: value})
    response = app.test_client().get(url)
    assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])


def test_the_walk_reaches_every_api_route(app: Flask) -> None:
    """The walk's argument lists come from the OpenAPI document: none is empty by mistake."""
    operations = _api_operations()
    api_endpoints = {r.endpoint for r in _routes(app) if r.rule.startswith("/api/v1/")}
    assert api_endpoints <= set(operations)
    numeric = {name for _, name, _ in NUMERIC}
    assert numeric >= {"since", "until", "iov", "width", "page[size]", "page[number]", "{number}"}


def test_a_run_number_past_32_bits_is_a_400_naming_it(app: Flask) -> None:
    client = app.test_client()
    for path in (f"/api/v1/runs/{2**63}", f"/api/v1/runs/{2**64}/readiness?globaltag=x"):
        response = client.get(path)
        assert response.status_code == 400
        assert response.get_json()["errors"][0]["source"] == {"parameter": "number"}
    page = client.get(f"/runs/{2**63}")
    assert page.status_code == 400 and b"number" in page.data


def _notes(client: FlaskClient) -> int:
    body = client.get(f"/api/v1/annotations?filter[tag]={RUN_TAG}").get_json()
    return int(body["meta"]["total"])


@pytest.mark.parametrize("field", ["text", "tag", "since"])
def test_a_lone_surrogate_is_refused_naming_the_field_before_anything_is_stored(
    app: Flask, field: str
) -> None:
    client = app.test_client()
    before = _notes(client)
    attributes = {**NOTE_BASE, field: "note \ud800"}
    response = client.post(
        "/api/v1/annotations",
        data=json.dumps({"data": {"type": "annotations", "attributes": attributes}}),
        content_type=MEDIA_TYPE,
        headers=BEARER,
    )
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["source"] == {"parameter": field}
    assert _notes(client) == before


@pytest.mark.parametrize(
    "back",
    [
        "/x\r\nSet-Cookie: a=b",
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_a_note_forms_next_never_leaves_the_site(app: Flask, back: str) -> None:
    response = app.test_client().post(
        "/annotations",
        data=_form_body({**NOTE_BASE, "next": back}),
        content_type="application/x-www-form-urlencoded",
        headers=BEARER,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/tags/{RUN_TAG}?db=demo"


def test_a_note_forms_next_on_this_site_is_followed(app: Flask) -> None:
    back = f"/plot/{HISTORY}?tag={LUMI_TAG}&since=379058:1"
    response = app.test_client().post(
        "/annotations", data={**NOTE_BASE, "next": back}, headers=BEARER
    )
    assert response.status_code == 303
    assert response.headers["Location"] == back


PLOT_PAGE: Final = f"/plot/{HISTORY}?tag={LUMI_TAG}"


def _permalink(page: bytes) -> str:
    text = page.decode()
    start = text.index('id="permalink" value="') + len('id="permalink" value="')
    return text[start : text.index('"', start)]


def test_no_link_or_redirect_is_built_from_the_host_header(app: Flask) -> None:
    client = app.test_client()
    page = client.get(PLOT_PAGE, headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert _permalink(page.data).startswith(f"/plot/{HISTORY}?")
    assert b"evil.example" not in page.data
    back = client.post(
        "/annotations",
        data={**NOTE_BASE, "next": "/watch"},
        headers={**BEARER, "Host": "evil.example"},
    )
    assert back.headers["Location"] == "/watch"


def test_the_permalink_is_built_on_the_configured_public_url(demo_path: Path) -> None:
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        web=WebSettings(public_url="https://inspector.example.org"),
    )
    flask_app = create_app(config, load_plugins())
    try:
        page = flask_app.test_client().get(PLOT_PAGE, headers={"Host": "evil.example"})
    finally:
        state(flask_app).close()
    assert _permalink(page.data).startswith(f"https://inspector.example.org/plot/{HISTORY}?")
    assert b"evil.example" not in page.data
