"""Annotations over HTTP: list and add notes (JSON:API and the page forms), and plot markers.

Reading is open.  Adding a note needs an identified user
(:class:`~inspector.annotations.Authenticator`): a bearer token, or the
user header of a trusted single-sign-on proxy.  The proxy's identity comes
with every request the browser sends, including ones another site makes it
send, so writes carried by it must come from this site's own pages: the
browser's ``Sec-Fetch-Site`` must say ``same-origin``, or, from browsers
without it, ``Origin`` must be this server.  The author stored is always the
authenticated user; an ``author`` in the request is ignored.

Notes are written to the application's own database
(:class:`~inspector.annotations.AnnotationStore`); every conditions database
stays read-only (the tag a note names is only looked up).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as WerkzeugResponse

from inspector.annotations import (
    Annotation,
    AnnotationFilter,
    Forbidden,
    Identity,
    NewAnnotation,
    Target,
    Unauthorized,
    check_plot_link,
    check_text,
)
from inspector.conddb import ConditionsDB, Tag, format_since
from inspector.conddb.timetypes import parse_since
from inspector.errors import BadRequest, InspectorError, InvalidParameter
from inspector.render.bokeh_renderers import AnnotationMarker
from inspector.request import PlotRequest
from inspector.web.api import api, api_args, api_paging
from inspector.web.jsonapi import (
    MEDIA_TYPE,
    document,
    dumps,
    iso,
    page_links,
    page_meta,
    resource,
    url,
)
from inspector.web.responses import serve
from inspector.web.state import Rendered, state

__all__ = [
    "current_writer",
    "markers_fingerprint",
    "notes_forms",
    "plot_markers",
    "tag_notes",
]

notes_forms = Blueprint("notes", __name__)

#: Notes drawn on one plot at most (the newest), and shown on a tag page.
MAX_MARKERS: Final = 200
TAG_PAGE_NOTES: Final = 50
#: Hover text is cut here (the whole note is on the tag page and in the API).
MARKER_TEXT: Final = 200
_ATTRIBUTES: Final = frozenset({"db", "tag", "target", "since", "plot", "text", "author"})
_MAX_SINCE: Final = (1 << 64) - 1


class UnsupportedMediaType(InspectorError):
    """The request body is not a JSON:API document."""

    http_status = 415
    exit_code = 2
    title = "Unsupported media type"


# -- who is writing ------------------------------------------------------------------------


def current_writer() -> Identity | None:
    """The identified user of this request, ``None`` when anonymous or not valid."""
    try:
        return state().auth.identify(request.remote_addr, _headers())
    except Unauthorized:
        return None


def _writer() -> Identity:
    """The authenticated writer; a 401 for anonymous requests, a 403 for cross-site ones.

    An oversized body is refused (413) first, before anything else is read.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    identity = state().auth.require(request.remote_addr, _headers())
    if identity.ambient:
        _require_same_origin()
    return identity


def _headers() -> dict[str, str]:
    """This request's headers by lower-case name, as the authenticator reads them."""
    return {name.lower(): value for name, value in request.headers.items()}


