"""The run context: ``/api/v1/runs`` (runs, fills, readiness) and the run pages."""

from inspector.web.routing import Area
from inspector.web.runs import api, openapi, pages

__all__ = ["AREA"]

AREA = Area("runs", (api.api, pages.pages), openapi.schemas)
