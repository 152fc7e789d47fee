"""Plot objects: what drawers return and renderers draw, knowing neither.

Each plot type is a frozen dataclass of numpy arrays, labels, units and
:class:`Provenance`, checked when built, with a documented, versioned JSON
form (``to_json`` / :func:`from_json`) and a CSV form (``to_csv``); see
docs/plot-objects.md.  Nothing here imports Bokeh or Flask.

Types: :class:`Histogram1D`, :class:`Histogram2D`, :class:`DetectorMap`,
:class:`History` (with :class:`Series`), :class:`Scatter`, :class:`Table`.
Plugins add their own through the ``register_plot_types`` hook
(:class:`~inspector.plots.registry.PlotTypeRegistry`).
"""

from inspector.plots.base import (
    SCHEMA,
    VERSION,
    JsonScalar,
    PlotError,
    PlotObject,
    Provenance,
    plots_equal,
)
from inspector.plots.detector_map import DetectorMap
from inspector.plots.histogram import Histogram1D, Histogram2D
from inspector.plots.history import History, Series
from inspector.plots.registry import BUILTIN_PLOT_TYPES, PlotTypeRegistry, from_json
from inspector.plots.scatter import Scatter
from inspector.plots.table import Table

__all__ = [
    "BUILTIN_PLOT_TYPES",
    "SCHEMA",
    "VERSION",
    "DetectorMap",
    "Histogram1D",
    "Histogram2D",
    "History",
    "JsonScalar",
    "PlotError",
    "PlotObject",
    "PlotTypeRegistry",
    "Provenance",
    "Scatter",
    "Series",
    "Table",
    "from_json",
    "plots_equal",
]
