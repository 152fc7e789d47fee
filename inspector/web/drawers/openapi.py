"""The drawer schemas and the operations of ``/api/v1/drawers``."""

from __future__ import annotations

from typing import Final

from inspector.drawers import KINDS
from inspector.drawers.declare import DrawerDescription
from inspector.drawers.params import DrawerParam
from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, paging, responses
from inspector.web.openapi.schema import STR, Schema, listing, model_schema, resource, single

__all__ = ["DRAWER_FILTERS", "GET_DRAWER", "LIST_DRAWERS", "schemas"]


def schemas() -> dict[str, Schema]:
    """``DrawerParam``, ``Drawer`` and its documents."""
    param = model_schema(DrawerParam)
    attributes = model_schema(DrawerDescription, components=["DrawerParam"])
    links = {"self": STR, "html": {"type": "string", "description": "the plot page"}}
    return {
        "DrawerParam": param,
        "Drawer": resource("drawers", attributes, relationships=["tags"], links=links),
        "DrawerDocument": single("Drawer"),
        "DrawerListDocument": listing("Drawer"),
    }


DRAWER_FILTERS: Final = ("filter[payload_type]", "filter[kind]")
LIST_DRAWERS: Final = Operation(
    "Installed drawers",
    "drawers",
    [
        DB,
        Param("filter[payload_type]", description="drawers that read this payload type"),
        Param("filter[kind]", {"enum": list(KINDS)}, "drawer kind"),
        *paging("drawers"),
    ],
    responses("DrawerListDocument", 400, 404),
)
GET_DRAWER: Final = Operation(
    "One drawer",
    "drawers",
    [DB, Param("name", where="path", description="drawer name")],
    responses("DrawerDocument", 400, 404),
)
