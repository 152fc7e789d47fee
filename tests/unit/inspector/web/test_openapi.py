"""The OpenAPI document: valid OpenAPI 3.1, and exactly the routes the app serves.

Response bodies are checked against it in test_api.py; here the document
itself is checked, and the limits it states are checked against the app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

import inspector_plugins.beamspot
import inspector_plugins.schemas
from inspector import __version__
from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.jsonapi import LIMITS
from inspector.web.openapi import openapi_document
from inspector.web.state import state

DOC = openapi_document(__version__)


@pytest.fixture(scope="module")
def app(handmade_path: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    config = Config({"hand": DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}")}, "hand")
    plugins = load_plugins(
        entry_points=False,
        extra=[("schemas", inspector_plugins.schemas), ("beamspot", inspector_plugins.beamspot)],
    )
    flask_app = create_app(config, plugins)
    yield flask_app
    state(flask_app).close()


def _api_rules(app: Flask) -> dict[str, dict[str, Any]]:
    """OpenAPI path template → {method: werkzeug rule}, for every route under /api/v1."""
    out: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule == "/api/v1" or rule.rule.startswith("/api/v1/"):
            template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out.setdefault(template, {})[method.lower()] = rule
    return out


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)


def test_every_api_route_is_described_and_nothing_else(app: Flask) -> None:
    rules = _api_rules(app)
    assert sorted(rules) == sorted(DOC["paths"])
    for template, methods in rules.items():
        item = DOC["paths"][template]
        assert "get" in methods, template
        assert set(item) == set(methods), template
        for method, rule in methods.items():
            operation = item[method]
            assert f"api.{operation['operationId']}" == rule.endpoint, (template, method)
            declared = {p["name"] for p in operation["parameters"] if p.get("in") == "path"}
            assert declared == set(rule.arguments), template


def test_every_get_documents_304_and_every_list_its_paging() -> None:
    for template, item in DOC["paths"].items():
        responses = item["get"]["responses"]
        assert {"200", "304"} <= set(responses), template
        names = {p.get("name") for p in item["get"]["parameters"]}
        if (
            responses["200"]["content"]
            .get("application/vnd.api+json", {})
            .get("schema", {})
            .get("$ref", "")
            .endswith("ListDocument")
        ):
            assert {"page[number]", "page[size]"} <= names, template


def test_every_component_schema_is_used() -> None:
    text = json.dumps(DOC)
    for name in DOC["components"]["schemas"]:
        assert f'"#/components/schemas/{name}"' in text, name


def test_served_document_is_this_one(app: Flask) -> None:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == DOC
    assert response.headers["ETag"]


def _page_size(template: str) -> dict[str, Any] | None:
    for parameter in DOC["paths"][template]["get"]["parameters"]:
        if parameter.get("name") == "page[size]":
            schema: dict[str, Any] = parameter["schema"]
            return schema
    return None


#: Required query arguments of some listings, as values of the hand-built database.
_REQUIRED = {
    "/api/v1/diff/tags": "a=BS_run&b=BS_run&",
    "/api/v1/diff/globaltags": "a=GT_v1&b=GT_v2&",
}


@pytest.mark.parametrize("template", sorted(t for t in DOC["paths"] if _page_size(t)))
def test_the_stated_page_size_limits_are_the_enforced_ones(app: Flask, template: str) -> None:
    schema = _page_size(template)
    assert schema is not None
    path = template.replace("{name}", "BS_run") + "?" + _REQUIRED.get(template, "")
    client = app.test_client()
    largest = client.get(f"{path}page[size]={schema['maximum']}")
    assert largest.status_code == 200
    default = client.get(path).get_json(force=True)
    assert default["meta"]["page_size"] == schema["default"]
    too_large = client.get(f"{path}page[size]={schema['maximum'] + 1}")
    assert too_large.status_code == 400
    assert too_large.get_json(force=True)["errors"][0]["source"] == {"parameter": "page[size]"}
    assert (schema["default"], schema["maximum"]) in LIMITS.values()
