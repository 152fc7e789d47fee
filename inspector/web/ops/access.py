"""Who may read ``/metrics`` and ``/_stats``: the ``[ops] access`` setting, checked per request.

What the setting means, and why it exists, is in :mod:`inspector.ops_settings`.
A refusal is a 403 with a JSON:API error body saying what the route needs,
never which token would have matched.  The probes do not call this: load
balancers reach them without credentials.
"""

from __future__ import annotations

import ipaddress

from flask import Response, request

from inspector.secrets import token_matches
from inspector.web.errors import json_error
from inspector.web.state import state

__all__ = ["refusal"]


def _from_loopback(peer: str | None) -> bool:
    try:
        return peer is not None and ipaddress.ip_address(peer).is_loopback
    except ValueError:  # a unix socket peer, or nothing
        return False


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else ""


def refusal() -> Response | None:
    """``None`` when this request may read the operators' routes, else its 403 answer."""
    settings = state().config.ops
    if settings.access == "loopback" and not _from_loopback(request.remote_addr):
        return json_error(403, "Forbidden", f"{request.path} answers local requests only")
    if settings.access == "token":
        token, digest = _bearer_token(), settings.token_digest
        if not token or digest is None or not token_matches(token, digest):
            return json_error(
                403, "Forbidden", f"{request.path} needs 'Authorization: Bearer <ops token>'"
            )
    return None
