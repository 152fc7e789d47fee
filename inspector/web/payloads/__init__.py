"""Payloads: ``/api/v1/payloads/{hash}`` and the payload page (layout, field summaries)."""

from inspector.web.payloads import openapi, routes
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("payloads", (routes.api, routes.pages), openapi.schemas)
