"""Who is writing a note: an identified user, and only from this site's own pages.

Reading is open.  Adding a note needs an identified user
(:class:`~inspector.annotations.Authenticator`): a bearer token, or the
user header of a trusted single-sign-on proxy.  The proxy's identity comes
with every request the browser sends, including ones another site makes it
send, so writes carried by it must come from this site's own pages: the
browser's ``Sec-Fetch-Site`` must say ``same-origin``, or, from browsers
without it, ``Origin`` must be this server.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from inspector.annotations import Forbidden, Identity, Unauthorized
from inspector.web.state import state

__all__ = ["current_writer", "writer"]


def current_writer() -> Identity | None:
    """The identified user of this request, ``None`` when anonymous or not valid."""
    try:
        return state().auth.identify(request.remote_addr, _headers())
    except Unauthorized:
        return None


def writer() -> Identity:
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
