"""What a re-read configuration changed, as one line for the server log.

``inspector serve`` re-reads its configuration on SIGHUP
(:mod:`inspector.cli.serve`); the operator who sent the signal wants to see
in the log that the edit they made is the one that was taken, e.g.
``aliases +online -old; watch +demo/BeamSpotObjects_PCL_byLumi_v1; [engine]``.
Named items (aliases, watched tags, certification files) are listed by name
with ``+`` (added), ``-`` (removed) or ``~`` (changed); every other table is
named when anything in it differs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from inspector.config import Config

__all__ = ["config_changes"]

#: Config fields itemised by name below, not merely named as a changed table.
_ITEMISED: Final = frozenset({"databases", "certifications", "watch", "default_database", "source"})
#: Config fields whose TOML table has another name.
_TABLE_NAMES: Final = {"layout_folders": "payloads"}


def config_changes(old: Config, new: Config) -> str:
    """``old`` → ``new`` in one line; ``"unchanged"`` when nothing differs."""
    parts = [
        _named_changes("aliases", old.databases, new.databases),
        _named_changes("watch", _watched(old), _watched(new)),
        _named_changes("certification", _certified(old), _certified(new)),
    ]
    if old.default_database != new.default_database:
        parts.append(f"default_database {old.default_database} -> {new.default_database}")
    parts.extend(f"[{table}]" for table in _changed_tables(old, new))
    return "; ".join(part for part in parts if part) or "unchanged"


def _named_changes(label: str, old: Mapping[str, object], new: Mapping[str, object]) -> str:
    """``label +added -removed ~changed`` over two name → value mappings (empty: no change)."""
    added = [f"+{name}" for name in new if name not in old]
    removed = [f"-{name}" for name in old if name not in new]
    changed = [f"~{name}" for name in new if name in old and old[name] != new[name]]
    items = added + removed + changed
    return f"{label} {' '.join(items)}" if items else ""


def _watched(config: Config) -> dict[str, object]:
    """The ``[[watch]]`` entries by ``db/tag`` (what makes one entry unique)."""
    return {f"{t.db}/{t.tag}": t for t in config.watch.tags}


def _certified(config: Config) -> dict[str, object]:
    """Each certification name with what identifies its content (files compare by digest)."""
    present: dict[str, object] = {
        name: (cert.path, cert.sha256, cert.description)
        for name, cert in config.certifications.items()
    }
    missing = {name: (path, None) for name, path in config.certifications.missing.items()}
    return {**present, **missing}


def _changed_tables(old: Config, new: Config) -> list[str]:
    """The other tables (by their TOML name) whose settings differ."""
    tables = [
        _TABLE_NAMES.get(f.name, f.name)
        for f in dataclasses.fields(Config)
        if f.name not in _ITEMISED and getattr(old, f.name) != getattr(new, f.name)
    ]
    if old.watch.after_newest_run_hours != new.watch.after_newest_run_hours:
        tables.append("watch_clock")
    return tables
