"""The terminal progress of ``inspector plot``: done/total, bar, percentage, ETA."""

from __future__ import annotations

import io

from inspector.cli.progress import TerminalProgress, progress_line


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_line_has_count_percentage_bar_and_eta() -> None:
    assert progress_line(0, 20, 0.0) == (
        "reducing payloads: 0/20 (0%) [....................] ETA ?"
    )
    assert progress_line(5, 20, 2.0) == (
        "reducing payloads: 5/20 (25%) [#####...............] ETA 6 s"
    )
    assert progress_line(20, 20, 8.04) == (
        "reducing payloads: 20/20 (100%) [####################] done in 8.0 s"
    )


def test_a_terminal_redraws_one_line_with_a_growing_eta_estimate() -> None:
    stream, clock = Tty(), Clock()
    progress = TerminalProgress(stream, clock)
    for done in range(1, 5):
        clock.now += 1.0
        progress(done, 4)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("done in 4.0 s\n")
    assert "\rreducing payloads: 1/4 (25%) [#####...............] ETA 3 s" in text
    assert "\rreducing payloads: 3/4 (75%) [###############.....] ETA 1 s" in text


def test_a_log_gets_a_first_line_then_one_per_tenth() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = TerminalProgress(stream, clock)
    for done in range(1, 101):
        progress(done, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("reducing payloads: 100/100 (100%)")
    assert "\r" not in stream.getvalue()
