"""Loading plugins and merging what they register.

Plugins come from the ``payload_inspector`` entry-point group — the built-in
drawers in ``plugins/`` too, through this project's own entry points — plus
any objects passed explicitly (tests register theirs that way, with entry
points switched off).  The built-in export formats
(:mod:`inspector.render.builtin_exports`) are a plugin registered first,
always.  A plugin that fails to import, or implements a hook
that does not exist, stops start-up with a message naming it.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pluggy

from inspector.drawers.declare import Drawer
from inspector.errors import InspectorError, NotFound
from inspector.payload import SchemaRegistry
from inspector.plugin import hookspecs

__all__ = ["DrawerRegistry", "PluginError", "PluginInfo", "Plugins", "load_plugins"]

#: The name of the always-registered built-in plugin (the export formats).
BUILTIN_PLUGIN = "builtin"


class PluginError(InspectorError):
    """A plugin cannot be loaded or registers something invalid."""

    exit_code = 2
    title = "Plugin error"


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin came from (for ``inspector plugins`` and the API)."""

    name: str
    module: str
    distribution: str
    version: str


class DrawerRegistry:
    """Drawers by name; duplicate names across plugins are an error."""

    def __init__(self) -> None:
        self._drawers: dict[str, Drawer] = {}

    def add(self, drawer: Drawer) -> None:
        """Register one drawer."""
        old = self._drawers.get(drawer.name)
        if old is not None:
            raise PluginError(
                f"drawer {drawer.name!r} is registered by both plugin {old.plugin!r} "
                f"and plugin {drawer.plugin!r}"
            )
        self._drawers[drawer.name] = drawer

    def __iter__(self) -> Iterator[Drawer]:
        return iter(sorted(self._drawers.values(), key=lambda d: d.name))

    def __len__(self) -> int:
        return len(self._drawers)

    def __contains__(self, name: object) -> bool:
        return name in self._drawers

    def get(self, name: str) -> Drawer:
        """The drawer ``name``; :class:`NotFound` suggesting close names."""
        try:
            return self._drawers[name]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, self._drawers, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise NotFound(f"no drawer named {name!r}{hint}") from None

    def for_payload_type(self, object_type: str) -> list[Drawer]:
        """Drawers that read payloads of ``object_type``."""
        return [d for d in self if d.applies_to(object_type)]

    def by_payload_type(self) -> dict[str, list[Drawer]]:
        """Every payload type with its drawers, for the home page and listings."""
        groups: dict[str, list[Drawer]] = {}
        for d in self:
            for t in d.payload_types:
                groups.setdefault(t, []).append(d)
        return dict(sorted(groups.items()))


@dataclass
class Plugins:
    """Everything the loaded plugins registered."""

    manager: pluggy.PluginManager
    schemas: SchemaRegistry
    drawers: DrawerRegistry
    geometry_files: list[Path] = field(default_factory=list)
    renderers: dict[type, Any] = field(default_factory=dict)
    info: list[PluginInfo] = field(default_factory=list)
    #: every plugin's export formats, in registration order
    export_formats: list[Any] = field(default_factory=list)

    def add_layouts(self, folders: Iterable[Path]) -> None:
        """Register the payload layouts of ``folders`` too (a configuration's ``[payloads]``)."""
        for folder in folders:
            self.schemas.load_directory(folder)

    #: object type → [(plugin, view)]: how classes print themselves (``inspector decode``)
    views: dict[str, list[tuple[str, Callable[[Any], Any]]]] = field(default_factory=dict)

    def payload_views(self, payload: Any) -> dict[str, Any]:
        """Every registered view of a decoded payload's type, by plugin name."""
        return {
            name: view(payload) for name, view in self.views.get(payload.schema.object_type, [])
        }


def load_plugins(*, entry_points: bool = True, extra: Iterable[tuple[str, object]] = ()) -> Plugins:
    """Load plugins and collect their registrations.

    ``extra`` is ``(name, plugin)`` pairs registered in addition (or instead,
    with ``entry_points=False``): how tests bring their own plugins.
    """
    from inspector.render import builtin_exports  # the renderers import the plot types

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    info: list[PluginInfo] = []
    # Own features through the same hooks, always there (datasette's default plugins).
    _register(pm, builtin_exports, BUILTIN_PLUGIN)
    info.append(PluginInfo(BUILTIN_PLUGIN, builtin_exports.__name__, "", ""))
    if entry_points:
        info.extend(_load_entry_points(pm))
    for name, plugin in extra:
        _register(pm, plugin, name)
        info.append(PluginInfo(name, getattr(plugin, "__name__", repr(plugin)), "", ""))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        known = ", ".join(sorted(n for n in dir(hookspecs) if n.startswith("register_")))
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(f"plugin {name!r}: {exc} (known hooks: {known})") from None
    return _collect(pm, info)


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from None


def _load_entry_points(pm: pluggy.PluginManager) -> list[PluginInfo]:
    found = []
    for ep in sorted(
        importlib.metadata.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name
    ):
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
            ) from None
        _register(pm, plugin, ep.name)
        dist = ep.dist
        found.append(
            PluginInfo(ep.name, ep.value, dist.name if dist else "", dist.version if dist else "")
        )
    return found


def _collect(pm: pluggy.PluginManager, info: list[PluginInfo]) -> Plugins:
    schemas = SchemaRegistry()
    for folder in _answers(pm, "register_payload_schemas"):
        schemas.load_directory(Path(folder))
    drawers = DrawerRegistry()
    for plugin_name, answer in _named_answers(pm, "register_drawers"):
        for item in answer:
            if not isinstance(item, Drawer):
                raise PluginError(
                    f"plugin {plugin_name!r}: register_drawers returned {item!r}, "
                    "not a drawer made with @drawer"
                )
            object.__setattr__(item, "plugin", plugin_name)
            drawers.add(item)
    geometry = [Path(p) for p in _answers(pm, "register_geometries")]
    renderers: dict[type, Any] = {}
    for mapping in pm.hook.register_renderers():
        renderers.update(mapping)
    views: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {}
    for impl in pm.hook.register_payload_views.get_hookimpls():
        plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)
        registered = cast("dict[str, Callable[[Any], Any]]", impl.function() or {})
        for object_type, view in registered.items():
            views.setdefault(object_type, []).append((plugin_name, view))
    formats = _export_formats(pm)
    return Plugins(pm, schemas, drawers, geometry, renderers, info, formats, views)


def _answers(pm: pluggy.PluginManager, hook: str) -> list[Any]:
    return [item for _, answer in _named_answers(pm, hook) for item in answer]


def _named_answers(pm: pluggy.PluginManager, hook: str) -> list[tuple[str, Any]]:
    """Each implementing plugin's name with its answer (pluggy loses the names)."""
    out = []
    caller = getattr(pm.hook, hook)
    for impl in caller.get_hookimpls():
        answer = impl.function()
        name = pm.get_name(impl.plugin) or repr(impl.plugin)
        out.append((name, list(answer or ())))
    return out


def _export_formats(pm: pluggy.PluginManager) -> list[Any]:
    from inspector.render.exports import ExportFormat  # the renderers import the plugin types

    formats = []
    for plugin_name, answer in _named_answers(pm, "register_export_formats"):
        for item in answer:
            if not isinstance(item, ExportFormat):
                raise PluginError(
                    f"plugin {plugin_name!r}: register_export_formats returned {item!r}, "
                    "not an inspector.render.exports.ExportFormat"
                )
            formats.append(item)
    return formats
