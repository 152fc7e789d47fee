"""The global-tag schemas and the operations of ``/api/v1/globaltags``."""

from __future__ import annotations

from typing import Final

from inspector.web.globaltags.models import GlobalTagAttributes
from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, paging, responses
from inspector.web.openapi.schema import (
    STR,
    Schema,
    listing,
    model_schema,
    obj,
    ref,
    resource,
    single,
)

__all__ = ["GET_GLOBAL_TAG", "LIST_GLOBAL_TAGS", "schemas"]


def schemas() -> dict[str, Schema]:
    """``GlobalTag`` and its documents."""
    attributes = model_schema(GlobalTagAttributes)
    global_tag = resource("globaltags", attributes, links={"self": STR})
    global_tag["properties"]["relationships"] = obj({"tags": ref("Relationship")})
    return {
        "GlobalTag": global_tag,
        "GlobalTagDocument": single("GlobalTag"),
        "GlobalTagListDocument": listing("GlobalTag"),
    }


LIST_GLOBAL_TAGS: Final = Operation(
    "Search global tags",
    "globaltags",
    [
        DB,
        Param("filter[name]", description="glob or substring of the name"),
        *paging("globaltags"),
    ],
    responses("GlobalTagListDocument", 400, 404, 503),
)
GET_GLOBAL_TAG: Final = Operation(
    "A global tag with its records",
    "globaltags",
    [DB, Param("name", where="path", description="global tag name")],
    responses("GlobalTagDocument", 400, 404, 503),
)
