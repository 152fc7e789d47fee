"""The engine: resolves IOVs, decodes once per hash, runs drawers, caches."""

from inspector.engine.cache import CacheStats, SingleFlight, byte_cache, ttl_cache
from inspector.engine.engine import Engine, EngineSettings, Progress
from inspector.request import PlotRequest

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
