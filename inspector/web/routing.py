"""Areas of the web layer and the routes they declare, registered from one list.

An *area* (tags, plots, diffs, runs, ...) is a package of :mod:`inspector.web`
holding its routes, its pages and its part of the OpenAPI document side by
side.  A route is declared once, with :class:`Routes`: its rule, its view and,
for the JSON API, its :class:`~inspector.web.openapi.Operation` (summary,
parameters, responses).  Declaring a route adds it to its module's
:class:`Routes` only; :func:`register_areas`, called by ``create_app`` with
the explicit ``AREAS`` list, builds one blueprint per name for each app and
adds exactly those routes.  The OpenAPI paths are generated from the same
declarations, and the query-argument parser (:mod:`inspector.web.args`) takes
the names a route may read from its operation, so the document lists every
argument a route reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from flask import Blueprint, Flask, current_app, request

from inspector.web.openapi.operation import Operation

__all__ = ["API_ROOT", "Area", "Route", "Routes", "current_operation", "register_areas"]

#: Where the JSON API lives; its routes are declared relative to it.
API_ROOT: Final = "/api/v1"
#: URL prefix of each blueprint that has one.
PREFIXES: Final = {"api": API_ROOT}
#: ``app.extensions`` key: endpoint → the operation declared for it.
OPERATIONS: Final = "payload_inspector.operations"

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Route:
    """One URL rule of one blueprint: the view, its methods and, for the API, its operation."""

    blueprint: str
    rule: str
    view: Callable[..., Any]
    methods: tuple[str, ...]
    operation: Operation | None
    options: Mapping[str, Any]

    @property
    def endpoint(self) -> str:
        """``blueprint.view`` (what ``url_for`` and the metrics name it)."""
        return f"{self.blueprint}.{self.view.__name__}"

    @property
    def template(self) -> str:
        """The OpenAPI path template: ``/api/v1/tags/{name}`` for ``/tags/<path:name>``."""
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.rule)
        return PREFIXES.get(self.blueprint, "") + path


class Routes:
    """The routes one module declares on one blueprint (registered only by ``create_app``)."""

    def __init__(self, blueprint: str) -> None:
        self.blueprint = blueprint
        self.routes: list[Route] = []

    def get(
        self, rule: str, operation: Operation | None = None, **options: Any
    ) -> Callable[[View], View]:
        """Declare a GET route (``options`` as for ``Blueprint.add_url_rule``)."""
        return self._declare(rule, ("GET",), operation, options)

    def post(
        self, rule: str, operation: Operation | None = None, **options: Any
    ) -> Callable[[View], View]:
        """Declare a POST route."""
        return self._declare(rule, ("POST",), operation, options)

    def _declare(
        self,
        rule: str,
        methods: tuple[str, ...],
        operation: Operation | None,
        options: dict[str, Any],
    ) -> Callable[[View], View]:
        if self.blueprint == "api" and operation is None:
            raise TypeError(f"API route {rule} needs its OpenAPI operation")

        def declare(view: View) -> View:
            self.routes.append(Route(self.blueprint, rule, view, methods, operation, options))
            return view

        return declare


@dataclass(frozen=True)
class Area:
    """A feature of the web layer: its routes, its OpenAPI schemas and its per-app set-up."""

    name: str
    routes: Sequence[Routes] = ()
    #: The area's component schemas of the OpenAPI document.
    schemas: Callable[[], dict[str, Any]] = dict
    #: The area's security schemes (how writers identify themselves).
    security: Callable[[], dict[str, Any]] = dict
    #: Per-app state (caches, hooks), run after every blueprint is registered.
    setup: Callable[[Flask], None] | None = field(default=None)

    def all_routes(self) -> Iterator[Route]:
        """Every route the area declares."""
        for group in self.routes:
            yield from group.routes


def register_areas(app: Flask, areas: Sequence[Area]) -> None:
    """Add the routes of ``areas`` (and only those) to ``app``, then run their set-up."""
    blueprints: dict[str, Blueprint] = {}
    operations: dict[str, Operation] = {}
    for area in areas:
        for route in area.all_routes():
            blueprint = blueprints.setdefault(route.blueprint, Blueprint(route.blueprint, __name__))
            blueprint.add_url_rule(
                route.rule, view_func=route.view, methods=route.methods, **route.options
            )
            if route.operation is not None:
                operations[route.endpoint] = route.operation
    for name, blueprint in blueprints.items():
        app.register_blueprint(blueprint, url_prefix=PREFIXES.get(name))
    app.extensions[OPERATIONS] = operations
    for area in areas:
        if area.setup is not None:
            area.setup(app)


def current_operation() -> Operation:
    """The operation declared for the route answering this request."""
    operations: dict[str, Operation] = current_app.extensions[OPERATIONS]
    return operations[request.endpoint or ""]
