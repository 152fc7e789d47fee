"""Progress lines on stderr for the commands that build or copy databases."""

from __future__ import annotations

import sys

import click

__all__ = ["StepProgress"]


class StepProgress:
    """One status line per step (``step: done/total``), rewritten in place on a terminal.

    Off a terminal (logs, CI) each step prints its start and its end only,
    so a long copy does not flood the log with thousands of lines.
    """

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
