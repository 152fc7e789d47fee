"""Apps over hand-built SQLite files: built-in schemas, renderers, beam-spot drawers.

What the web tests of diffs, exports and limits share: aliases mapped to
files, the plugins they need registered explicitly (entry points off), and
optional engine settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

import inspector_plugins.beamspot
import inspector_plugins.renderers
import inspector_plugins.schemas
from inspector.config import Config, DatabaseConfig
from inspector.engine import EngineSettings
from inspector.plugin import Plugins, load_plugins
from inspector.web.app import create_app


def beamspot_app(
    databases: Mapping[str, Path],
    *extra: tuple[str, object],
    settings: EngineSettings | None = None,
) -> Flask:
    """An app whose first alias is the default, with ``extra`` plugins registered too."""
    config = Config(
        {alias: DatabaseConfig(alias, f"sqlite:///{path}") for alias, path in databases.items()},
        next(iter(databases)),
    )
    return create_app(config, beamspot_plugins(*extra), settings=settings)


def beamspot_plugins(*extra: tuple[str, object]) -> Plugins:
    """The schemas, beam spot drawers and renderers, plus ``extra`` (no entry points)."""
    return load_plugins(
        entry_points=False,
        extra=[
            ("schemas", inspector_plugins.schemas),
            ("beamspot", inspector_plugins.beamspot),
            ("renderers", inspector_plugins.renderers),
            *extra,
        ],
    )
