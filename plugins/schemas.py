"""Built-in plugin: the payload layouts shipped in ``payload_schemas/``."""

from __future__ import annotations

from pathlib import Path

from inspector.payload import builtin_schema_dir
from inspector.plugin import hookimpl


@hookimpl
def register_payload_schemas() -> list[Path]:
    """The folder of built-in ``<Name>.archive.toml`` layouts."""
    return [builtin_schema_dir()]
