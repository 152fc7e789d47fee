"""The web layer by area: routes come from the explicit list only, and each documents what it reads.

- Every URL rule of an app is a route declared by an area of ``AREAS``, and
  each view lives in its own area's package: nothing adds a route to an app
  by being imported (no module of :mod:`inspector.web` holds a blueprint).
- Each API route admits exactly the query parameters its OpenAPI operation
  lists (the parser takes them from the declaration), and a request that
  gives every documented parameter reads no other name from the query
  string, whether through the parser or around it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, Request
from web_apps import beamspot_app
from werkzeug.datastructures import ImmutableMultiDict

import inspector.web
from inspector import __version__
from inspector.web.app import AREAS
from inspector.web.openapi import openapi_document
from inspector.web.routing import Route
from inspector.web.state import state

DOC = openapi_document(__version__)


@pytest.fixture(scope="module")
def app(handmade_path: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    flask_app = beamspot_app({"hand": handmade_path[0]})
    yield flask_app
    state(flask_app).close()


def _declared() -> dict[tuple[str, str], tuple[str, Route]]:
    """(endpoint, full rule) → (area name, route), for every route of every area."""
    out: dict[tuple[str, str], tuple[str, Route]] = {}
    for area in AREAS:
        for route in area.all_routes():
            prefix = "/api/v1" if route.blueprint == "api" else ""
            out[(route.endpoint, prefix + route.rule)] = (area.name, route)
    return out


def test_every_rule_of_the_app_is_declared_by_an_area_of_the_list(app: Flask) -> None:
    declared = _declared()
    served = {
        (rule.endpoint, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
    }
    assert served == set(declared)


def test_each_view_lives_in_its_own_area() -> None:
    for (endpoint, _), (area, route) in _declared().items():
        assert route.view.__module__.startswith(f"inspector.web.{area}."), endpoint


def test_no_module_of_the_web_layer_holds_a_blueprint() -> None:
    """Blueprints are built per app from the areas: importing a module registers nothing."""
    for module_info in pkgutil.walk_packages(inspector.web.__path__, "inspector.web."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            assert not isinstance(value, Blueprint), f"{module_info.name}.{name}"


def _query_parameters(operation: dict[str, Any]) -> set[str]:
    names = set()
    for parameter in operation["parameters"]:
        if "$ref" in parameter:
            parameter = DOC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "query":
            names.add(parameter["name"])
    return names


def _api_routes() -> list[Route]:
    return [r for _, r in _declared().values() if r.operation is not None]


@pytest.mark.parametrize("route", _api_routes(), ids=lambda r: f"{r.methods[0]} {r.template}")
def test_the_parser_admits_exactly_the_documented_parameters(route: Route) -> None:
    assert route.operation is not None
    operation = DOC["paths"][route.template][route.methods[0].lower()]
    assert operation["operationId"] == route.view.__name__
    names = route.operation.query_names()
    documented = _query_parameters(operation)
    free_form = [p for p in operation["parameters"] if p.get("style") == "form"]
    if names is None:  # a free-form parameter: any other name is the drawer's
        assert free_form, route.template
    else:
        assert not free_form and set(names) == documented, route.template


class _Reads(ImmutableMultiDict[str, str]):
    """Query arguments that remember every name looked up."""

    seen: set[str]

    def _saw(self, key: str) -> None:
        self.seen.add(key)

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        self._saw(key)
        return super().get(key, default, type)  # type: ignore[call-overload]

    def getlist(self, key: str, type: Any = None) -> Any:
        self._saw(key)
        return super().getlist(key, type)

    def __getitem__(self, key: str) -> str:
        self._saw(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._saw(key)
        return super().__contains__(key)


_VALUES = {"tag": "BS_run", "a": "BS_run", "b": "BS_run", "globaltag": "GT_v1", "drawer": "x"}
_PATHS = {
    "name": "BS_run",
    "number": "1",
    "payload_hash": "0" * 40,
    "drawer": "beamspot.x",
    "ident": "0" * 16,
}


@pytest.mark.parametrize(
    "route",
    [r for r in _api_routes() if r.methods == ("GET",)],
    ids=lambda r: r.template,
)
def test_a_route_reads_no_query_argument_it_does_not_document(app: Flask, route: Route) -> None:
    operation = DOC["paths"][route.template]["get"]
    documented = _query_parameters(operation)
    seen: set[str] = set()

    class Recording(Request):
        @property
        def args(self) -> Any:  # type: ignore[override]
            reads = _Reads(super().args)
            reads.seen = seen
            return reads

    path = re.sub(r"\{(\w+)\}", lambda m: _PATHS[m.group(1)], route.template)
    query = {name: _VALUES.get(name, "") for name in documented}
    original = app.request_class
    app.request_class = Recording
    try:
        response = app.test_client().get(path, query_string=query)
    finally:
        app.request_class = original
    assert response.status_code < 500, (route.template, response.get_data(as_text=True))
    if route.operation is not None and route.operation.query_names() is None:
        return  # the plot request reads any name: documented as a free-form parameter
    assert seen <= documented, (route.template, seen - documented)
