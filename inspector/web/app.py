"""The Flask application factory.

``create_app()`` builds an app over a configuration and the loaded plugins;
nothing is global, so tests build as many apps as they like.  The core does
the work (:class:`~inspector.engine.Engine`); the areas are thin edges.

Every route the app serves is declared by one of the areas in :data:`AREAS`
and registered from that list (:func:`~inspector.web.routing.register_areas`):
importing a module adds no route to any app.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from inspector import __version__
from inspector.conddb import GlobalTag
from inspector.config import Config, load_config
from inspector.engine import EngineSettings
from inspector.plugin import Plugins, load_plugins
from inspector.web import (
    assets,
    diffs,
    drawers,
    globaltags,
    jobs,
    meta,
    notes,
    ops,
    payloads,
    plots,
    runs,
    tags,
    watch,
)
from inspector.web.assets import bokeh_scripts
from inspector.web.docstrings import docstring_html
from inspector.web.errors import install_error_handlers
from inspector.web.limits import install_rate_limits
from inspector.web.routing import Area, register_areas
from inspector.web.state import EXTENSION, WebState

__all__ = ["AREAS", "create_app"]

#: Every area of the web layer, in the order of the OpenAPI document's paths.
#: ``ops`` comes last: its metrics count the caches the other areas set up.
AREAS: tuple[Area, ...] = (
    meta.AREA,
    payloads.AREA,
    drawers.AREA,
    plots.AREA,
    jobs.AREA,
    globaltags.AREA,
    tags.AREA,
    diffs.AREA,
    notes.AREA,
    runs.AREA,
    watch.AREA,
    assets.AREA,
    ops.AREA,
)


def create_app(
    config: Config | None = None,
    plugins: Plugins | None = None,
    *,
    settings: EngineSettings | None = None,
    flask_config: dict[str, Any] | None = None,
) -> Flask:
    """A Payload Inspector web app (defaults: the found configuration, all plugins).

    Engine limits come from ``settings`` when given, else from the
    configuration's ``[engine]`` table.
    """
    app = Flask(__name__)
    app.config.update(
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.config.update(flask_config or {})
    config = config or load_config()
    # Explicit settings (tests, embedding) win; otherwise the [engine] table of
    # the configuration, whose unset keys keep EngineSettings' defaults.
    settings = settings or config.engine
    if plugins is None:
        plugins = load_plugins()
        plugins.add_layouts(config.layout_folders)
    web = WebState(config, plugins, settings)
    app.extensions[EXTENSION] = web

    register_areas(app, AREAS)
    install_error_handlers(app)
    install_rate_limits(app)  # after the routes: it wraps the expensive families' views

    @app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        return {
            "bokeh_scripts": bokeh_scripts(),
            "version": __version__,
            "databases": web.config.databases,
            "default_db": web.config.default_database,
        }

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' "
            "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'self'; frame-ancestors 'self'",
        )
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.jinja_env.filters["utc"] = _utc
    app.jinja_env.filters["docstring"] = docstring_html
    app.jinja_env.filters["snapshot"] = _snapshot
    return app


def _utc(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _snapshot(gt: GlobalTag) -> str:
    """A global tag's snapshot as people read it: "latest" for the far-future "no snapshot"."""
    if gt.sees_every_upload:
        return "latest (sees every upload)"
    return f"{_utc(gt.snapshot_time)} UTC"
