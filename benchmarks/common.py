"""Shared helpers for the benchmarks: best-of timing and a results table."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A measured ratio and the bound it must respect."""

    name: str
    value: float
    bound: float
    at_least: bool

    @property
    def met(self) -> bool:
        """Whether the measurement respects the bound."""
        return self.value >= self.bound if self.at_least else self.value <= self.bound

    def line(self) -> str:
        """One printable result line."""
        op = ">=" if self.at_least else "<="
        verdict = "ok" if self.met else "MISSED"
        return f"  {self.name:<44} {self.value:>10.1f}   target {op} {self.bound:g}   {verdict}"


def report(targets: list[Target]) -> int:
    """Print every target's line; the exit status: 0 when all are met."""
    for target in targets:
        print(target.line())
    return 0 if all(t.met for t in targets) else 1


def best_of(func: Callable[[], object], repeat: int = 5) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds (least disturbed run)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best
