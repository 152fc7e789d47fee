"""BokehJS served from the installed bokeh package: no CDN, works offline.

The URL carries the Bokeh version, so browsers may cache the files forever
and an upgrade changes the URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import bokeh
from flask import Response, abort, send_from_directory

from inspector.web.responses import IMMUTABLE, serve
from inspector.web.routing import Routes
from inspector.web.state import Rendered, state

__all__ = ["BOKEH_FILES", "BOKEH_VERSION", "assets", "bokeh_scripts"]

BOKEH_VERSION: Final = bokeh.__version__
BOKEH_DIR: Final = Path(bokeh.__file__).parent / "server" / "static" / "js"
BOKEH_FILES: Final = (
    "bokeh.min.js",
    "bokeh-widgets.min.js",
    "bokeh-tables.min.js",
    "bokeh-gl.min.js",
)

assets = Routes("assets")


@assets.get("/static/bokeh/<version>/<name>")
def bokeh_js(version: str, name: str) -> Response:
    """One BokehJS file of the installed version."""
    if version != BOKEH_VERSION or name not in BOKEH_FILES:
        abort(404)
    response = send_from_directory(BOKEH_DIR, name, mimetype="text/javascript")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@assets.get("/geometry/<name>.<digest>.json")
def geometry(name: str, digest: str) -> Response:
    """A detector layout for the maps, under a content-addressed URL."""
    encoded = state().geometry_json(name)
    if digest != encoded.digest:
        abort(404)
    return serve(Rendered.of(encoded.body, "application/json"), pinned=True)


@assets.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on their own; answer with the app's icon."""
    static = Path(__file__).parent.parent / "static"
    response = send_from_directory(static, "favicon.svg", mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def bokeh_scripts() -> list[str]:
    """URLs of the BokehJS files a page loads, in order."""
    return [f"/static/bokeh/{BOKEH_VERSION}/{name}" for name in BOKEH_FILES]
