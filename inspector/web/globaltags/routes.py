"""Global tags: the JSON:API resources and the pages."""

from __future__ import annotations

from typing import Final

from flask import Response, render_template, url_for

from inspector.conddb import GlobalTag
from inspector.web.args import api_args, page_args
from inspector.web.globaltags.models import GlobalTagAttributes, GlobalTagRecord
from inspector.web.globaltags.openapi import GET_GLOBAL_TAG, LIST_GLOBAL_TAGS
from inspector.web.jsonapi import (
    document,
    iso,
    link_arguments,
    page_links,
    page_meta,
    relationship,
    resource,
    url,
)
from inspector.web.responses import send_document
from inspector.web.routing import Routes

__all__ = ["api", "pages"]

api = Routes("api")
pages = Routes("pages")

#: Global tags per page of /globaltags (the page states the total and links the next).
GLOBAL_TAG_PAGE: Final = 50


def _global_tag_attributes(gt: GlobalTag) -> GlobalTagAttributes:
    return {
        "validity": gt.validity,
        "description": gt.description,
        "release": gt.release,
        "insertion_time": iso(gt.insertion_time),
        "snapshot_time": iso(gt.snapshot_time),
    }


def _global_tag_link(name: str, alias: str) -> str:
    return url(url_for("api.get_global_tag", name=name), [("db", alias)])


@api.get("/globaltags", LIST_GLOBAL_TAGS)
def list_global_tags() -> Response:
    """Global tags by name (glob or substring), paged; records are on each one's own page."""
    args = api_args()
    paging = args.paging("globaltags")
    db = args.database()
    result = db.global_tags(
        args.get("filter[name]") or None, page=paging.number, page_size=paging.size
    )
    paging.require_exists(result.total, "global tags")
    data = [
        resource(
            "globaltags",
            gt.name,
            _global_tag_attributes(gt),
            links={"self": _global_tag_link(gt.name, db.alias)},
        )
        for gt in result.items
    ]
    links = page_links(
        url_for("api.list_global_tags"),
        link_arguments(args, db.alias, ("filter[name]",)),
        paging,
        result.total,
    )
    return send_document(document(data, links=links, meta=page_meta(paging, result.total)))


@api.get("/globaltags/<path:name>", GET_GLOBAL_TAG, merge_slashes=False)
def get_global_tag(name: str) -> Response:
    """A global tag with every (record, label) → tag line, related to those tags."""
    db = api_args().database()
    gt = db.global_tag(name)
    entries = db.global_tag_map(name)
    attributes = _global_tag_attributes(gt)
    attributes["records"] = [
        GlobalTagRecord(record=e.record, label=e.label, tag=e.tag_name) for e in entries
    ]
    tags = [{"type": "tags", "id": t} for t in sorted({e.tag_name for e in entries})]
    self_link = _global_tag_link(gt.name, db.alias)
    data = resource(
        "globaltags",
        gt.name,
        attributes,
        links={"self": self_link},
        relationships={"tags": relationship(data=tags)},
    )
    return send_document(document(data, links={"self": self_link}))


@pages.get("/globaltags")
def global_tags_page() -> str:
    """Every global tag, paged."""
    args = page_args()
    db = args.database()
    q = args.text("q")
    result = db.global_tags(q or None, page=args.whole("page", 1), page_size=GLOBAL_TAG_PAGE)
    result.require_exists("global tags")
    return render_template("globaltags.html", db=db, q=q, results=result)


@pages.get("/globaltags/<path:name>", merge_slashes=False)
def global_tag_page(name: str) -> str:
    """Records, labels and tags of one global tag."""
    db = page_args().database()
    gt = db.global_tag(name)
    entries = db.global_tag_map(name)
    tags = {e.tag_name: db.tag(e.tag_name) for e in entries}
    return render_template("globaltag.html", db=db, gt=gt, entries=entries, tags=tags)
