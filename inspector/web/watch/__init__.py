"""The calibration watch: ``/api/v1/watch`` and the ``/watch`` page (docs/runs-and-watch.md)."""

from inspector.web.routing import Area
from inspector.web.watch import openapi, routes
from inspector.web.watch.routes import WATCH_CLOCK

__all__ = ["AREA", "WATCH_CLOCK"]

AREA = Area("watch", (routes.api, routes.pages), openapi.schemas)
