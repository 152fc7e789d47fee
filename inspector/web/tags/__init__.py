"""Tags and their IOVs: the home page's tag search, the tag page, ``/api/v1/tags``."""

from inspector.web.routing import Area
from inspector.web.tags import api, openapi, pages

__all__ = ["AREA"]

AREA = Area("tags", (api.api, pages.pages), openapi.schemas)
