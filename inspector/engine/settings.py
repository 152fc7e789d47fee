"""The engine's settings: limits and cache budgets, and the ``[engine]`` table they come from.

Owned by the engine, with their defaults, and checked when the
configuration loads (``Config.engine`` is an :class:`EngineSettings`): the
one place both the file and code that builds an engine by hand read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from inspector.config_tables import NumberRule, check_table, checked_number
from inspector.errors import ConfigError

__all__ = ["EngineSettings"]

_MiB: Final = 1 << 20


@dataclass(frozen=True)
class EngineSettings:
    """Budgets and limits (see docs/engine.md)."""

    decoded_cache_bytes: int = 512 * _MiB
    reduction_cache_bytes: int = 64 * _MiB
    #: IOV lists are bounded by bytes: one of a 1.2-million-IOV tag is 34 MiB,
    #: one of a 3-IOV tag a few hundred bytes (``iov_cache_entries`` is gone).
    iov_cache_bytes: int = 64 * _MiB
    iov_cache_seconds: float = 30.0
    drawer_timeout: float = 60.0
    workers: int = 4
    #: Expensive requests (cold plots, PNGs, tag diffs, IOV lists read)
    #: admitted at once per drawer worker: ``workers × admitted_per_worker``
    #: slots, then a fast 503.  One, not two: under the GIL more concurrent
    #: renders per process add less throughput than they cost everything else
    #: (measured, 2 workers on 2 cores, 32 connections of distinct pinned
    #: renders: /healthz p99 541 ms with 8 slots per process, 16 ms with 4).
    admitted_per_worker: int = 1
    #: Most IOVs one history may hold; more is a 400 that names this limit
    #: and asks for since/until, never a silent truncation.  IOV lists read
    #: in packed columns (:mod:`inspector.conddb.iov_columns`): 0.4-0.7 s
    #: per million IOVs, 28 bytes per IOV kept (docs/engine.md).
    max_history_iovs: int = 5_000_000
    #: Most IOVs the tag page's timeline draws.  The tag page reads its whole
    #: tag on every visit (nobody asked for a plot yet), so it stays at a
    #: fraction of a second; above it the page says why and offers a history.
    max_timeline_iovs: int = 200_000

    @property
    def admission_slots(self) -> int:
        """How many expensive requests one process works on at once (more: 503)."""
        return self.workers * self.admitted_per_worker

    @classmethod
    def from_table(cls, table: Any, where: str = "configuration") -> EngineSettings:
        """The ``[engine]`` table, every value checked and named when wrong.

        Sizes are in MiB in the file (what people think in) and bytes here.
        """
        _refuse_replaced(table, where)
        table = check_table(table, "engine", _RULES, where)
        values: dict[str, Any] = {}
        for key, value in table.items():
            number = checked_number("engine", key, value, _RULES[key], where)
            if key.endswith("_mb"):
                values[key.removesuffix("_mb") + "_bytes"] = int(number * _MiB)
            else:
                values[key] = number
        return cls(**values)


#: ``[engine]`` keys and their rules.  A zero timeout would fail every plot and
#: zero workers would hang them all, so those must be positive; a cache of size
#: zero simply keeps nothing.
_RULES: Final[Mapping[str, NumberRule]] = {
    "drawer_timeout": (False, 0.0, True),
    "workers": (True, 1.0, False),
    "admitted_per_worker": (True, 1.0, False),
    "decoded_cache_mb": (False, 0.0, False),
    "reduction_cache_mb": (False, 0.0, False),
    "iov_cache_mb": (False, 0.0, False),
    "iov_cache_seconds": (False, 0.0, False),
    "max_history_iovs": (True, 1.0, False),
    "max_timeline_iovs": (True, 1.0, False),
}

#: Keys that were removed, and the key that governs in their place.
_REPLACED: Final[Mapping[str, str]] = {
    "iov_cache_entries": "iov_cache_mb (IOV lists are bounded by bytes, not by count)",
}


def _refuse_replaced(table: Any, where: str) -> None:
    """A :class:`ConfigError` naming the replacement of a removed key, before anything else."""
    if not isinstance(table, Mapping):
        return
    for key, replacement in _REPLACED.items():
        if key in table:
            raise ConfigError(f"{where}: [engine] {key} was removed: set {replacement}")
