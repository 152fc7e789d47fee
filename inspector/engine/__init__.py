"""The engine: resolves IOVs, decodes once per hash, runs drawers, caches.

Names load on first use (PEP 562): the configuration imports
:mod:`inspector.engine.settings`, and the engine imports the configuration,
so this package must not import the engine when it is first touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspector._lazy import lazy_getattr

if TYPE_CHECKING:
    from inspector.engine.cache import CacheStats, SingleFlight, byte_cache, ttl_cache
    from inspector.engine.engine import Engine, Progress
    from inspector.engine.settings import EngineSettings
    from inspector.request import PlotRequest

_LAZY = {
    "CacheStats": "inspector.engine.cache",
    "SingleFlight": "inspector.engine.cache",
    "byte_cache": "inspector.engine.cache",
    "ttl_cache": "inspector.engine.cache",
    "Engine": "inspector.engine.engine",
    "Progress": "inspector.engine.engine",
    "EngineSettings": "inspector.engine.settings",
    "PlotRequest": "inspector.request",
}

__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "CacheStats",
    "Engine",
    "EngineSettings",
    "PlotRequest",
    "Progress",
    "SingleFlight",
    "byte_cache",
    "ttl_cache",
]