def _require_same_origin() -> None:
    """Refuse writes another site made the browser send (cross-site request forgery)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site == "same-origin":
            return
        raise Forbidden(f"cross-site request refused (Sec-Fetch-Site: {site[:40]})")
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc == request.host:
        return
    raise Forbidden(
        "cross-site request refused: a signed-in browser must post from this site's pages "
        "(no Sec-Fetch-Site or matching Origin header); scripts use an API token"
    )


# -- checking a new note -------------------------------------------------------------------


def _new_annotation(fields: Mapping[str, Any]) -> NewAnnotation:
    """A note from request fields, checked against the (read-only) conditions database."""
    web = state()
    alias = fields.get("db") or web.config.default_database
    if not isinstance(alias, str):
        raise InvalidParameter("db", "must be a database alias")
    db = web.engine.database(alias)
    name = fields.get("tag")
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter("tag", "is required (the tag the note is about)")
    tag = db.tag(name.strip())
    text = check_text(fields.get("text"))
    since_raw, plot_raw = fields.get("since"), fields.get("plot")
    has_since = since_raw not in (None, "")
    has_plot = plot_raw not in (None, "")
    default = Target.IOV if has_since else Target.PLOT if has_plot else Target.TAG
    target_raw = fields.get("target") or default.value
    target = Target.parse(target_raw if isinstance(target_raw, str) else repr(target_raw))
    if target is Target.IOV:
        if not has_since:
            raise InvalidParameter("since", "a note on an IOV needs the IOV's since")
        since = _iov_since(db, tag, since_raw)
        return NewAnnotation(db.alias, tag.name, target, text, since=since)
    if has_since:
        raise InvalidParameter("since", f"only notes on an IOV have one (target is {target})")
    if target is Target.PLOT:
        if not has_plot:
            raise InvalidParameter("plot", "a note on a plot needs the plot's link")
        return NewAnnotation(db.alias, tag.name, target, text, plot=check_plot_link(plot_raw))
    if has_plot:
        raise InvalidParameter("plot", f"only notes on a plot have one (target is {target})")
    return NewAnnotation(db.alias, tag.name, target, text)


def _iov_since(db: ConditionsDB, tag: Tag, raw: Any) -> int:
    """The since of the IOV valid at ``raw`` (run, run:ls, ISO time or raw integer)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidParameter("since", "must be a since: run, run:lumisection, time or integer")
    point = parse_since(str(raw), tag.time_type, parameter="since")
    return state().engine.iovs(db.alias, tag.name).covering(point).since


# -- JSON:API -----------------------------------------------------------------------------------


def _since_text(annotation: Annotation, tags: dict[tuple[str, str], Tag | None]) -> str | None:
    if annotation.since is None:
        return None
    key = (annotation.db, annotation.tag)
    if key not in tags:
        try:
            tags[key] = state().engine.database(annotation.db).tag(annotation.tag)
        except InspectorError:  # a renamed alias or tag: the raw number still says it
            tags[key] = None
    tag = tags[key]
    return format_since(annotation.since, tag.time_type) if tag else str(annotation.since)


def _resource(annotation: Annotation, tags: dict[tuple[str, str], Tag | None]) -> dict[str, Any]:
    links = {
        "tag": url_for("api.get_tag", name=annotation.tag, db=annotation.db),
        "html": annotation.plot or url_for("pages.tag_page", name=annotation.tag, db=annotation.db),
    }
    return resource(
        "annotations",
        str(annotation.id),
        {
            "db": annotation.db,
            "tag": annotation.tag,
            "target": annotation.target.value,
            "since": annotation.since,
            "since_text": _since_text(annotation, tags),
            "plot": annotation.plot,
            "text": annotation.text,
            "author": annotation.author,
            "created": iso(annotation.created),
        },
        links=links,
    )


def _since_filter(args: dict[str, str], name: str) -> int | None:
    raw = args.get(name)
    if not raw:
        return None
    tag_name = args.get("filter[tag]")
    if tag_name and not raw.isdigit():
        tag = state().engine.database(args.get("filter[db]") or None).tag(tag_name)
        return parse_since(raw, tag.time_type, parameter=name)
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(
            name, f"{raw!r} is not a whole number (other since forms need filter[tag])"
        ) from None
    if not 0 <= value <= _MAX_SINCE:
        raise InvalidParameter(name, f"{value} is not an unsigned 64-bit since")
    return value


@api.get("/annotations")
def list_annotations() -> Response:
    """Notes, newest first, by database, tag, target and since range; paged."""
    filters = (
        "filter[db]",
        "filter[tag]",
        "filter[target]",
        "filter[since_min]",
        "filter[since_max]",
    )
    args = api_args(*filters, "page[number]", "page[size]")
    paging = api_paging(args, "annotations")
    alias = args.get("filter[db]")
    if alias:
        state().config.database(alias)  # an unknown alias is a 404, not an empty list
    target = args.get("filter[target]")
    where = AnnotationFilter(
        db=alias or None,
        tag=args.get("filter[tag]") or None,
        target=Target.parse(target, "filter[target]") if target else None,
        since_min=_since_filter(args, "filter[since_min]"),
        since_max=_since_filter(args, "filter[since_max]"),
    )
    store = state().annotations
    total = store.count(where)
    paging.require_exists(total, "annotations")
    tags: dict[tuple[str, str], Tag | None] = {}
    data = [_resource(a, tags) for a in store.list(where, offset=paging.offset, limit=paging.size)]
    links = page_links(
        url_for("api.list_annotations"),
        [(k, args[k]) for k in filters if args.get(k)],
        paging,
        total,
    )
    body = dumps(document(data, links=links, meta=page_meta(paging, total)))
    return serve(Rendered.of(body, MEDIA_TYPE), pinned=False)


