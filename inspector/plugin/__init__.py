"""The plugin system: hook specifications and the plugin loader."""

from inspector.plugin.hookspecs import PROJECT, hookimpl, hookspec
from inspector.plugin.manager import DrawerRegistry, PluginError, PluginInfo, Plugins, load_plugins

__all__ = [
    "PROJECT",
    "DrawerRegistry",
    "PluginError",
    "PluginInfo",
    "Plugins",
    "hookimpl",
    "hookspec",
    "load_plugins",
]
