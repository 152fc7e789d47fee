"""Per-client rate limits of the expensive route families (Flask-Limiter), from ``[limits]``.

The families and their endpoints are declared once in
:mod:`inspector.rate_limits`; here each configured family's limit is
shared by its view functions.  A client past its limit gets a 429 with
``Retry-After`` and the usual error body (JSON:API under ``/api``, a page
elsewhere).  Counts live in the Redis of ``[cache] redis_url`` when one is
configured (every worker and machine counting together; a Redis that is
away falls back to memory and never fails a request), in memory otherwise.
Without ``[limits]`` nothing is installed at all.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from inspector.engine.shared_cache import redis_options
from inspector.rate_limits import FAMILIES
from inspector.web.state import state

__all__ = ["install_rate_limits"]

_EXTENSION = "payload_inspector.limiter"


def install_rate_limits(app: Flask) -> Limiter | None:
    """Limit ``app``'s route families as ``[limits]`` says (after every route is registered)."""
    config = state(app).config
    if not config.limits.enabled:
        return None
    uri, options = _storage(app)
    limiter = Limiter(
        get_remote_address,
        app=app,
        headers_enabled=True,
        storage_uri=uri,
        storage_options=options,
        swallow_errors=True,  # a storage failure lets the request through, logged
        in_memory_fallback_enabled=True,
    )
    for family, limit in config.limits.limits.items():
        shared = limiter.shared_limit(limit, scope=family)
        for endpoint in FAMILIES[family]:
            view = app.view_functions.get(endpoint)
            if view is not None:
                limited: Any = shared(view)
                app.view_functions[endpoint] = limited
    app.extensions[_EXTENSION] = limiter
    return limiter


def _storage(app: Flask) -> tuple[str, Any]:
    """Where the counts live: the ``[cache]`` Redis (with its credentials), else memory."""
    cache = state(app).config.cache
    if cache.redis_url is None:
        return "memory://", {}
    return cache.redis_url, {k: v for k, v in redis_options(cache).items() if v is not None}
