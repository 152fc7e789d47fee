"""What a drawer may ask for besides its payloads and parameters.

A drawer that declares a keyword-only parameter ``context``
(``def draw(payload, params, *, context)``) is given a :class:`DrawContext`
by the engine, instead of building registries of its own: the detector
layouts of every loaded plugin, and the metadata of what it draws.  Drawers
that do not declare it are called as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inspector.conddb import Tag
    from inspector.geometry import GeometryRegistry

__all__ = ["DrawContext"]


@dataclass(frozen=True)
class DrawContext:
    """The engine's answer to a drawer that asks (see the module docstring).

    A history drawer is run once per distinct payload and its result cached
    by payload hash, so nothing here is specific to one IOV.
    """

    #: every detector layout of the loaded plugins, by name (``geometry.get("tracker_map")``)
    geometry: GeometryRegistry
    #: the database alias the payloads come from
    database: str
    #: the tag read (its name, object type, time type, description, ...); for a
    #: comparison of two tags, the first
    tag: Tag
    #: the hashes of the payloads passed, in the order passed
    payload_hashes: tuple[str, ...]
