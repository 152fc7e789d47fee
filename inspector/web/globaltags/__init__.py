"""Global tags: ``/api/v1/globaltags`` and the global-tag pages."""

from inspector.web.globaltags import openapi, routes
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("globaltags", (routes.api, routes.pages), openapi.schemas)
