"""``inspector demo-db PATH``: build the realistic demo conditions database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from inspector.cli.output import human_bytes

__all__ = ["demo_db"]


class _Progress:
    """One status line per build step, rewritten in place on a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.step = ""

    def __call__(self, step: str, done: int, total: int) -> None:
        line = f"{step}: {done}/{total}"
        if self.tty:
            click.echo(f"\r\033[K{line}", nl=done >= total, err=True)
        elif step != self.step or done >= total:
            click.echo(line if done >= total else f"{step}: 0/{total}", err=True)
        self.step = step


@click.command("demo-db")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
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
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def demo_db(path: Path, seed: int, scale: float, force: bool) -> None:
    """Build a realistic demo conditions database (SQLite) at PATH."""
    from inspector.demo import build_demo_database

    summary = build_demo_database(
        path, seed=seed, scale=scale, overwrite=force, progress=_Progress()
    )
    click.echo(
        f"demo database written to {summary.path} "
        f"({human_bytes(summary.path.stat().st_size)}, {summary.seconds:.1f} s)"
    )
    if summary.golden is not None:
        click.echo(f"certified runs (golden JSON) written to {summary.golden}")
