"""The configured certification files by name, read from the ``[certification]`` table.

::

    [certification.golden_2026]
    path = "var/demo-golden.json"      # relative to the configuration file
    description = "Golden JSON of the demo runs"

Each file is read and checked when the configuration is loaded, so a typo
or a broken file stops the server at start with a message naming it,
instead of failing the first plot that asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from inspector.certification.golden import Certification, load_certification
from inspector.config_tables import checked_table
from inspector.errors import ConfigError, InvalidParameter

__all__ = ["Certifications", "parse_certification_table"]

_KEYS: Final = frozenset({"path", "description"})
#: Names go into URLs (``cert=golden_2026``): keep them plain.
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Certifications(Mapping[str, Certification]):
    """Read-only name → :class:`Certification`, with an error that lists the known names."""

    def __init__(self, items: Mapping[str, Certification] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, name: str) -> Certification:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def get_named(self, name: str, parameter: str = "cert") -> Certification:
        """The certification ``name``; a 400 naming it and the configured ones otherwise."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none are configured"
            raise InvalidParameter(
                parameter, f"unknown certification {name!r} (known: {known})"
            ) from None


def parse_certification_table(entry: Any, base_dir: Path, where: str) -> Certifications:
    """Validate ``[certification]`` and load every file it names."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: [certification] must be a table of named files")
    loaded: dict[str, Certification] = {}
    for name, spec in entry.items():
        if not _NAME.match(name):
            raise ConfigError(
                f"{where}: [certification.{name}]: a name uses letters, digits, '_', '.', '-' "
                "(at most 64 characters)"
            )
        spec = checked_table(spec, _KEYS, where, f"certification.{name}")
        path = spec.get("path")
        if not isinstance(path, str) or not path:
            raise ConfigError(f"{where}: [certification.{name}] needs 'path', a file name")
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise ConfigError(f"{where}: [certification.{name}] description must be a string")
        loaded[name] = load_certification(name, base_dir / Path(path).expanduser(), description)
    return Certifications(loaded)
