"""The calibration watch's settings: the ``[[watch]]`` tags and the ``[watch_clock]`` table.

Owned here, beside the watch that reads them, and checked when the
configuration loads (:func:`inspector.config.load_config` calls
:func:`parse_watch_tables`): every wrong key or value is named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from inspector.config_tables import reject_unknown
from inspector.database_config import DatabaseConfig
from inspector.errors import ConfigError

__all__ = ["WatchConfig", "WatchedTag", "parse_watch_tables"]


@dataclass(frozen=True)
class WatchedTag:
    """One ``[[watch]]`` entry: a tag expected to follow the runs (docs/runs-and-watch.md)."""

    db: str
    tag: str
    max_latency_hours: float
    stale_after_hours: float | None = None


@dataclass(frozen=True)
class WatchConfig:
    """The calibration watch: watched tags and, for archived databases, the clock.

    ``after_newest_run_hours`` set means "now" is that long after the end of
    each database's newest run (a frozen demo database stays meaningful);
    unset, "now" is the real UTC time.
    """

    tags: tuple[WatchedTag, ...] = ()
    after_newest_run_hours: float | None = None


_WATCH_KEYS: Final = frozenset({"db", "tag", "max_latency_hours", "stale_after_hours"})
_WATCH_CLOCK_KEYS: Final = frozenset({"after_newest_run_hours"})


def parse_watch_tables(
    entries: Any, clock: Any, databases: Mapping[str, DatabaseConfig], default: str, where: str
) -> WatchConfig:
    """The ``[[watch]]`` entries and the ``[watch_clock]`` table, each value checked."""
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ConfigError(f"{where}: watch must be an array of tables ([[watch]])")
    tags = tuple(
        _parse_watched(n, entry, databases, default, where) for n, entry in enumerate(entries, 1)
    )
    seen: set[tuple[str, str]] = set()
    for t in tags:
        if (t.db, t.tag) in seen:
            raise ConfigError(f"{where}: [[watch]] tag {t.tag!r} of database {t.db!r} is twice")
        seen.add((t.db, t.tag))
    if not isinstance(clock, Mapping):
        raise ConfigError(f"{where}: [watch_clock] must be a table")
    reject_unknown(clock, _WATCH_CLOCK_KEYS, "[watch_clock]", where)
    after = clock.get("after_newest_run_hours")
    hours = None if after is None else _hours(after, "[watch_clock] after_newest_run_hours", where)
    return WatchConfig(tags, hours)


def _hours(value: Any, name: str, where: str, *, positive: bool = False) -> float:
    """A finite number of hours (not negative; ``positive``: above zero)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: {name} must be a finite number of hours, not {value!r}")
    if value < 0 or (positive and value == 0):
        bound = "greater than 0" if positive else "at least 0"
        raise ConfigError(f"{where}: {name} must be {bound}, not {value!r}")
    return float(value)


def _parse_watched(
    n: int,
    entry: Mapping[str, Any],
    databases: Mapping[str, DatabaseConfig],
    default: str,
    where: str,
) -> WatchedTag:
    table = f"[[watch]] #{n}"
    reject_unknown(entry, _WATCH_KEYS, table, where)
    db = entry.get("db", default)
    if db not in databases:
        known = ", ".join(sorted(databases))
        raise ConfigError(f"{where}: {table} db {db!r} is not in [databases] ({known})")
    tag = entry.get("tag")
    if not isinstance(tag, str) or not tag.strip():
        raise ConfigError(f'{where}: {table} needs tag = "<tag name>"')
    if "max_latency_hours" not in entry:
        raise ConfigError(f"{where}: {table} needs max_latency_hours")
    latency = _hours(entry["max_latency_hours"], f"{table} max_latency_hours", where, positive=True)
    stale = entry.get("stale_after_hours")
    stale_hours = None if stale is None else _hours(stale, f"{table} stale_after_hours", where)
    if stale_hours is not None and stale_hours <= latency:
        raise ConfigError(
            f"{where}: {table} stale_after_hours ({stale_hours:g}) must be greater than "
            f"max_latency_hours ({latency:g})"
        )
    return WatchedTag(str(db), tag.strip(), latency, stale_hours)
