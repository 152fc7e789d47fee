"""The installed drawers: ``/api/v1/drawers`` (the pages list them by payload type)."""

from inspector.web.drawers import openapi, routes
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("drawers", (routes.api,), openapi.schemas)
