"""Checks shared by every configuration table, with one wording.

``[certification]``, ``[annotations]`` and ``[auth]`` are parsed by their own
packages, and ``[engine]``, ``[jobs]``, ``[png]``, ``[ops]`` and ``[[watch]]`` by the
parts they configure, each into its own typed settings class; the packages
that :mod:`inspector.config` imports cannot import it back, so what all
tables check alike lives here.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from inspector.errors import ConfigError

__all__ = ["check_table", "checked_number", "reject_unknown"]

#: A numeric key's rule: (whole numbers only?, smallest allowed value, is that bound exclusive?)
NumberRule = tuple[bool, float, bool]


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


def checked_number(table: str, key: str, value: Any, rule: NumberRule, where: str) -> Any:
    """One numeric value of a table, checked against ``(whole, lowest, exclusive)``."""
    whole, lowest, exclusive = rule
    # bool is an int to Python, but `workers = true` is a mistake, not 1.
    wrong_kind = whole and not isinstance(value, int)
    if isinstance(value, bool) or not isinstance(value, int | float) or wrong_kind:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{where}: [{table}] {key} must be {kind}, not {value!r}")
    if not math.isfinite(value):  # TOML has inf and nan; no limit or budget is either
        raise ConfigError(f"{where}: [{table}] {key} must be a finite number, not {value!r}")
    if value < lowest or (exclusive and value == lowest):
        bound = f"greater than {lowest:g}" if exclusive else f"at least {lowest:g}"
        raise ConfigError(f"{where}: [{table}] {key} must be {bound}, not {value!r}")
    return value if whole else float(value)
