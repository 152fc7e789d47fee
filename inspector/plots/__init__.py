"""Plot objects: what drawers return and renderers draw, knowing neither.

Each plot type is a frozen dataclass of numpy arrays, labels, units and
:class:`Provenance`, checked when built, with a documented, versioned JSON
form (``to_json`` / :func:`from_json`) and a CSV form (``to_csv``); see
docs/plot-objects.md.  Nothing here imports Bokeh or Flask.

Types: :class:`Histogram1D`, :class:`Histogram2D`, :class:`DetectorMap`,
:class:`History` (with :class:`Series`), :class:`Scatter`, :class:`Table`.
Plugins add their own with :func:`register_plot_type`.
"""

from inspector.plots.base import (
    SCHEMA,
    VERSION,
    JsonScalar,
    PlotError,
    PlotObject,
    Provenance,
    from_json,
    plot_types,
    plots_equal,
    register_plot_type,
)
from inspector.plots.detector_map import DetectorMap
from inspector.plots.histogram import Histogram1D, Histogram2D
from inspector.plots.history import History, Series
from inspector.plots.scatter import Scatter
from inspector.plots.table import Table

__all__ = [
    "SCHEMA",
    "VERSION",
    "DetectorMap",
    "Histogram1D",
    "Histogram2D",
    "History",
    "JsonScalar",
    "PlotError",
    "PlotObject",
    "Provenance",
    "Scatter",
    "Series",
    "Table",
    "from_json",
    "plot_types",
    "plots_equal",
    "register_plot_type",
]
