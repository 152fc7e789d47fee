"""Where payload schemas are found: a registry keyed by (object type, version).

Schema files are named ``<ObjectType>.v<N>.toml``.  The built-in ones ship in
the ``payload_schemas`` package; plugins add folders of their own.  A payload
row's ``version`` column picks the schema version.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Final

from inspector.errors import NotFound, SchemaError
from inspector.payload.schema import PayloadSchema, load_schema, parse_schema

__all__ = ["SchemaRegistry", "builtin_schema_dir"]

_FILE_RE: Final = re.compile(r"^(?P<type>[A-Za-z_][\w:]*)\.v(?P<version>\d+)\.toml$")


def builtin_schema_dir() -> Path:
    """The folder of the schemas shipped with the product."""
    return Path(str(resources.files("payload_schemas")))


class SchemaRegistry:
    """Thread-safe mapping of ``(object_type, version)`` → schema."""

    def __init__(self, schemas: Iterable[PayloadSchema] = ()) -> None:
        self._lock = threading.Lock()
        self._schemas: dict[tuple[str, int], PayloadSchema] = {}
        for schema in schemas:
            self.add(schema)

    def __iter__(self) -> Iterator[PayloadSchema]:
        with self._lock:
            return iter(sorted(self._schemas.values(), key=lambda s: s.key))

    def __len__(self) -> int:
        return len(self._schemas)

    def add(self, schema: PayloadSchema) -> None:
        """Register a schema; a different one under the same key is an error."""
        with self._lock:
            old = self._schemas.get(schema.key)
            if old is not None and old != schema:
                raise SchemaError(
                    f"{schema.object_type} v{schema.version} is declared twice "
                    f"({old.source} and {schema.source})"
                )
            self._schemas[schema.key] = schema

    def load_directory(self, folder: Path) -> list[PayloadSchema]:
        """Register every ``<Type>.v<N>.toml`` in ``folder``; return them."""
        loaded = []
        for path in sorted(folder.glob("*.toml")):
            match = _FILE_RE.match(path.name)
            if not match:
                raise SchemaError(f"{path}: schema files are named <ObjectType>.v<N>.toml")
            schema = load_schema(path)
            if schema.key != (match["type"], int(match["version"])):
                raise SchemaError(
                    f"{path}: declares {schema.object_type} v{schema.version}, "
                    "which does not match its file name"
                )
            self.add(schema)
            loaded.append(schema)
        return loaded

    def add_document(self, text: str, *, source: str) -> PayloadSchema:
        """Register a schema given as TOML text (used by plugins and tests)."""
        import tomllib

        try:
            schema = parse_schema(tomllib.loads(text), source=source)
        except tomllib.TOMLDecodeError as exc:
            raise SchemaError(f"{source}: {exc}") from None
        self.add(schema)
        return schema

    def get(self, object_type: str, version: int | str | None = None) -> PayloadSchema:
        """The schema of a payload type; the newest version when none is given."""
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
        """Every payload type with at least one schema."""
        with self._lock:
            return sorted({t for t, _ in self._schemas})

    @classmethod
    def builtin(cls) -> SchemaRegistry:
        """A registry holding the schemas shipped in ``payload_schemas``."""
        registry = cls()
        registry.load_directory(builtin_schema_dir())
        return registry
