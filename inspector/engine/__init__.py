"""The engine: resolves IOVs, decodes once per hash, runs drawers, caches."""

from inspector.engine.cache import CacheStats, SingleFlight, byte_cache, ttl_cache

__all__ = ["CacheStats", "SingleFlight", "byte_cache", "ttl_cache"]
