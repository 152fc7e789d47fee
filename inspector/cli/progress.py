"""Progress on stderr for long commands.

- :class:`TerminalProgress`: a long history (``done/total``, a bar, a
  percentage, an ETA);
- :class:`StepProgress`: the steps of building or copying a database.

On a terminal one line is redrawn in place; into a file or a pipe (logs, CI)
few lines are written, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Final, TextIO

import click

__all__ = ["StepProgress", "TerminalProgress", "progress_line"]

BAR_WIDTH: Final = 20


def progress_line(done: int, total: int, elapsed: float) -> str:
    """``reducing payloads: 8/20 (40%) [########............] ETA 3 s``."""
    total = max(total, 1)
    fraction = min(done / total, 1.0)
    filled = int(fraction * BAR_WIDTH)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    if done >= total:
        tail = f"done in {elapsed:.1f} s"
    elif done == 0:
        tail = "ETA ?"
    else:
        tail = f"ETA {elapsed * (total - done) / done:.0f} s"
    return f"reducing payloads: {done}/{total} ({int(100 * fraction)}%) [{bar}] {tail}"


class TerminalProgress:
    """The engine's ``progress(done, total)`` drawn on ``stream`` (default: stderr)."""

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.clock = clock
        self.started = clock()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        line = progress_line(done, total, self.clock() - self.started)
        if self.tty:
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{line}{end}")
            self.stream.flush()
            return
        tenth = 10 * done // max(total, 1)
        if tenth != self.shown or done >= total:
            self.shown = tenth
            self.stream.write(line + "\n")


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
