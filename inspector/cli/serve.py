"""``inspector serve``: the web server over the configured databases (gunicorn).

Always gunicorn, one worker by default: the same server, logs, graceful
stops and metrics whether one process or many (see
:mod:`inspector.cli.gunicorn_server` and docs/deploy.md).

What the workers serve is read and checked once in the master by
:func:`checked_for_serving`, at start and again on each SIGHUP
(:class:`ServedApp`), so a reload passes exactly the checks a start does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import click
from flask import Flask

from inspector.annotations import AnnotationStore
from inspector.cli.context import CliContext, db_option, pass_cli
from inspector.cli.gunicorn_server import ServeOptions, run_server
from inspector.config import Config
from inspector.config_changes import config_changes
from inspector.plugin import Plugins

__all__ = [
    "ServedApp",
    "Serving",
    "build_app",
    "checked_for_serving",
    "prepare_own_databases",
    "request_threads",
    "serve_command",
]

#: Request threads per worker kept free of expensive work: with every
#: admission slot taken (``[engine] workers × admitted_per_worker``), these
#: still answer ``/healthz``, cache hits and the fast 503 of a refusal.
RESERVED_THREADS = 4


def request_threads(config: Config) -> int:
    """Threads per worker with ``--threads``: every admission slot, plus :data:`RESERVED_THREADS`.

    Fewer threads than slots would let expensive requests take every thread
    before admission refuses any (measured: 8 slots in 8 threads left
    ``/healthz`` waiting 1.9 s behind 32 connections of cold renders).
    """
    return config.engine.admission_slots + RESERVED_THREADS


def prepare_own_databases(config: Config) -> None:
    """Create the app's own databases (the notes) once, here, before the workers fork.

    Each worker opens them again when it builds its app; by then the tables
    exist, so workers never race to create them (issue 18: two of fourteen
    fresh four-worker starts failed that way).  A notes database this version
    cannot use is refused here, with its message, before anything starts.
    """
    if config.annotations is not None:
        AnnotationStore(config.annotations.url).close()


def build_app(config: Config, plugins: Plugins) -> Flask:
    """The app one worker serves (built after the fork; never in debug mode)."""
    from inspector.web.app import create_app

    app = create_app(config, plugins)  # engine limits: the [engine] table of the config
    # Flask reads FLASK_DEBUG from the environment when the app is built; a
    # debug app shows more than it should to whoever can reach the port.
    app.debug = False
    return app


@dataclass(frozen=True)
class Serving:
    """A configuration that passed the start-up checks, and the plugins loaded with it."""

    config: Config
    plugins: Plugins
    #: Where the default database is (its file, or its URL without password).
    location: str


def checked_for_serving(cli: CliContext, db_alias: str | None) -> Serving:
    """The configuration and plugins to serve, every start-up check passed; ``cli`` closed.

    The configuration file is parsed whole (aliases, watch entries,
    certification files, every table), ``db_alias`` (``--db``) must be one of
    its aliases, the default database must answer a query and the notes
    database must be usable.  Any failure is an :class:`InspectorError` with
    its message.  Nothing opened here stays open: no connection may cross
    the fork.
    """
    try:
        config = cli.config
        if db_alias is not None:
            config.database(db_alias)  # unknown alias: a clear error before starting
            config = dataclasses.replace(config, default_database=db_alias)
        db = cli.database(config.default_database)
        db.search_tags(page_size=1)  # fail now, with a message, if the database is unusable
        plugins = cli.plugins  # loaded here; workers inherit them when forked
    finally:
        cli.close()
    prepare_own_databases(config)  # opened and closed: nothing crosses the fork
    return Serving(config, plugins, db.location)


class ServedApp:
    """What the workers build their app from; re-read by the master on SIGHUP.

    Held by the gunicorn master (:class:`inspector.cli.gunicorn_server.AppSource`):
    a reload replaces the configuration and plugins only once the new ones
    passed :func:`checked_for_serving`, so a broken file leaves the old ones
    (and the workers built from them) in place.
    """

    def __init__(self, cli: CliContext, db_alias: str | None) -> None:
        self._config_path = cli.config_path
        self._db_alias = db_alias
        self.serving = checked_for_serving(cli, db_alias)

    def __call__(self) -> Flask:
        """The app of one worker (built after the fork)."""
        return build_app(self.serving.config, self.serving.plugins)

    def reload(self) -> str:
        """Read the configuration file again; keep it if it passes; what changed, in a line."""
        fresh = checked_for_serving(CliContext(config_path=self._config_path), self._db_alias)
        change = config_changes(self.serving.config, fresh.config)
        self.serving = fresh
        return change


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (each with its own engine and caches; see docs/deploy.md).",
)
@click.option(
    "--threads/--no-threads",
    default=True,
    show_default=True,
    help="Answer requests in threads (one per admission slot, plus "
    f"{RESERVED_THREADS} for cheap requests) in each worker, else one at a time.",
)
@click.option(
    "--graceful-timeout",
    default=30,
    show_default=True,
    type=click.IntRange(0, 3600),
    help="Seconds in-flight requests may take to finish after SIGTERM.",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="One line per request on stderr, with its latency.",
)
@db_option
@pass_cli
def serve_command(
    cli: CliContext,
    host: str,
    port: int,
    workers: int,
    threads: bool,
    graceful_timeout: int,
    access_log: bool,
    db_alias: str | None,
) -> None:
    """Serve the web UI and the JSON API (never in debug mode; SIGHUP: re-read the config)."""
    served = ServedApp(cli, db_alias)
    alias, location = served.serving.config.default_database, served.serving.location
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.echo(f"Payload Inspector serving database {alias!r} ({location})")
    click.echo(f"Open http://{shown}:{port}/ in your browser (Ctrl-C to stop)")
    options = ServeOptions(
        host=host,
        port=port,
        workers=workers,
        threads=request_threads(served.serving.config) if threads else 1,
        graceful_timeout=graceful_timeout,
        access_log=access_log,
    )
    run_server(served, options)
