"""``inspector copy-db SOURCE --url URL``: copy a conditions database to another backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.decorators import FC

from inspector.cli.context import CliContext, pass_cli
from inspector.cli.progress import StepProgress
from inspector.conddb import ConditionsDB, open_database
from inspector.conddb.copy import BATCH_ROWS, CopySummary, copy_database
from inspector.conddb.engines import writer_engine
from inspector.context import resolve_database
from inspector.database_config import parse_database

__all__ = ["copy_db", "copy_to_url", "target_options"]

_URL_HELP = "Target database URL, without password (e.g. postgresql+psycopg://loader@host/db)."
_URL_HELP = "Target database URL, without password (e.g. postgresql+psycopg://loader@host/db)."
_TARGET_OPTIONS = [
    click.option("--user", help="User name at the target (replaces the URL's)."),
    click.option(
        "--password-env", metavar="VARIABLE", help="Read the password from this variable."
    ),
    click.option(
        "--password-file",
        type=click.Path(dir_okay=False),
        help="Read the password from this file.",
    ),
    click.option(
        "--schema", "target_schema", metavar="OWNER", help="Create the tables under OWNER."
    ),
]


def target_options(*, url_required: bool) -> Callable[[FC], FC]:
    """The options naming the target database, shared by ``copy-db`` and ``demo-db --url``."""

    def add(func: FC) -> FC:
        for option in reversed(_TARGET_OPTIONS):
            func = option(func)
        return click.option("--url", required=url_required, help=_URL_HELP)(func)

    return add


def copy_to_url(
    source: ConditionsDB, options: dict[str, Any], *, batch_rows: int = BATCH_ROWS
) -> CopySummary:
    """Copy ``source`` to the target the ``options`` name, then say what was copied."""
    entry = {
        key: options[key]
        for key in ("url", "user", "password_env", "password_file")
        if options.get(key) is not None
    }
    target = parse_database("target", entry, Path.cwd(), "--url")
    engine = writer_engine(target)
    try:
        summary = copy_database(
            source,
            engine,
            target_schema=options.get("target_schema"),
            force=bool(options.get("force")),
            batch_rows=batch_rows,
            progress=StepProgress(),
        )
    finally:
        engine.dispose()
    shown = engine.url.render_as_string(hide_password=True)
    skipped = f"; absent from the source: {', '.join(summary.skipped)}" if summary.skipped else ""
    click.echo(
        f"copied {summary.total_rows} rows in {len(summary.rows)} tables to {shown} "
        f"({summary.seconds:.1f} s){skipped}"
    )
    return summary


@click.command("copy-db")
@click.argument("source")
@target_options(url_required=True)
@click.option("--force", is_flag=True, help="Drop CondDB tables the target already fills.")
@click.option(
    "--batch-size",
    default=BATCH_ROWS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows per INSERT batch (batches of large payloads end early).",
)
@pass_cli
def copy_db(cli: CliContext, /, source: str, batch_size: int, **options: Any) -> None:
    """Copy every conditions table of SOURCE (an alias or a SQLite file) to --url.

    The tables are created at the target; a target that already holds
    conditions data is refused unless --force.  Progress goes to stderr.
    """
    db = _source(cli, source)
    try:
        copy_to_url(db, options, batch_rows=batch_size)
    finally:
        db.close()


def _source(cli: CliContext, source: str) -> ConditionsDB:
    """A configured alias, else an existing SQLite file."""
    return open_database(resolve_database(cli.config, source)[1])
