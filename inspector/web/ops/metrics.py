"""``GET /metrics``: Prometheus text format, summed over every worker process.

What is measured (all names start with ``inspector_``):

- ``http_request_duration_seconds{endpoint, method, status}`` — histogram of
  request latency by Flask endpoint (the matched route's name, or
  ``unmatched``), method (:data:`METHODS`, anything else ``other``) and
  status class (``2xx`` ... ``5xx``);
- ``cache_events_total{cache, tier, outcome}`` — every lookup of every cache:
  tier ``local`` (``hit``, ``miss``, ``joined``, ``error``) and, with the
  shared cache configured, tier ``redis`` (``hit``, ``miss``, ``error``,
  ``bypassed`` while the breaker is open, ``corrupt``; for writes ``queued``,
  ``too_large``, ``dropped``, and then ``stored`` or ``store_error``);
- ``plot_compute_seconds{drawer, outcome}`` — histogram of the time the engine
  took for a plot, by drawer (a registered one, else ``other``), ``ok`` or
  ``error`` (cache hits do not compute and are not counted here).

Every label set is closed (:class:`ClosedLabel`): a series costs memory in
every worker, bytes in the multiprocess files and time in every scrape, so a
label must never take a value a client chose.  Methods, endpoints, status
classes, drawers and cache names are folded to sets fixed when the app is set
up; tiers and outcomes are literals of the cache code.  Before this, 30,000
requests with made-up methods grew a worker by 300 MB (issue 18;
docs/reliability.md has the numbers).

Counters are incremented as things happen (cache listeners, engine plot
observers, request hooks), never computed at scrape time, because under
gunicorn a scrape reaches one worker only: in prometheus_client's
multiprocess mode every worker writes its samples to memory-mapped files in
``PROMETHEUS_MULTIPROC_DIR`` and the scrape sums the files of all workers,
dead ones included (so counters never go backwards when a worker restarts).
``inspector serve`` creates that directory per server and removes it on exit
(:mod:`inspector.cli.gunicorn_server`).  Without the variable (tests, a
single process) the samples live in this module's own registry.

The variable must be set before ``prometheus_client`` is first imported in
the process (the library picks its storage then); :func:`install_metrics`
refuses to run in the inconsistent state rather than export per-worker
numbers that look summed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector

from inspector.engine import SingleFlight
from inspector.web.ops.access import refusal
from inspector.web.routing import Routes
from inspector.web.state import state

__all__ = [
    "METHODS",
    "MULTIPROCESS_ENV",
    "STATUS_CLASSES",
    "ClosedLabel",
    "install_metrics",
    "metrics",
    "metrics_text",
    "multiprocess_mode",
]

metrics = Routes("metrics")

MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

#: This process's samples when not in multiprocess mode.
_REGISTRY: Final = CollectorRegistry()

#: Latency buckets from a cached answer (sub-millisecond) to a cold history.
_REQUEST_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
)
_PLOT_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

REQUEST_SECONDS: Final = Histogram(
    "inspector_http_request_duration_seconds",
    "Time to answer an HTTP request, by Flask endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=_REQUEST_BUCKETS,
    registry=_REGISTRY,
)
CACHE_EVENTS: Final = Counter(
    "inspector_cache_events",
    "Cache lookups and shared-cache writes, by cache, tier (local, redis) and outcome.",
    ["cache", "tier", "outcome"],
    registry=_REGISTRY,
)
PLOT_SECONDS: Final = Histogram(
    "inspector_plot_compute_seconds",
    "Time the engine took to compute a plot (cache misses only), by drawer and outcome.",
    ["drawer", "outcome"],
    buckets=_PLOT_BUCKETS,
    registry=_REGISTRY,
)

ADMISSION_REFUSED: Final = Counter(
    "inspector_admission_refused",
    "Expensive requests refused at once with 503 (every slot taken), by gate (plots, png).",
    ["gate"],
    registry=_REGISTRY,
)


@dataclass(frozen=True)
class ClosedLabel:
    """The values one metric label may take; anything else is counted as ``fallback``."""

    values: frozenset[str]
    fallback: str = "other"

    @classmethod
    def of(cls, values: Iterable[str], fallback: str = "other") -> ClosedLabel:
        """The closed set of ``values`` (and ``fallback``)."""
        return cls(frozenset(values), fallback)

    def fold(self, value: str | None) -> str:
        """``value`` if it is one of the set, else the fallback."""
        return value if value is not None and value in self.values else self.fallback


#: The methods HTTP clients use (RFC 9110 and PATCH); a made-up method is ``other``.
METHODS: Final = ClosedLabel.of(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
#: Status codes by class: ``404`` and ``418`` are both ``4xx``.
STATUS_CLASSES: Final = ClosedLabel.of(("1xx", "2xx", "3xx", "4xx", "5xx"))


def status_class(code: int) -> str:
    """``"2xx"`` for 200-299 and so on; a code outside 100-599 is ``other``."""
    return STATUS_CLASSES.fold(f"{code // 100}xx" if code >= 100 else None)


@dataclass(frozen=True)
class _AppLabels:
    """The closed label sets that depend on the app: its routes, drawers and caches."""

    endpoints: ClosedLabel
    drawers: ClosedLabel
    caches: ClosedLabel

    def count_cache_event(self, cache: str, tier: str, outcome: str, count: int) -> None:
        CACHE_EVENTS.labels(self.caches.fold(cache), tier, outcome).inc(count)

    def observe_plot(self, drawer: str, seconds: float, ok: bool) -> None:
        PLOT_SECONDS.labels(self.drawers.fold(drawer), "ok" if ok else "error").observe(seconds)

    def observe_request(self, response: Response) -> Response:
        started = g.pop("inspector_started", None)
        if started is not None:
            REQUEST_SECONDS.labels(
                self.endpoints.fold(request.endpoint),
                METHODS.fold(request.method),
                status_class(response.status_code),
            ).observe(time.perf_counter() - started)
        return response


def multiprocess_mode() -> bool:
    """Whether samples are shared between processes (``PROMETHEUS_MULTIPROC_DIR`` set)."""
    return bool(os.environ.get(MULTIPROCESS_ENV))


def _start_timer() -> None:
    g.inspector_started = time.perf_counter()


def _caches(app: Flask) -> Iterator[SingleFlight[object]]:
    """Every SingleFlight cache of the app: engine, web state and the areas' extensions."""
    web = state(app)
    for holder in (vars(web.engine), vars(web), app.extensions):
        for value in holder.values():
            if isinstance(value, SingleFlight):
                yield value


