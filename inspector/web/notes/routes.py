"""Notes over HTTP: ``/api/v1/annotations`` (list, add) and the page forms' ``POST /annotations``.

Adding a note needs an identified user (:mod:`inspector.web.notes.auth`).
The author stored is always the authenticated user; an ``author`` in the
request is ignored.  Notes are written to the application's own database
(:class:`~inspector.annotations.AnnotationStore`); every conditions database
stays read-only (the tag a note names is only looked up).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from flask import Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from inspector.annotations import (
    Annotation,
    AnnotationFilter,
    NewAnnotation,
    Target,
    check_plot_link,
    check_text,
)
from inspector.conddb import ConditionsDB, Tag
from inspector.conddb.timetypes import parse_since
from inspector.errors import BadRequest, InvalidParameter, UnsupportedMediaType
from inspector.web.args import QueryArgs, api_args
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
from inspector.web.notes.auth import writer
from inspector.web.notes.models import NewNoteAttributes, NoteAttributes
from inspector.web.notes.openapi import ADD_ANNOTATION, ANNOTATION_FILTERS, LIST_ANNOTATIONS
from inspector.web.notes.views import forget_markers, since_text
from inspector.web.responses import serve
from inspector.web.routing import Routes
from inspector.web.state import Rendered, state

__all__ = ["api", "forms"]

api = Routes("api")
forms = Routes("notes")

_ATTRIBUTES: Final = NewNoteAttributes.__required_keys__ | NewNoteAttributes.__optional_keys__
_MAX_SINCE: Final = (1 << 64) - 1
#: Longest ``next`` a note form may send back to (a page's path and query).
_MAX_NEXT: Final = 4000


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


def _resource(annotation: Annotation, tags: dict[tuple[str, str], Tag | None]) -> dict[str, Any]:
    links = {
        "tag": url_for("api.get_tag", name=annotation.tag, db=annotation.db),
        "html": annotation.plot or url_for("pages.tag_page", name=annotation.tag, db=annotation.db),
    }
    attributes = NoteAttributes(
        db=annotation.db,
        tag=annotation.tag,
        target=annotation.target.value,
        since=annotation.since,
        since_text=since_text(annotation, tags),
        plot=annotation.plot,
        text=annotation.text,
        author=annotation.author,
        created=iso(annotation.created),
    )
    return resource("annotations", str(annotation.id), attributes, links=links)


def _since_filter(args: QueryArgs, name: str) -> int | None:
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


@api.get("/annotations", LIST_ANNOTATIONS)
def list_annotations() -> Response:
    """Notes, newest first, by database, tag, target and since range; paged."""
    args = api_args()
    paging = args.paging("annotations")
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
        [(k, args[k]) for k in ANNOTATION_FILTERS if args.get(k)],
        paging,
        total,
    )
    body = dumps(document(data, links=links, meta=page_meta(paging, total)))
    return serve(Rendered.of(body, MEDIA_TYPE), pinned=False)


@api.post("/annotations", ADD_ANNOTATION)
def add_annotation() -> Response:
    """Add a note (a JSON:API document); the author is the authenticated user."""
    identity = writer()
    if request.mimetype != MEDIA_TYPE:
        raise UnsupportedMediaType(f"send the note as a JSON:API document ({MEDIA_TYPE})")
    attributes = _attributes(request.get_data(cache=False))
    note = state().annotations.add(_new_annotation(attributes), author=identity.user)
    forget_markers(note.db, note.tag)
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
    for name, value in attributes.items():
        if isinstance(value, str) and not _is_unicode(value):
            raise InvalidParameter(name, "contains a lone surrogate (\\ud800-\\udfff): not text")
    return attributes


def _is_unicode(text: str) -> bool:
    """Whether ``text`` can be encoded: JSON's ``"\\ud800"`` decodes to a string that cannot.

    Such a string fails wherever it is encoded (the database, a page), long
    after it was accepted: it is refused while the body is read.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@forms.post("/annotations")
def add_annotation_form() -> WerkzeugResponse:
    """The tag and plot pages' form: add the note, then go back to the page."""
    identity = writer()
    fields = {k: request.form.get(k, "") for k in ("db", "tag", "target", "since", "plot", "text")}
    back = _same_site_path(request.form.get("next", ""))  # checked before anything is stored
    note = state().annotations.add(_new_annotation(fields), author=identity.user)
    forget_markers(note.db, note.tag)
    return redirect(back or url_for("pages.tag_page", name=note.tag, db=note.db), code=303)


def _same_site_path(link: str) -> str | None:
    """``link`` if it is a path on this site, else ``None`` (the caller's own default).

    The form's ``next`` is sent back as a redirect, so anything else would
    make this server send its visitors elsewhere (an open redirect).  Browsers
    drop tabs and line breaks from a URL (``/<TAB>/evil.example`` is
    ``//evil.example``, another site) and read ``\\`` as ``/``; a line break
    also cannot go into a header.  So: one ``/``, then no second one, no
    backslash, no control character, no scheme or host.
    """
    if len(link) > _MAX_NEXT or not link.startswith("/") or link.startswith("//"):
        return None
    if "\\" in link or any(unicodedata.category(c) in ("Cc", "Cs") for c in link):
        return None
    parts = urlsplit(link)
    return link if not parts.scheme and not parts.netloc else None
