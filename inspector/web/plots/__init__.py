"""Plots: ``/api/v1/plots/{drawer}``, the plot page, its drawing and its exports."""

from inspector.web.plots import api, openapi, pages
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("plots", (api.api, pages.pages), openapi.schemas, setup=api.setup)
