"""The ``[limits]`` table: per-client rate limits of the expensive route families.

Example (every key optional; without the table, or with a key left out,
that family has no rate limit)::

    [limits]
    plots = "60/minute"            # plot pages, their drawings, /api/v1/plots/...
    exports = "20/minute;200/hour" # /plot/.../export.{json,csv,html,png,...}
    diffs = "30/minute"            # tag and global-tag diffs, page and API
    iovs = "120/minute"            # IOV lists: tag pages, timelines, /api/v1/tags/.../iovs

A value is a rate-limit string of the ``limits`` library (``N/second``,
``N per minute``, several joined by ``;``).  Each family's limit is shared
by its routes and counted per client address, in the Redis of ``[cache]
redis_url`` when one is configured (so every worker counts together), in
the process's memory otherwise.  ``/healthz``, ``/readyz`` and
``/metrics`` are in no family: they are never limited.

Apart from the web wiring (:mod:`inspector.web.limits`) so that the
configuration checks the table when it loads without importing Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from limits import parse_many

from inspector.config_tables import check_table
from inspector.errors import ConfigError

__all__ = ["FAMILIES", "RateLimits"]

#: The route families and their Flask endpoints: declared once, here.
FAMILIES: Final[Mapping[str, tuple[str, ...]]] = {
    "plots": ("pages.plot_page", "pages.plot_item", "api.plot_resource"),
    "exports": ("pages.plot_export",),
    "diffs": (
        "api.diff_tags",
        "api.diff_global_tags",
        "diffs.tag_diff_page",
        "diffs.global_tag_diff_page",
    ),
    "iovs": ("api.list_iovs", "pages.tag_page", "pages.tag_timeline"),
}


@dataclass(frozen=True)
class RateLimits:
    """Each family's limit string (absent: not limited); see the module docstring."""

    limits: Mapping[str, str] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """Whether any family is limited at all."""
        return bool(self.limits)

    @classmethod
    def from_table(cls, table: Any, where: str = "configuration") -> RateLimits:
        """Validate a ``[limits]`` table; a wrong family or limit string is named."""
        table = check_table(table, "limits", FAMILIES, where)
        values: dict[str, str] = {}
        for family, text in table.items():
            if not isinstance(text, str) or not text.strip():
                raise ConfigError(
                    f'{where}: [limits] {family} must be a rate such as "60/minute", not {text!r}'
                )
            try:
                parse_many(text)
            except ValueError as exc:
                raise ConfigError(
                    f'{where}: [limits] {family} = {text!r} is not a rate such as "60/minute" '
                    f'or "10/second;100/hour" ({exc})'
                ) from None
            values[family] = text.strip()
        return cls(values)
