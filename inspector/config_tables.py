"""Checks shared by the configuration tables that live beside their features.

``[certification]``, ``[annotations]`` and ``[auth]`` are parsed by their own
packages (which :mod:`inspector.config` imports, so they cannot import it);
this module holds what they check alike, with the same wording as the rest
of the configuration.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from inspector.errors import ConfigError

__all__ = ["checked_table"]


def checked_table(entry: Any, known: Collection[str], where: str, table: str) -> Mapping[str, Any]:
    """``entry`` as a table holding only ``known`` keys; a :class:`ConfigError` names the rest."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: [{table}] must be a table")
    unknown = set(entry) - set(known)
    if unknown:
        raise ConfigError(
            f"{where}: [{table}] unknown key(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(known))})"
        )
    return entry
