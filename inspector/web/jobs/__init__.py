"""Heavy plots as background jobs: ``/api/v1/jobs/{ident}``, the web edge of inspector.jobs."""

from inspector.web.jobs import openapi, routes
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("jobs", (routes.api,), openapi.schemas)
