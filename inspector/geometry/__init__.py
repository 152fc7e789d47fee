"""Detector geometry: detector-id topology and the polygon layouts drawn as maps.

- :mod:`inspector.geometry.detid` decodes CMS tracker detector ids
  (sub-detector, layer, ring, strips per module), vectorised.
- :mod:`inspector.geometry.ecal` lists the ECAL barrel and endcap crystals.
- :mod:`inspector.geometry.shipped` reads the compact geometry file shipped in
  this package (``data/cms_geometry.npz``), derived from the real CMS tracker
  map by ``tools/derive_geometry.py``; see ``docs/geometry.md``.

Importing this package reads no file: the shipped data loads on first use.
"""

from inspector.geometry.shipped import (
    Layout,
    layout_names,
    load_layout,
    pixel_modules,
    provenance,
    strip_module_ids,
)

__all__ = [
    "Layout",
    "layout_names",
    "load_layout",
    "pixel_modules",
    "provenance",
    "strip_module_ids",
]