@api.post("/annotations")
def add_annotation() -> Response:
    """Add a note (a JSON:API document); the author is the authenticated user."""
    identity = _writer()
    if request.mimetype != MEDIA_TYPE:
        raise UnsupportedMediaType(f"send the note as a JSON:API document ({MEDIA_TYPE})")
    attributes = _attributes(request.get_data(cache=False))
    note = state().annotations.add(_new_annotation(attributes), author=identity.user)
    data = _resource(note, {})
    response = Response(
        dumps(document(data, links={"self": url_for("api.list_annotations")})),
        status=201,
        mimetype=MEDIA_TYPE,
    )
    response.headers["Location"] = url(
        url_for("api.list_annotations"), [("filter[db]", note.db), ("filter[tag]", note.tag)]
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _attributes(body: bytes) -> dict[str, Any]:
    """The attributes of a ``{"data": {"type": "annotations", "attributes": {...}}}`` body."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or data.get("type") != "annotations":
        raise BadRequest('the body must be {"data": {"type": "annotations", "attributes": ...}}')
    if "id" in data:
        raise BadRequest("a new note has no id: the server assigns it")
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        raise BadRequest("data.attributes must be an object")
    unknown = set(attributes) - _ATTRIBUTES
    if unknown:
        raise InvalidParameter(
            sorted(unknown)[0],
            f"is not an attribute of a note (known: {', '.join(sorted(_ATTRIBUTES))})",
        )
    return attributes


# -- page forms ---------------------------------------------------------------------------------


@notes_forms.post("/annotations")
def add_annotation_form() -> WerkzeugResponse:
    """The tag and plot pages' form: add the note, then go back to the page."""
    identity = _writer()
    fields = {k: request.form.get(k, "") for k in ("db", "tag", "target", "since", "plot", "text")}
    note = state().annotations.add(_new_annotation(fields), author=identity.user)
    back = request.form.get("next", "")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("pages.tag_page", name=note.tag, db=note.db)
    return redirect(back, code=303)


# -- what pages and plots show ------------------------------------------------------------------


def tag_notes(alias: str, tag: str) -> tuple[list[dict[str, Any]], int]:
    """The newest notes of a tag for its page (with their since written out), and how many."""
    store = state().annotations
    where = AnnotationFilter(db=alias, tag=tag)
    tags: dict[tuple[str, str], Tag | None] = {}
    rows = [
        {"note": a, "since_text": _since_text(a, tags)}
        for a in store.list(where, limit=TAG_PAGE_NOTES)
    ]
    return rows, store.count(where)


def plot_markers(query: PlotRequest) -> tuple[AnnotationMarker, ...]:
    """Notes on the IOVs of a history's tag, as renderer markers (newest first).

    Only history drawers get markers.  The plot itself is not needed: the
    renderer draws the notes whose IOV is on the plot, so a pinned drawing
    served from the cache costs one small query here, not a recomputation.
    """
    if state().plugins.drawers.get(query.drawer).kind != "history":
        return ()
    where = AnnotationFilter(db=query.db, tag=query.tag, target=Target.IOV)
    return tuple(
        AnnotationMarker(
            since=a.since or 0,
            text=a.text if len(a.text) <= MARKER_TEXT else a.text[: MARKER_TEXT - 1] + "…",
            author=a.author,
            created=iso(a.created).removesuffix("Z").replace("T", " "),
        )
        for a in state().annotations.list(where, limit=MAX_MARKERS)
    )


def markers_fingerprint(markers: tuple[AnnotationMarker, ...]) -> str | None:
    """A short digest of the markers for the drawing's URL; ``None`` when there are none."""
    if not markers:
        return None
    return hashlib.sha256(json.dumps(markers).encode("utf-8")).hexdigest()[:16]
