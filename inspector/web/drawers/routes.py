"""``/api/v1/drawers`` and ``/api/v1/drawers/{name}``."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from inspector.drawers import KINDS, Drawer
from inspector.errors import InvalidParameter
from inspector.web.args import api_args
from inspector.web.drawers.openapi import DRAWER_FILTERS, GET_DRAWER, LIST_DRAWERS
from inspector.web.jsonapi import document, page_links, page_meta, relationship, resource, url
from inspector.web.responses import send_document
from inspector.web.routing import Routes
from inspector.web.state import state

__all__ = ["api"]

api = Routes("api")


def _drawer_resource(drawer: Drawer) -> dict[str, Any]:
    tag_lists = {
        t: url(url_for("api.list_tags"), [("filter[object_type]", t)]) for t in drawer.payload_types
    }
    extra = {"by_payload_type": tag_lists} if len(tag_lists) > 1 else {}
    return resource(
        "drawers",
        drawer.name,
        drawer.describe(),
        links={
            "self": url_for("api.get_drawer", name=drawer.name),
            "html": url_for("pages.plot_page", drawer=drawer.name),
        },
        relationships={"tags": relationship(tag_lists[drawer.payload_types[0]], **extra)},
    )


@api.get("/drawers", LIST_DRAWERS)
def list_drawers() -> Response:
    """The installed drawers, by payload type and kind, paged."""
    args = api_args()
    paging = args.paging("drawers")
    state().config.database(args.get("db") or None)  # drawers are the same for every alias
    kind = args.get("filter[kind]")
    if kind and kind not in KINDS:
        raise InvalidParameter("filter[kind]", f"{kind!r} is not one of {', '.join(KINDS)}")
    payload_type = args.get("filter[payload_type]")
    matches = [
        d
        for d in state().plugins.drawers
        if (not payload_type or d.applies_to(payload_type)) and (not kind or d.kind == kind)
    ]
    paging.require_exists(len(matches), "drawers")
    page = matches[paging.offset : paging.offset + paging.size]
    links = page_links(
        url_for("api.list_drawers"),
        [(k, args[k]) for k in DRAWER_FILTERS if args.get(k)],
        paging,
        len(matches),
    )
    data = [_drawer_resource(d) for d in page]
    return send_document(document(data, links=links, meta=page_meta(paging, len(matches))))


@api.get("/drawers/<name>", GET_DRAWER)
def get_drawer(name: str) -> Response:
    """One drawer: kind, payload types, typed parameters with defaults."""
    args = api_args()
    state().config.database(args.get("db") or None)
    data = _drawer_resource(state().plugins.drawers.get(name))
    return send_document(document(data, links={"self": data["links"]["self"]}))
