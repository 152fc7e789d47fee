"""The API's front door: ``GET /api/v1`` (links to every collection) and the OpenAPI document."""

from inspector.web.meta import openapi, routes
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("meta", (routes.api,), openapi.schemas)
