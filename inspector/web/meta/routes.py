"""``GET /api/v1`` and ``GET /api/v1/openapi.json``."""

from __future__ import annotations

from flask import Response, url_for

from inspector import __version__
from inspector.web.args import api_args
from inspector.web.jsonapi import document, dumps, resource
from inspector.web.meta.models import DatabaseEntry, IndexAttributes
from inspector.web.meta.openapi import COLLECTIONS, INDEX, OPENAPI_JSON
from inspector.web.openapi import openapi_document
from inspector.web.responses import send_document, serve
from inspector.web.routing import Routes
from inspector.web.state import Rendered, state

__all__ = ["api"]

api = Routes("api")


@api.get("", INDEX)
def index() -> Response:
    """Where everything is: the collections, the OpenAPI document, the databases."""
    config = state().config
    databases = [
        DatabaseEntry(alias=alias, description=db.description)
        for alias, db in config.databases.items()
    ]
    attributes = IndexAttributes(
        version=__version__, default_database=config.default_database, databases=databases
    )
    root = url_for("api.index")
    data = resource("api", "v1", attributes, links={"self": root})
    links = {name: url_for(endpoint) for name, endpoint in COLLECTIONS.items()}
    return send_document(document(data, links=links))


@api.get("/openapi.json", OPENAPI_JSON)
def openapi_json() -> Response:
    """The OpenAPI 3.1 description of these routes."""
    api_args()
    body = dumps(openapi_document(__version__))
    return serve(Rendered.of(body, "application/json"), pinned=False)