def install_metrics(app: Flask) -> None:
    """Count ``app``'s requests, cache lookups and plot computations.

    Run after every other area's set-up, so the caches they add are counted too.
    """
    if multiprocess_mode() and values.ValueClass is values.MutexValue:
        raise RuntimeError(
            f"{MULTIPROCESS_ENV} was set after prometheus_client was imported: "
            "metrics would not be summed over processes"
        )
    caches = list(_caches(app))
    engine = state(app).engine
    labels = _AppLabels(
        endpoints=ClosedLabel.of((rule.endpoint for rule in app.url_map.iter_rules()), "unmatched"),
        drawers=ClosedLabel.of(drawer.name for drawer in engine.plugins.drawers),
        # the shared cache's namespaces are the names of the caches it serves
        caches=ClosedLabel.of(cache.name for cache in caches),
    )
    for cache in caches:
        cache.add_listener(labels.count_cache_event)
    if engine.shared is not None:  # what its writer thread did with queued values
        engine.shared.add_listener(labels.count_cache_event)
    engine.plot_observers.append(labels.observe_plot)
    for gate in state(app).gates:  # fixed labels: the gates' own names
        gate.add_listener(lambda name: ADMISSION_REFUSED.labels(name).inc())
    app.before_request(_start_timer)
    app.after_request(labels.observe_request)


@metrics.get("/metrics")
def metrics_text() -> Response:
    """Every metric in the Prometheus text format (all workers' samples summed).

    ``[ops] access`` may restrict it (:mod:`inspector.web.ops.access`).
    """
    if (refused := refusal()) is not None:
        return refused
    if multiprocess_mode():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = _REGISTRY
    response = Response(generate_latest(registry), mimetype="text/plain")
    response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response
