"""Built-in payload layouts, one ``<Name>.archive.toml`` file per CMSSW class.

This package holds data only; :mod:`inspector.payload.registry` reads it.
"""
