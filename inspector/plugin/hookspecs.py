"""Every hook a Payload Inspector plugin can implement.

Plugins are modules or objects with functions marked ``@hookimpl`` and named
after these specifications; they are found through the ``payload_inspector``
entry-point group.  Each hook returns what the plugin adds; the core merges
the answers of all plugins.  Implementations may omit arguments they do not
need (pluggy passes only the ones named).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from inspector.drawers.declare import Drawer
    from inspector.render.exports import ExportFormat

PROJECT = "payload_inspector"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = [
    "PROJECT",
    "hookimpl",
    "hookspec",
    "register_drawers",
    "register_export_formats",
    "register_geometries",
    "register_payload_schemas",
    "register_payload_views",
    "register_renderers",
]


@hookspec
def register_payload_schemas() -> Iterable[Path]:
    """Return folders holding payload layouts (``*.archive.toml`` and ``<Type>.v<N>.toml``)."""
    raise NotImplementedError


@hookspec
def register_payload_views() -> dict[str, Callable[[Any], Any]]:
    """Return ``{object type: view}``; a view gives a decoded payload as its class prints it."""
    raise NotImplementedError


@hookspec
def register_drawers() -> Iterable[Drawer]:
    """Return drawers (made with ``@drawer``) that this plugin provides."""
    raise NotImplementedError


@hookspec
def register_geometries() -> Iterable[Path]:
    """Return detector layout files (tracker-map or vertices format) to register."""
    raise NotImplementedError


@hookspec
def register_renderers() -> dict[type, Any]:
    """Return a mapping from plot-object type to the callable that renders it."""
    raise NotImplementedError


@hookspec
def register_export_formats() -> Iterable[ExportFormat]:
    """Return export formats (``ExportFormat``): served at ``export.<name>`` and by ``--format``."""
    raise NotImplementedError
