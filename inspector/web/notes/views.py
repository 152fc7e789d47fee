"""What pages and plots show of the notes: a tag's notes, and the markers on a history."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from flask import Flask, current_app

from inspector.annotations import Annotation, AnnotationFilter, Target
from inspector.conddb import Tag, format_since
from inspector.engine.cache import SingleFlight, ttl_cache
from inspector.errors import InspectorError
from inspector.render.bokeh_renderers import AnnotationMarker
from inspector.request import PlotRequest
from inspector.web.jsonapi import iso
from inspector.web.state import state

__all__ = [
    "MARKER_SECONDS",
    "forget_markers",
    "markers_fingerprint",
    "plot_markers",
    "setup",
    "since_text",
    "tag_notes",
]

#: Notes drawn on one plot at most (the newest), and shown on a tag page.
MAX_MARKERS: Final = 200
TAG_PAGE_NOTES: Final = 50
#: Hover text is cut here (the whole note is on the tag page and in the API).
MARKER_TEXT: Final = 200
#: How long a process reuses the markers of a tag: a note stored through
#: this process shows at once (its tag's markers are forgotten), one stored
#: through another process or machine within this many seconds.
MARKER_SECONDS: Final = 2.0
#: Bytes of markers one process keeps: a tag's markers take 40 bytes (none)
#: to about 100 kB (:data:`MAX_MARKERS` long notes), so hundreds of tags fit.
MARKER_CACHE_BYTES: Final = 4 << 20
_MARKERS: Final = "payload_inspector.note_markers"


def setup(app: Flask) -> None:
    """Each app keeps the markers of the tags drawn lately (see :data:`MARKER_SECONDS`)."""
    app.extensions[_MARKERS] = ttl_cache("note_markers", MARKER_CACHE_BYTES, MARKER_SECONDS)


def _markers() -> SingleFlight[tuple[AnnotationMarker, ...]]:
    cache: SingleFlight[tuple[AnnotationMarker, ...]] = current_app.extensions[_MARKERS]
    return cache


def forget_markers(db: str, tag: str) -> None:
    """Drop the cached markers of ``tag`` (a note was just stored for it)."""
    _markers().forget((db, tag))


def since_text(annotation: Annotation, tags: dict[tuple[str, str], Tag | None]) -> str | None:
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


def tag_notes(alias: str, tag: str) -> tuple[list[dict[str, Any]], int]:
    """The newest notes of a tag for its page (with their since written out), and how many."""
    store = state().annotations
    where = AnnotationFilter(db=alias, tag=tag)
    tags: dict[tuple[str, str], Tag | None] = {}
    rows = [
        {"note": a, "since_text": since_text(a, tags)}
        for a in store.list(where, limit=TAG_PAGE_NOTES)
    ]
    return rows, store.count(where)


def plot_markers(query: PlotRequest) -> tuple[AnnotationMarker, ...]:
    """Notes on the IOVs of a history's tag, as renderer markers (newest first).

    Only history drawers get markers.  The plot itself is not needed: the
    renderer draws the notes whose IOV is on the plot, so a pinned drawing
    served from the cache costs a cache lookup here (one small query every
    :data:`MARKER_SECONDS` per tag), not a recomputation.
    """
    if state().plugins.drawers.get(query.drawer).kind != "history":
        return ()
    with _markers().lookup((query.db, query.tag)) as slot:
        if slot.missing:
            slot.value = _read_markers(query.db, query.tag)
        return slot.value


def _read_markers(db: str | None, tag: str | None) -> tuple[AnnotationMarker, ...]:
    where = AnnotationFilter(db=db, tag=tag, target=Target.IOV)
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
