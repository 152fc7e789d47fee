"""``GET /_stats``: cache counters and resident memory, for load tests and operators.

Why a separate, internal route rather than part of ``/api/v1``: the API is a
public contract described by its OpenAPI document, while these numbers are
implementation details (cache names and budgets change as the engine does).
They exist so that a load test, or someone watching a busy server, can see
whether the caches do their job (hit rates) and whether memory stays within
the configured budgets.  ``[ops] access`` can keep it to loopback or to a
bearer token (:mod:`inspector.ops_settings`).  The route is read-only, cheap (one lock per cache
for a counter snapshot) and never cached by clients.

The answer::

    {"caches": {"decoded": {"hits": 10, "misses": 2, "joined": 0, "errors": 0,
                            "entries": 2, "size": 1048576, "max_size": 67108864,
                            "hit_rate": 0.833}, ...},
     "pid": 4242, "rss_bytes": 123456789, "peak_rss_bytes": 150000000,
     "gc": {"frozen": 251234, "counts": [312, 4, 1]}, "switch_interval_seconds": 0.0005,
     "shared_cache": null}

``pid`` names the process that answered: under ``inspector serve --workers
N`` each worker keeps its own caches and answers ``/_stats`` for itself
only, so a reader that wants the whole server (the load test) needs one
answer per worker and tells them apart by it.

``gc`` says how many objects the worker froze out of the garbage
collector's scans at start-up (:mod:`inspector.web.settle`; 0 outside
``inspector serve``) and the collector's generation counts;
``switch_interval_seconds`` the GIL's switch interval it set.

``shared_cache`` holds the Redis tier's counters by namespace (``rendered``,
``reductions``) and event, and whether its breaker lets calls through, when
the configuration has a ``[cache]`` table
(:meth:`~inspector.engine.shared_cache.SharedCache.stats`).

``size`` and ``max_size`` are bytes for byte-bounded caches and entries for
the TTL caches (IOV lists, latest plots), as :class:`~inspector.engine.CacheStats`
reports them.  Memory figures are ``null`` where ``/proc`` is not available.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any, Final

from flask import Response, current_app

from inspector.engine import CacheStats, SingleFlight
from inspector.web.jsonapi import dumps
from inspector.web.ops.access import refusal
from inspector.web.routing import Routes
from inspector.web.state import state

__all__ = ["cache_report", "peak_resident_bytes", "resident_bytes", "stats"]

stats = Routes("stats")

_STATM: Final = Path("/proc/self/statm")
_STATUS: Final = Path("/proc/self/status")


def resident_bytes() -> int | None:
    """Resident set size of this process now (``/proc/self/statm``), or ``None``.

    ``statm`` is read rather than ``/proc/self/status`` because it is one line
    of page counts: no parsing of labels, and no allocation worth noticing
    while the server is being measured.
    """
    try:
        fields = _STATM.read_text(encoding="ascii").split()
    except OSError:
        return None
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_resident_bytes() -> int | None:
    """Highest resident set size this process has reached, or ``None``.

    Sampling ``rss_bytes`` can miss a short peak between two samples; the
    kernel's high-water mark (``VmHWM`` in ``/proc/self/status``) cannot.
    Read from ``/proc`` like ``rss_bytes``, so both figures come from the same
    accounting and are absent together on systems without it.
    """
    try:
        lines = _STATUS.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # the kernel always writes kB
    return None


def _as_dict(s: CacheStats) -> dict[str, Any]:
    return {
        "hits": s.hits,
        "misses": s.misses,
        "joined": s.joined,
        "errors": s.errors,
        "entries": s.entries,
        "size": s.size,
        "max_size": s.max_size,
        "hit_rate": round(s.hit_rate, 4),
    }


def cache_report() -> dict[str, dict[str, Any]]:
    """Counters of every cache of the current app, by cache name.

    Besides the engine and web caches that :meth:`WebState.cache_stats` knows,
    areas may keep their own :class:`SingleFlight` caches as app
    extensions (the plots area keeps its API documents that way); those are
    found there, so a cache added by an area is reported without touching
    this module.
    """
    found = list(state().cache_stats())
    known = {s.name for s in found}
    for value in current_app.extensions.values():
        if isinstance(value, SingleFlight) and value.name not in known:
            found.append(value.stats())
            known.add(value.name)
    return {s.name: _as_dict(s) for s in found}


@stats.get("/_stats")
def stats_json() -> Response:
    """Cache counters and process memory as JSON (see the module docstring).

    ``[ops] access`` may restrict it (:mod:`inspector.web.ops.access`).
    """
    if (refused := refusal()) is not None:
        return refused
    body = {
        "caches": cache_report(),
        "pid": os.getpid(),
        "rss_bytes": resident_bytes(),
        "peak_rss_bytes": peak_resident_bytes(),
        # objects out of the collector's scans (inspector.web.settle), and its counts now
        "gc": {"frozen": gc.get_freeze_count(), "counts": list(gc.get_count())},
        "switch_interval_seconds": sys.getswitchinterval(),
        "shared_cache": shared.stats() if (shared := state().engine.shared) else None,
        "job_queue": queue.stats() if (queue := state().queue) else None,
    }
    response = Response(dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
