"""The home page (tag search), the tag page and its IOV timeline; the engine does the work."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from flask import Response, render_template, url_for

from inspector.conddb import IovList, format_since
from inspector.conddb.timetypes import TimeType
from inspector.drawers import Drawer
from inspector.errors import NotFound
from inspector.plots import History, Series
from inspector.render import json_item_bytes
from inspector.web.args import page_args
from inspector.web.jsonapi import url
from inspector.web.notes.auth import current_writer
from inspector.web.notes.views import tag_notes
from inspector.web.responses import serve
from inspector.web.routing import Routes
from inspector.web.state import Rendered, state

__all__ = ["pages"]

pages = Routes("pages")

IOV_PAGE: Final = 100
#: Tags per page of the home page's search (a typical conditions file fits on one).
TAG_PAGE: Final = 50


@pages.get("/")
def home() -> str:
    """Search tags; drawers by payload type; global tags."""
    args = page_args()
    db = args.database()
    q = args.text("q")
    object_type = args.text("object_type") or None
    time_type = args.text("time_type") or None
    results = db.search_tags(
        q or None,
        object_type=object_type,
        time_type=time_type,
        page=args.whole("page", 1),
        page_size=TAG_PAGE,
    )
    results.require_exists("tags")
    return render_template(
        "home.html",
        db=db,
        q=q,
        object_type=object_type or "",
        time_type=time_type or "",
        results=results,
        object_types=db.object_types(),
        time_types=[t.value for t in TimeType],
        drawers=state().plugins.drawers.by_payload_type(),
        global_tags=db.global_tags(page_size=20),
    )


@pages.get("/tags/<path:name>", merge_slashes=False)
def tag_page(name: str) -> str:
    """Metadata, IOV timeline, paged IOV table and the drawers that apply."""
    args = page_args()
    db = args.database()
    tag = db.tag(name)
    iovs = state().engine.iovs(db.alias, name)
    page = args.whole("page", 1)
    pages_total = max(1, -(-len(iovs) // IOV_PAGE))
    if page > pages_total:
        raise NotFound(f"IOV page {page} is past the last page ({pages_total})")
    first = (page - 1) * IOV_PAGE
    rows = [_iov_row(iovs, i) for i in range(first, min(first + IOV_PAGE, len(iovs)))]
    drawers = state().plugins.drawers.for_payload_type(tag.object_type)
    first_since = format_since(int(iovs.since[0]), tag.time_type) if len(iovs) else ""
    last_since = format_since(int(iovs.since[-1]), tag.time_type) if len(iovs) else ""
    return render_template(
        "tag.html",
        db=db,
        tag=tag,
        iovs=iovs,
        rows=rows,
        page=page,
        pages=pages_total,
        first_row=first + 1,
        drawers=drawers,
        distinct=len(iovs.distinct_hashes()[0]) if len(iovs) else 0,
        first_since=first_since,
        last_since=last_since,
        end=format_since(tag.end, tag.time_type),
        timeline_limit=state().engine.settings.max_timeline_iovs,
        **_notes_context(db.alias, tag.name, drawers),
    )


def _notes_context(alias: str, tag: str, drawers: list[Drawer]) -> dict[str, Any]:
    """What the notes list and form of a tag page need (IOV notes link to a history)."""
    notes, total = tag_notes(alias, tag)
    history = [d for d in drawers if d.kind == "history"]
    return {
        "notes": notes,
        "notes_total": total,
        "writer": current_writer(),
        "notes_api": url(
            url_for("api.list_annotations"), [("filter[db]", alias), ("filter[tag]", tag)]
        ),
        "history_drawer": history[0].name if history else None,
    }


def _iov_row(iovs: IovList, i: int) -> dict[str, Any]:
    tt = iovs.time_type
    return {
        "since": format_since(int(iovs.since[i]), tt),
        "until": format_since(int(iovs.until[i]), tt),
        "hash": iovs.hash_at(i),
        "inserted": np.datetime_as_string(iovs.insertion_time[i], unit="s").replace("T", " "),
    }


@pages.get("/tags/<path:name>/timeline.json", merge_slashes=False)
def tag_timeline(name: str) -> Response:
    """The IOV timeline as a Bokeh document: each payload change is a step."""
    db = page_args().database()
    tag = db.tag(name)
    iovs = state().engine.iovs(db.alias, name)
    if len(iovs) == 0:
        raise NotFound(f"tag {name!r} has no IOVs")
    state().engine.check_history_size(iovs, timeline=True)
    hashes, inverse = iovs.distinct_hashes()
    # Number payloads in order of first appearance, so the steps climb.
    order = np.unique(inverse, return_index=True)[1]
    rank = np.empty_like(order)
    rank[np.argsort(order)] = np.arange(order.size)
    plot = History(
        title=f"{name}: {len(iovs)} IOVs, {order.size} payloads",
        since=iovs.since,
        until=iovs.until,
        time_type=tag.time_type.value,
        series={
            "payload": Series(values=(rank[inverse] + 1).astype(np.float64), label="payload #")
        },
        payload_hashes=hashes,
        payload_codes=inverse,
        insertion_time=iovs.insertion_time,
        y_label="payload # (in order of first use)",
    )
    body = json_item_bytes(plot, state().tools.renderers, {"height": 260})
    return serve(Rendered.of(body, "application/json"), pinned=False)
