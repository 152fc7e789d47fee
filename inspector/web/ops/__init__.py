"""For operators: ``/healthz``, ``/readyz``, ``/_stats`` and ``/metrics`` (not part of the API)."""

from inspector.web.ops import health, metrics, stats
from inspector.web.routing import Area

__all__ = ["AREA"]

#: Last in ``AREAS``: its set-up counts the caches every other area added.
AREA = Area("ops", (health.health, stats.stats, metrics.metrics), setup=metrics.install_metrics)
