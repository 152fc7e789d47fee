"""The Flask application factory.

``create_app()`` builds an app over a configuration and the loaded plugins;
nothing is global, so tests build as many apps as they like.  The core does
the work (:class:`~inspector.engine.Engine`); blueprints are thin edges.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from inspector import __version__
from inspector.config import Config, load_config
from inspector.engine import EngineSettings
from inspector.plugin import Plugins, load_plugins
from inspector.web.assets import assets, bokeh_scripts
from inspector.web.errors import install_error_handlers
from inspector.web.state import EXTENSION, WebState

__all__ = ["create_app"]


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
    settings = settings or EngineSettings(**config.engine.settings_kwargs())
    if plugins is None:
        plugins = load_plugins()
        plugins.add_layouts(config.layout_folders)
    web = WebState(config, plugins, settings)
    app.extensions[EXTENSION] = web

    from inspector.web.api import api
    from inspector.web.diff_api import STATUS_FILTER  # noqa: F401  (adds the diff routes to api)
    from inspector.web.diff_pages import diffs
    from inspector.web.health import health
    from inspector.web.metrics import install_metrics
    from inspector.web.notes import notes_forms  # also adds /api/v1/annotations to `api`
    from inspector.web.pages import pages
    from inspector.web.runs_pages import runs_pages
    from inspector.web.stats import stats

    app.register_blueprint(assets)
    app.register_blueprint(pages)
    app.register_blueprint(diffs)
    app.register_blueprint(runs_pages)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(stats)
    app.register_blueprint(health)
    app.register_blueprint(notes_forms)
    install_metrics(app)  # after the blueprints: it counts their caches too
    install_error_handlers(app)

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
    return app


def _utc(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
