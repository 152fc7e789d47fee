"""Built-in payload layouts, one ``<ObjectType>.v<N>.toml`` file each.

This package holds data only; :mod:`inspector.payload.registry` reads it.
"""
