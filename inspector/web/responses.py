"""Serving cached bytes: gzip when accepted, ETag, and cache lifetimes."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from inspector.web.jsonapi import MEDIA_TYPE, dumps
from inspector.web.state import Rendered

__all__ = ["IMMUTABLE", "SHORT", "send_document", "serve"]

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=30"


def serve(rendered: Rendered, *, pinned: bool, download: str | None = None) -> Response:
    """A response for ``rendered``: 304 on a matching ETag, gzip if accepted (and useful).

    Pinned plots (a snapshot in the past) never change: they are cacheable
    for a year.  Others may change when new IOVs arrive: 30 seconds.
    """
    response = Response(mimetype=rendered.mimetype)
    response.set_etag(rendered.etag)
    response.headers["Cache-Control"] = IMMUTABLE if pinned else SHORT
    response.headers["Vary"] = "Accept-Encoding"
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    if request.if_none_match.contains(rendered.etag):
        response.status_code = 304
        return response
    if rendered.gzipped and request.accept_encodings["gzip"]:
        response.set_data(rendered.gzipped)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response.set_data(rendered.body)
    return response


def send_document(doc: dict[str, Any], *, pinned: bool = False) -> Response:
    """A JSON:API document as a response (ETag, gzip, cache lifetime by ``pinned``)."""
    return serve(Rendered.of(dumps(doc), MEDIA_TYPE), pinned=pinned)
