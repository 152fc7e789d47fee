"""Detector geometry: detector-id topology and the polygon layouts drawn as maps.

- :mod:`inspector.geometry.detid` decodes CMS tracker detector ids
  (sub-detector, layer, ring, strips per module), vectorised.
- :mod:`inspector.geometry.ecal` lists the ECAL barrel and endcap crystals.
- :mod:`inspector.geometry.shipped` reads the compact geometry file shipped in
  this package (``data/cms_geometry.npz``), derived from the real CMS tracker
  map by ``tools/derive_geometry.py``; see ``docs/geometry.md``.
- :mod:`inspector.geometry.loaders` reads layout files in the two CMS text
  formats (tracker map, vertices), as plugins register them.
- :mod:`inspector.geometry.registry` serves every layout by name (shipped and
  plugin-registered), readable module names, and tracker partitions.
- :mod:`inspector.geometry.maps` joins per-module values to a layout by id:
  :func:`detector_map`, what map drawers return.

Importing this package reads no file: the shipped data loads on first use.
"""

from inspector.errors import GeometryFileError
from inspector.geometry.loaders import read_layout
from inspector.geometry.maps import detector_map
from inspector.geometry.registry import (
    PARTITIONS,
    SIDED_PARTITIONS,
    GeometryRegistry,
    filter_layout,
    partition_index,
    partition_mask,
    partition_of,
    readable_names,
)
from inspector.geometry.shipped import (
    Layout,
    layout_names,
    load_layout,
    pixel_modules,
    provenance,
    strip_module_ids,
)

__all__ = [
    "PARTITIONS",
    "SIDED_PARTITIONS",
    "GeometryFileError",
    "GeometryRegistry",
    "Layout",
    "detector_map",
    "filter_layout",
    "layout_names",
    "load_layout",
    "partition_index",
    "partition_mask",
    "partition_of",
    "pixel_modules",
    "provenance",
    "read_layout",
    "readable_names",
    "strip_module_ids",
]
