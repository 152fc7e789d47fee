"""The HTML pages: home, tag, plot, global tags.  Thin: the engine does the work.

A plot page computes its plot while answering, so a bad link gets a 404/400
page that says what is wrong; the browser then fetches the already cached
Bokeh document (``item.json``) and draws it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import numpy as np
from flask import Blueprint, Response, render_template, request, url_for

from inspector.conddb import ConditionsDB, IovList, format_since
from inspector.conddb.timetypes import TimeType, format_snapshot
from inspector.drawers import Drawer
from inspector.errors import InvalidParameter, NotFound, PayloadDecodeError
from inspector.payload import ArchiveLayout, FieldSummary, Layout, parse_streamer_info
from inspector.plots import History, Series
from inspector.render import json_item_bytes
from inspector.request import PlotRequest
from inspector.web.jsonapi import url
from inspector.web.notes import current_writer, markers_fingerprint, plot_markers, tag_notes
from inspector.web.plot_jobs import job_url, plot_job
from inspector.web.responses import serve
from inspector.web.state import Rendered, state

__all__ = ["int_arg", "page_database", "pages"]

pages = Blueprint("pages", __name__)

IOV_PAGE: Final = 100
#: Tags per page of the home page's search (a typical conditions file fits on one).
TAG_PAGE: Final = 50
#: Global tags per page of /globaltags (the page states the total and links the next).
GLOBAL_TAG_PAGE: Final = 50
#: Tags offered in a comparison's "another tag" list (the page says when there are more).
TAG2_CHOICES: Final = 200


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def int_arg(name: str, default: int, lo: int = 1, hi: int = 1_000_000) -> int:
    """A whole-number page argument within ``lo..hi``; anything else is a 400 naming it."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, f"{raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise InvalidParameter(name, f"{value} is not within {lo}..{hi}")
    return value


def page_database() -> ConditionsDB:
    """The database the page asks for (``db=``; default: the configured default)."""
    return state().engine.database(request.args.get("db") or None)


# -- home -----------------------------------------------------------------------


@pages.get("/")
def home() -> str:
    """Search tags; drawers by payload type; global tags."""
    db = page_database()
    q = request.args.get("q", "").strip()
    object_type = request.args.get("object_type", "").strip() or None
    time_type = request.args.get("time_type", "").strip() or None
    page = int_arg("page", 1)
    results = db.search_tags(
        q or None, object_type=object_type, time_type=time_type, page=page, page_size=TAG_PAGE
    )
    results.require_exists("tags")
    web = state()
    return render_template(
        "home.html",
        db=db,
        q=q,
        object_type=object_type or "",
        time_type=time_type or "",
        results=results,
        object_types=db.object_types(),
        time_types=[t.value for t in TimeType],
        drawers=web.plugins.drawers.by_payload_type(),
        global_tags=db.global_tags(page_size=20),
    )


# -- tags -----------------------------------------------------------------------


@pages.get("/tags/<path:name>", merge_slashes=False)
def tag_page(name: str) -> str:
    """Metadata, IOV timeline, paged IOV table and the drawers that apply."""
    db = page_database()
    tag = db.tag(name)
    iovs = state().engine.iovs(db.alias, name)
    page = int_arg("page", 1)
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
        timeline_limit=state().engine.settings.max_history_iovs,
        **_notes_context(db.alias, tag.name, drawers),
    )


# -- payloads -------------------------------------------------------------------


@pages.get("/payloads/<payload_hash>")
def payload_page(payload_hash: str) -> str:
    """What wrote a payload (STREAMER_INFO), its layout and every decoded member, summarised.

    A payload whose bytes do not match its layout still gets its page: the
    metadata, and the decoder's message naming the member and byte offset.
    """
    db = page_database()
    info = db.payload_info(payload_hash)
    streamer = parse_streamer_info(info.streamer_info)
    summaries: list[FieldSummary] = []
    error = ""
    layout: Layout | None = None
    try:
        layout = state().plugins.schemas.get(info.object_type, info.version)
        summaries = state().engine.decoded_payload(db.alias, info.hash).summaries()
    except (NotFound, PayloadDecodeError) as exc:
        error = exc.message
    return render_template(
        "payload.html",
        db=db,
        info=info,
        streamer=streamer,
        layout=layout,
        archive=isinstance(layout, ArchiveLayout),
        summaries=summaries,
        error=error,
        drawers=state().plugins.drawers.for_payload_type(info.object_type),
        api=url(url_for("api.get_payload", payload_hash=info.hash), [("db", db.alias)]),
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
        "hash": str(iovs.payload_hash[i]),
        "inserted": np.datetime_as_string(iovs.insertion_time[i], unit="s").replace("T", " "),
    }


