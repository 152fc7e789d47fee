"""The ``[png]`` table: which browser draws PNG exports, how many at once and waiting, how long.

Apart from :mod:`inspector.render.png` so that the configuration can check
the table when the file loads without importing the browser driver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from inspector.config_tables import check_table
from inspector.errors import ConfigError

__all__ = ["PngSettings"]


@dataclass(frozen=True)
class PngSettings:
    """The ``[png]`` table (see the module docstring)."""

    browser: str = "/usr/bin/chromium"
    concurrency: int = 2
    timeout: float = 30.0
    #: PNGs that may wait for one of the ``concurrency`` pages; one more is a fast 503.
    queue: int = 2

    @classmethod
    def from_table(cls, table: Any, where: str = "configuration") -> PngSettings:
        """Validate a ``[png]`` table; every wrong key or value is named."""
        table = check_table(table, "png", ("browser", "concurrency", "timeout", "queue"), where)
        browser = table.get("browser", cls.browser)
        concurrency = table.get("concurrency", cls.concurrency)
        timeout = table.get("timeout", cls.timeout)
        queue = table.get("queue", cls.queue)
        if not isinstance(browser, str) or not browser:
            raise ConfigError(f"{where}: [png] browser must be a path, not {browser!r}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(
                f"{where}: [png] concurrency must be a whole number of at least 1, "
                f"not {concurrency!r}"
            )
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise ConfigError(f"{where}: [png] timeout must be a positive number, not {timeout!r}")
        if isinstance(queue, bool) or not isinstance(queue, int) or queue < 0:
            raise ConfigError(
                f"{where}: [png] queue must be a whole number of at least 0, not {queue!r}"
            )
        return cls(browser, concurrency, float(timeout), queue)
