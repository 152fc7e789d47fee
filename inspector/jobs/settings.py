"""The ``[jobs]`` table of the configuration: when a plot is heavy, and pool bounds.

Example (every key optional)::

    [jobs]
    heavy_mb = 64        # uncached payload bytes above which a history runs as a job
    workers = 2          # jobs running at once (their own pool, not the drawer pool)
    queue = 16           # jobs waiting for a worker; more is a 503 with Retry-After
    keep_seconds = 600   # how long a finished job stays readable
    keep = 256           # finished jobs kept at most (oldest forgotten first)
    keep_mb = 4          # MiB of finished jobs kept at most (a job holds its whole request)
    time_limit = 900     # seconds one job may compute (drawer limits still apply per call)
    lease_seconds = 10   # with [cache] redis_url: a queue worker silent this long has died
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Final

from inspector.config_tables import check_table
from inspector.errors import ConfigError

__all__ = ["JobSettings"]

_MiB: Final = 1 << 20
#: Keys whose zero would mean "never": no worker, a lease that is always expired.
_AT_LEAST_ONE: Final = ("workers", "lease_seconds")


@dataclass(frozen=True)
class JobSettings:
    """Bounds of the job pool and the heaviness threshold (see the module docstring)."""

    heavy_mb: float = 64.0
    workers: int = 2
    queue: int = 16
    keep_seconds: float = 600.0
    keep: int = 256
    keep_mb: float = 4.0
    time_limit: float = 900.0
    #: With a Redis queue (``[cache] redis_url``): how long a queue worker's
    #: heartbeat holds its job; a job whose worker stayed silent longer is
    #: retried once elsewhere (docs/jobs.md).
    lease_seconds: int = 10

    @property
    def heavy_bytes(self) -> int:
        """The threshold in bytes."""
        return int(self.heavy_mb * _MiB)

    @property
    def keep_bytes(self) -> int:
        """The finished jobs' budget in bytes."""
        return int(self.keep_mb * _MiB)

    @classmethod
    def from_table(cls, table: Any, where: str = "configuration") -> JobSettings:
        """Validate a ``[jobs]`` table; every wrong key or value is named."""
        known = {f.name: f.type for f in fields(cls)}
        table = check_table(table, "jobs", known, where)
        values: dict[str, Any] = {}
        for key, value in table.items():
            whole = known[key] == "int"
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{where}: [jobs] {key} must be a number, not {value!r}")
            if whole and not isinstance(value, int):
                raise ConfigError(f"{where}: [jobs] {key} must be a whole number, not {value!r}")
            if not math.isfinite(value) or value < 0 or (key in _AT_LEAST_ONE and value < 1):
                lowest = 1 if key in _AT_LEAST_ONE else 0
                raise ConfigError(
                    f"{where}: [jobs] {key} must be a finite number of at least {lowest}, "
                    f"not {value!r}"
                )
            values[key] = value if whole else float(value)
        return cls(**values)