@pages.get("/tags/<path:name>/timeline.json", merge_slashes=False)
def tag_timeline(name: str) -> Response:
    """The IOV timeline as a Bokeh document: each payload change is a step."""
    db = page_database()
    tag = db.tag(name)
    iovs = state().engine.iovs(db.alias, name)
    if len(iovs) == 0:
        raise NotFound(f"tag {name!r} has no IOVs")
    state().engine.check_history_size(iovs)
    _, inverse = iovs.distinct_hashes()
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
        payload_hash=iovs.payload_hash,
        insertion_time=iovs.insertion_time,
        y_label="payload # (in order of first use)",
    )
    body = json_item_bytes(plot, state().tools.renderers, {"height": 260})
    return serve(Rendered.of(body, "application/json"), pinned=False)


# -- plots ----------------------------------------------------------------------


def _query(drawer: str) -> PlotRequest:
    args = request.args.items(multi=True)
    return PlotRequest.from_query(drawer, args, state().config.default_database)


@pages.get("/plot/<drawer>")
def plot_page(drawer: str) -> str:
    """The plot with its parameter form, IOV choosers, provenance and exports."""
    web = state()
    declared = web.plugins.drawers.get(drawer)
    query = _query(drawer)
    db = web.engine.database(query.db)
    tag = db.tag(query.tag)
    now = _now()
    # A heavy history runs as a background job: the page shows its progress.
    job = plot_job(query, now)
    plot = None if job else web.plot(query)  # errors become 404/400 pages, not in the browser
    pinned = query.pinned_at(now)
    same_type_page = db.search_tags(object_type=tag.object_type, page_size=TAG2_CHOICES)
    same_type = list(same_type_page.items)
    fingerprint = markers_fingerprint(plot_markers(query))
    return render_template(
        "plot.html",
        db=db,
        drawer=declared,
        tag=tag,
        query=query,
        plot=plot,
        params=dict(query.params),
        same_type=same_type,
        same_type_total=same_type_page.total,
        item_url=url_for("pages.plot_item", drawer=drawer)
        + "?"
        + (pinned if job else query).query_string(notes=fingerprint),
        job=job,
        job_url=job_url(job) if job else None,
        certifications=web.config.certifications,
        writer=current_writer(),
        plot_link=url_for("pages.plot_page", drawer=drawer) + "?" + pinned.query_string(),
        exports={
            fmt: url_for("pages.plot_export", drawer=drawer, fmt=fmt) + "?" + query.query_string()
            for fmt in web.tools.exports.names()
        },
        api_url=url_for("api.plot_resource", drawer=drawer) + "?" + query.query_string(),
        permalink=url_for("pages.plot_page", drawer=drawer, _external=True)
        + "?"
        + pinned.query_string(),
        snapshot_text=format_snapshot(pinned.snapshot) if pinned.snapshot else "",
        is_pinned=query.snapshot is not None,
        labels=plot.provenance.labels if plot else (),
        iov_texts=[format_since(s, tag.time_type) for s in plot.provenance.iovs] if plot else [],
        kind_help=_kind_help(declared),
    )


def _kind_help(drawer: Drawer) -> str:
    return {
        "single": "One IOV of one tag.",
        "compare": "Two inputs, kept in order: A (first) and B (second) — two IOVs of one "
        "tag, or one IOV of each of two tags.",
        "history": "Every IOV of the tag in the range, one point per IOV.",
    }[drawer.kind]


@pages.get("/plot/<drawer>/item.json")
def plot_item(drawer: str) -> Response:
    """The rendered Bokeh document (``json_item``), cached per pinned request."""
    query = _query(drawer)
    now = _now()
    markers = plot_markers(query)
    # Pinned drawings are cached for good by browsers: only when their URL
    # carries the fingerprint of the notes drawn (the plot page adds it).
    current = query.view.notes == markers_fingerprint(markers)
    rendered = state().rendered(query, "item", now, markers)
    return serve(rendered, pinned=query.is_pinned(now) and current)


@pages.get("/plot/<drawer>/export.<fmt>")
def plot_export(drawer: str, fmt: str) -> Response:
    """The plot in any registered export format (JSON, CSV, HTML, PNG, cmspi, a plugin's)."""
    web = state()
    web.plugins.drawers.get(drawer)
    chosen = web.tools.exports.get(fmt)
    query = _query(drawer)
    now = _now()
    rendered = web.rendered(query, fmt, now)
    name = chosen.file_name(drawer, query.view)
    return serve(rendered, pinned=query.is_pinned(now), download=name)


# -- global tags ------------------------------------------------------------------


@pages.get("/globaltags")
def global_tags_page() -> str:
    """Every global tag, paged."""
    db = page_database()
    q = request.args.get("q", "").strip()
    result = db.global_tags(q or None, page=int_arg("page", 1), page_size=GLOBAL_TAG_PAGE)
    result.require_exists("global tags")
    return render_template("globaltags.html", db=db, q=q, results=result)


@pages.get("/globaltags/<path:name>", merge_slashes=False)
def global_tag_page(name: str) -> str:
    """Records, labels and tags of one global tag."""
    db = page_database()
    gt = db.global_tag(name)
    entries = db.global_tag_map(name)
    tags = {e.tag_name: db.tag(e.tag_name) for e in entries}
    return render_template("globaltag.html", db=db, gt=gt, entries=entries, tags=tags)
