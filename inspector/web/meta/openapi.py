"""The index document's schemas and the operations of ``/api/v1`` and its OpenAPI document."""

from __future__ import annotations

from typing import Final

from inspector.web.meta.models import IndexAttributes
from inspector.web.openapi import Operation
from inspector.web.openapi.operation import responses
from inspector.web.openapi.schema import STR, Schema, model_schema, obj, ref, resource

__all__ = ["INDEX", "OPENAPI_JSON", "schemas"]

#: The collections ``GET /api/v1`` links to.
#: The index's links: name -> the endpoint it points to (the schema lists the names).
COLLECTIONS: Final = {
    "self": "api.index",
    "describedby": "api.openapi_json",
    "tags": "api.list_tags",
    "drawers": "api.list_drawers",
    "globaltags": "api.list_global_tags",
    "runs": "api.list_runs",
    "watch": "api.watch",
}


def schemas() -> dict[str, Schema]:
    """``Index`` and ``IndexDocument``."""
    attributes = model_schema(IndexAttributes)
    links = obj({name: STR for name in COLLECTIONS})
    return {
        "Index": resource("api", attributes, links={"self": STR}),
        "IndexDocument": obj({"data": ref("Index"), "links": links, "jsonapi": ref("JsonApi")}),
    }


INDEX: Final = Operation("Links to every collection", "index", [], responses("IndexDocument"))
OPENAPI_JSON: Final = Operation(
    "This document",
    "index",
    [],
    {
        "200": {
            "description": "OpenAPI 3.1",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "304": {"$ref": "#/components/responses/NotModified"},
    },
)
