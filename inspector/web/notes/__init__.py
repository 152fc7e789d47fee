"""Notes on tags, IOVs and plots: ``/api/v1/annotations``, the page forms, the plot markers."""

from inspector.web.notes import openapi, routes, views
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area(
    "notes",
    (routes.api, routes.forms),
    openapi.schemas,
    security=openapi.security_schemes,
    setup=views.setup,
)
