"""``inspector serve``: the web server over the configured databases."""

from __future__ import annotations

import dataclasses

import click

from inspector.cli.context import CliContext, db_option, pass_cli

__all__ = ["serve_command"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads/--no-threads",
    default=True,
    show_default=True,
    help="Answer requests in parallel threads.",
)
@db_option
@pass_cli
def serve_command(
    cli: CliContext, host: str, port: int, threads: bool, db_alias: str | None
) -> None:
    """Serve the web UI and the JSON API (never in debug mode)."""
    from werkzeug.serving import run_simple

    from inspector.web.app import create_app

    config = cli.config
    if db_alias is not None:
        config.database(db_alias)  # unknown alias: a clear error before starting
        config = dataclasses.replace(config, default_database=db_alias)
    db = cli.database(config.default_database)
    db.search_tags(page_size=1)  # fail now, with a message, if the database is unusable
    app = create_app(config, cli.plugins)  # engine limits: the [engine] table of the config
    # Flask reads FLASK_DEBUG from the environment when the app is built; a
    # debug app shows more than it should to whoever can reach the port.
    app.debug = False
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.echo(f"Payload Inspector serving database {db.alias!r} ({db.location})")
    click.echo(f"Open http://{shown}:{port}/ in your browser (Ctrl-C to stop)")
    run_simple(host, port, app, threaded=threads, use_debugger=False, use_reloader=False)
