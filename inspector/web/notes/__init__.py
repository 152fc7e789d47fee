"""Notes on tags, IOVs and plots: ``/api/v1/annotations``, the page forms and their help page,
the plot markers."""

from inspector.web.notes import help_page, openapi, routes, views
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area(
    "notes",
    (routes.api, routes.forms, help_page.help_pages),
    openapi.schemas,
    security=openapi.security_schemes,
    setup=views.setup,
)
