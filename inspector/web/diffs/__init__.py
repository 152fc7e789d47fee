"""Diffs of two tags or two global tags: ``/api/v1/diff/...`` and the ``/diff/...`` pages."""

from inspector.web.diffs import api, openapi, pages
from inspector.web.routing import Area

__all__ = ["AREA"]

AREA = Area("diffs", (api.api, pages.pages), openapi.schemas)
