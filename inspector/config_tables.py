"""Checks shared by every configuration table, with one wording.

``[certification]``, ``[annotations]`` and ``[auth]`` are parsed by their own
packages, and ``[jobs]`` and ``[png]`` by the parts they configure; the
packages that :mod:`inspector.config` imports cannot import it back, so what
all tables check alike lives here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from inspector.errors import ConfigError

__all__ = ["check_table", "reject_unknown"]


def check_table(entry: Any, name: str, known: Collection[str], where: str) -> Mapping[str, Any]:
    """An optional ``[name]`` table: a table (``None`` is empty) with ``known`` keys only."""
    if entry is None:
        return {}
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: [{name}] must be a table")
    reject_unknown(entry, known, f"[{name}]", where)
    return entry


def reject_unknown(
    entry: Mapping[str, Any], known: Collection[str], label: str, where: str
) -> None:
    """A :class:`ConfigError` naming the keys of ``entry`` (shown as ``label``) not in ``known``."""
    unknown = set(entry) - set(known)
    if unknown:
        raise ConfigError(
            f"{where}: {label} unknown key(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(known))})"
        )
