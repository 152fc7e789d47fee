"""The configured certification files by name, read from the ``[certification]`` table.

::

    [certification.golden_2026]
    path = "var/demo-golden.json"      # relative to the configuration file
    description = "Golden JSON of the demo runs"

Each file is read and checked when the configuration is loaded, so a typo
in a file or a broken file stops the server at start with a message naming
it, instead of failing the first plot that asks for it.  A file that does
not exist *yet* is different: the demo's golden JSON is written by
``inspector demo-db``, and a configuration naming it must still load before
that (to build the demo, among others).  Such a name is kept as missing and
a plot asking for it gets :class:`CertificationUnavailable` (503) naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from inspector.certification.golden import Certification, load_certification
from inspector.config_tables import check_table
from inspector.errors import CertificationUnavailable, ConfigError, InvalidParameter

__all__ = ["CertificationUnavailable", "Certifications", "parse_certification_table"]

_KEYS: Final = frozenset({"path", "description"})
#: Names go into URLs (``cert=golden_2026``): keep them plain.
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Certifications(Mapping[str, Certification]):
    """Read-only name → :class:`Certification`, with an error that lists the known names.

    Only files that could be read are items; ``missing`` maps the names whose
    file does not exist to its path.
    """

    def __init__(
        self,
        items: Mapping[str, Certification] | None = None,
        missing: Mapping[str, Path] | None = None,
    ) -> None:
        self._items = dict(items or {})
        self.missing: Mapping[str, Path] = dict(missing or {})

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
            if name in self.missing:
                raise CertificationUnavailable(name, self.missing[name]) from None
            known = ", ".join(sorted(self._items)) or "none are configured"
            raise InvalidParameter(
                parameter, f"unknown certification {name!r} (known: {known})"
            ) from None


def parse_certification_table(entry: Any, base_dir: Path, where: str) -> Certifications:
    """Validate ``[certification]`` and load every file it names."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: [certification] must be a table of named files")
    loaded: dict[str, Certification] = {}
    missing: dict[str, Path] = {}
    for name, spec in entry.items():
        if not _NAME.match(name):
            raise ConfigError(
                f"{where}: [certification.{name}]: a name uses letters, digits, '_', '.', '-' "
                "(at most 64 characters)"
            )
        spec = check_table(spec, f"certification.{name}", _KEYS, where)
        path = spec.get("path")
        if not isinstance(path, str) or not path:
            raise ConfigError(f"{where}: [certification.{name}] needs 'path', a file name")
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise ConfigError(f"{where}: [certification.{name}] description must be a string")
        file = base_dir / Path(path).expanduser()
        if not file.exists():
            missing[name] = file
            continue
        loaded[name] = load_certification(name, file, description)
    return Certifications(loaded, missing)
