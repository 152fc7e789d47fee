"""BokehJS, detector layouts and the icon, served by the app itself (no CDN, works offline)."""

from inspector.web.assets import routes
from inspector.web.assets.routes import BOKEH_FILES, BOKEH_VERSION, bokeh_scripts
from inspector.web.routing import Area

__all__ = ["AREA", "BOKEH_FILES", "BOKEH_VERSION", "bokeh_scripts"]

AREA = Area("assets", (routes.assets,))
