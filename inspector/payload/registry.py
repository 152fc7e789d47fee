"""Where payload layouts are found: a registry keyed by object type.

Flat layouts are files named ``<ObjectType>.v<N>.toml`` and a payload row's
``version`` column picks among them; CMSSW archive layouts are files named
``<Name>.archive.toml`` (the object type is declared inside: real CMS type
names hold ``::`` and ``<>``) and ignore the version column, which CMSSW
fills with ``dummy``.  An object type has one kind of layout, never both.
The built-in layouts ship in the ``payload_schemas`` package; plugins add
folders of their own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Final

from inspector.errors import NotFound, SchemaError
from inspector.payload.archive.layout import (
    ArchiveLayout,
    load_archive_layout,
    parse_archive_layout,
)
from inspector.payload.schema import PayloadSchema, load_schema, parse_schema

__all__ = ["Layout", "SchemaRegistry", "builtin_schema_dir"]

#: Either kind of payload layout.
Layout = PayloadSchema | ArchiveLayout

_FILE_RE: Final = re.compile(r"^(?P<type>[A-Za-z_][\w:]*)\.v(?P<version>\d+)\.toml$")
_ARCHIVE_SUFFIX: Final = ".archive.toml"


def builtin_schema_dir() -> Path:
    """The folder of the schemas shipped with the product."""
    return Path(str(resources.files("payload_schemas")))


class SchemaRegistry:
    """Thread-safe mapping of ``(object_type, version)`` → schema."""

    def __init__(self, schemas: Iterable[Layout] = ()) -> None:
        self._lock = threading.Lock()
        self._schemas: dict[tuple[str, int], PayloadSchema] = {}
        self._archives: dict[str, ArchiveLayout] = {}
        for schema in schemas:
            self.add(schema)

    def __iter__(self) -> Iterator[Layout]:
        with self._lock:
            every: list[Layout] = [*self._schemas.values(), *self._archives.values()]
        return iter(sorted(every, key=lambda s: s.key))

    def __len__(self) -> int:
        return len(self._schemas) + len(self._archives)

    def flat(self) -> list[PayloadSchema]:
        """The flat layouts only, by object type and version."""
        return [s for s in self if isinstance(s, PayloadSchema)]

    def archives(self) -> list[ArchiveLayout]:
        """The CMSSW archive layouts only, by object type."""
        return [s for s in self if isinstance(s, ArchiveLayout)]

    def add(self, schema: Layout) -> None:
        """Register a layout; a different one for the same type (and version) is an error."""
        with self._lock:
            if isinstance(schema, ArchiveLayout):
                self._add_archive(schema)
                return
            if schema.object_type in self._archives:
                raise self._both(schema.object_type, schema.source)
            old = self._schemas.get(schema.key)
            if old is not None and old != schema:
                raise SchemaError(
                    f"{schema.object_type} v{schema.version} is declared twice "
                    f"({old.source} and {schema.source})"
                )
            self._schemas[schema.key] = schema

    def _add_archive(self, layout: ArchiveLayout) -> None:
        if any(t == layout.object_type for t, _ in self._schemas):
            raise self._both(layout.object_type, layout.origin)
        old = self._archives.get(layout.object_type)
        if old is not None and old != layout:
            raise SchemaError(
                f"{layout.object_type} is declared twice ({old.origin} and {layout.origin})"
            )
        self._archives[layout.object_type] = layout

    @staticmethod
    def _both(object_type: str, source: str) -> SchemaError:
        return SchemaError(
            f"{source}: {object_type} has both a flat and a CMSSW archive layout; "
            "an object type has one kind of layout"
        )

    def load_directory(self, folder: Path) -> list[Layout]:
        """Register every ``<Type>.v<N>.toml`` and ``<Name>.archive.toml`` in ``folder``."""
        loaded: list[Layout] = []
        for path in sorted(folder.glob("*.toml")):
            if path.name.endswith(_ARCHIVE_SUFFIX):
                layout = load_archive_layout(path)
                self.add(layout)
                loaded.append(layout)
                continue
            match = _FILE_RE.match(path.name)
            if not match:
                raise SchemaError(
                    f"{path}: layout files are named <ObjectType>.v<N>.toml (flat) "
                    "or <Name>.archive.toml (CMSSW archive)"
                )
            schema = load_schema(path)
            if schema.key != (match["type"], int(match["version"])):
                raise SchemaError(
                    f"{path}: declares {schema.object_type} v{schema.version}, "
                    "which does not match its file name"
                )
            self.add(schema)
            loaded.append(schema)
        return loaded

    def add_document(self, text: str, *, source: str) -> Layout:
        """Register a layout given as TOML text (used by plugins and tests)."""
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SchemaError(f"{source}: {exc}") from None
        schema: Layout = (
            parse_archive_layout(data, source=source)
            if "encoding" in data
            else parse_schema(data, source=source)
        )
        self.add(schema)
        return schema

    def get(self, object_type: str, version: int | str | None = None) -> Layout:
        """The layout of a payload type.

        An archive layout whatever ``version`` says (CMSSW writes ``dummy``);
        else the flat layout of that version, the newest when none is given.
        """
        archive = self._archives.get(object_type)
        if archive is not None:
            return archive
        versions = self.versions(object_type)
        if not versions:
            raise NotFound(f"no payload schema is declared for object type {object_type!r}")
        if version is None or version == "":
            return self._schemas[(object_type, versions[-1])]
        try:
            number = int(version)
        except ValueError:
            raise NotFound(f"{object_type}: version {version!r} is not a number") from None
        try:
            return self._schemas[(object_type, number)]
        except KeyError:
            known = ", ".join(f"v{v}" for v in versions)
            raise NotFound(
                f"no schema for {object_type} version {number} (declared: {known})"
            ) from None

    def versions(self, object_type: str) -> list[int]:
        """Declared versions of a payload type, oldest first."""
        with self._lock:
            return sorted(v for t, v in self._schemas if t == object_type)

    def object_types(self) -> list[str]:
        """Every payload type with a layout."""
        with self._lock:
            return sorted({t for t, _ in self._schemas} | set(self._archives))

    @classmethod
    def builtin(cls) -> SchemaRegistry:
        """A registry holding the schemas shipped in ``payload_schemas``."""
        registry = cls()
        registry.load_directory(builtin_schema_dir())
        return registry
