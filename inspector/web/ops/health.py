"""``GET /healthz`` and ``GET /readyz``: probes for process managers and load balancers.

Two questions, two routes, as Kubernetes and most load balancers expect:

- **liveness** (``/healthz``): is this process able to answer at all?  It
  touches no database and no cache, so a slow or down database never gets a
  healthy process restarted.  Always 200 while the process serves.
- **readiness** (``/readyz``): should traffic be sent here?  200 when every
  configured database answers a one-row query, else 503 naming the aliases
  that did not.  Each check runs in its own thread with a deadline
  (:data:`READY_TIMEOUT`), so a database host that swallows packets makes
  the probe fail in seconds rather than hang.  The shared Redis cache is
  reported but never makes a process unready: without it the server only
  computes more.

Both answer JSON and are never cached by clients::

    {"status": "unready", "databases": {"demo": {"ready": true},
                                        "gone": {"ready": false, "error": "..."}},
     "unready": ["gone"], "shared_cache": "off"}

Error texts are the public ones (no file paths or hosts); the full reason is
logged for the operator.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Final

from flask import Response

from inspector.errors import InspectorError
from inspector.web.jsonapi import dumps
from inspector.web.routing import Routes
from inspector.web.state import WebState, state

__all__ = ["READY_TIMEOUT", "database_readiness", "health"]

health = Routes("health")
log = logging.getLogger(__name__)

#: Seconds the readiness probe waits for all databases together.
READY_TIMEOUT: Final = 5.0


def _json(body: dict[str, Any], status: int) -> Response:
    response = Response(dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@health.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers (no database or cache is touched)."""
    return _json({"status": "ok"}, 200)


def _check(web: WebState, alias: str, results: dict[str, dict[str, Any]]) -> None:
    """One database's readiness into ``results`` (run in its own thread)."""
    try:
        web.engine.database(alias).search_tags(page_size=1)
    except InspectorError as exc:
        log.warning("readiness: database %r: %s", alias, exc)
        results[alias] = {"ready": False, "error": exc.public_message}
    except Exception as exc:  # a probe answers whatever the driver raises
        log.warning("readiness: database %r: %s: %s", alias, type(exc).__name__, exc)
        results[alias] = {"ready": False, "error": f"{type(exc).__name__} while querying"}
    else:
        results[alias] = {"ready": True}


def database_readiness(web: WebState, timeout: float = READY_TIMEOUT) -> dict[str, dict[str, Any]]:
    """``{alias: {"ready": bool, "error"?: str}}`` for every configured database."""
    results: dict[str, dict[str, Any]] = {}
    threads = [
        threading.Thread(target=_check, args=(web, alias, results), daemon=True, name="readyz")
        for alias in web.config.databases
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.0))
    for alias in web.config.databases:
        results.setdefault(alias, {"ready": False, "error": f"no answer within {timeout:g} s"})
    return {alias: results[alias] for alias in web.config.databases}


@health.get("/readyz")
def readyz() -> Response:
    """Readiness: every configured database reachable → 200, else 503 naming them."""
    web = state()
    databases = database_readiness(web)
    unready = [alias for alias, result in databases.items() if not result["ready"]]
    shared = web.engine.shared
    body: dict[str, Any] = {
        "status": "unready" if unready else "ready",
        "databases": databases,
        "unready": unready,
        "shared_cache": "off"
        if shared is None
        else ("up" if shared.available and shared.ping() else "down"),
    }
    response = _json(body, 503 if unready else 200)
    if unready:
        response.headers["Retry-After"] = "5"
    return response
