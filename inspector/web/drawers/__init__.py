"""The installed drawers: ``/api/v1/drawers`` and each drawer's page (``/drawers/<name>``)."""

from inspector.web.drawers import openapi, pages, routes
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("drawers", (routes.api, pages.pages), openapi.schemas)
