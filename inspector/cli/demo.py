"""``inspector demo-db PATH`` (or ``--url URL``): build the realistic demo conditions database."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from inspector.cli.copy import copy_to_url, target_options
from inspector.cli.output import human_bytes
from inspector.cli.progress import StepProgress
from inspector.conddb import open_database
from inspector.config import DatabaseConfig
from inspector.demo.long_history import LONG_HISTORY_IOVS, LONG_TAG
from inspector.errors import BadRequest

__all__ = ["demo_db"]


@click.command("demo-db")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--seed",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Random seed: the same seed builds the same database.",
)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 4, min_open=True),
    help="Multiplies the numbers of runs, IOVs and payloads (modules stay all real).",
)
@click.option(
    "--long-history",
    is_flag=True,
    help=f"Also add {LONG_TAG} ({LONG_HISTORY_IOVS:,} lumi IOVs over four years; "
    "about a minute more).",
)
@click.option("--force", is_flag=True, help="Replace PATH (or the --url tables) if it exists.")
@target_options(url_required=False)
def demo_db(
    path: Path | None, seed: int, scale: float, long_history: bool, force: bool, **target: Any
) -> None:
    """Build a realistic demo conditions database (SQLite) at PATH, or load it into --url.

    With --url the database is built in a temporary SQLite file, then copied
    (as ``inspector copy-db`` would) into the server database at URL.
    """
    from inspector.demo import build_demo_database

    long_iovs = LONG_HISTORY_IOVS if long_history else 0
    if (path is None) == (target["url"] is None):
        raise BadRequest("give either PATH (a SQLite file) or --url (a server database)")
    if path is None:
        with tempfile.TemporaryDirectory(prefix="inspector-demo-") as folder:
            built = build_demo_database(
                Path(folder) / "demo.sqlite",
                seed=seed,
                scale=scale,
                long_history_iovs=long_iovs,
                progress=StepProgress(),
            )
            click.echo(f"demo database built ({built.seconds:.1f} s); copying to the target")
            db = open_database(DatabaseConfig("demo", f"sqlite:///{built.path}"))
            try:
                copy_to_url(db, {**target, "force": force})
            finally:
                db.close()
        return
    summary = build_demo_database(
        path,
        seed=seed,
        scale=scale,
        long_history_iovs=long_iovs,
        overwrite=force,
        progress=StepProgress(),
    )
    click.echo(
        f"demo database written to {summary.path} "
        f"({human_bytes(summary.path.stat().st_size)}, {summary.seconds:.1f} s)"
    )
    if summary.golden is not None:
        click.echo(f"certified runs (golden JSON) written to {summary.golden}")
