"""The Bokeh rendering of :class:`~inspector.plots.Table`: numbers that read like physics.

A summary table is read by people comparing partitions: each number shows
three significant digits (:func:`inspector.plots.numbers.format_significant`),
right-aligned with its unit in the header, and a table that declares ``bars``
gets its chart under it, one bar per row with the spread as error bar.  The
exact values stay in the columns (sorting is numeric) and in every export.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from bokeh.layouts import column, gridplot
from bokeh.models.annotations import Whisker
from bokeh.models.ranges import FactorRange, Range1d
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import HoverTool
from bokeh.models.widgets import (
    DataTable,
    Div,
    HTMLTemplateFormatter,
    StringFormatter,
    TableColumn,
)
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from inspector.plots import Table
from inspector.plots.numbers import format_significant
from inspector.render.figures import _axis_label

__all__ = ["render_table"]

#: DataTable geometry: header and row heights [px], so the table is as tall as its rows.
_ROW_PX: Final = 25
_HEADER_PX: Final = 30
_MAX_TABLE_PX: Final = 600
#: The number cells: right-aligned (digits line up), the text written by the server.
_NUMBER_CELL: Final = '<div style="text-align:right"><%= {key}_text %></div>'
#: The charts of a summary table: this tall, this many side by side.
_BAR_CHART_PX: Final = 240
_BAR_COLUMNS: Final = 2


def render_table(plot: Table, options: Mapping[str, Any]) -> Any:
    """A sortable table under the plot's title, and its chart when it declares ``bars``.

    Numbers show three significant digits, right-aligned, while the column
    keeps the exact values, so sorting is numeric; exports keep every digit.
    The table is exactly as tall as its rows (no empty block under it).
    """
    data: dict[str, Any] = {}
    columns = [
        _column(f"c{i}", name, values, plot, data)
        for i, (name, values) in enumerate(plot.columns.items())
    ]
    table = DataTable(
        source=ColumnDataSource(data),
        columns=columns,
        index_position=None,
        row_height=_ROW_PX,
        height=min(_MAX_TABLE_PX, _HEADER_PX + _ROW_PX * max(plot.row_count, 1) + 2),
        sizing_mode="stretch_width",
    )
    parts = [Div(text=f"<b>{_escape(plot.title)}</b>"), table]
    if plot.bars:
        parts.append(_bar_charts(plot))
    return column(*parts, sizing_mode="stretch_width")


def _column(key: str, name: str, values: Any, plot: Table, data: dict[str, Any]) -> TableColumn:
    """One column: its values under ``key`` in ``data`` (numbers also as text) and its look."""
    unit = plot.units.get(name, "")
    # DataTable shows header titles as HTML: column names can come from
    # tag names (comparison tables), so they are escaped like the title.
    title = _escape(f"{name} [{unit}]" if unit else name)
    if values.dtype.kind not in "iuf":
        data[key] = values.astype(str).astype(object)
        return TableColumn(field=key, title=title, formatter=StringFormatter())
    data[key] = values
    data[f"{key}_text"] = (
        format_significant(values)
        if values.dtype.kind == "f"
        else [f"{v:,}" for v in values.tolist()]
    )
    cell = HTMLTemplateFormatter(template=_NUMBER_CELL.format(key=key))
    return TableColumn(field=key, title=title, formatter=cell)


def _bar_charts(plot: Table) -> Any:
    """One small chart per declared bar column: a bar per row with its spread as error bar."""
    first, rows = next(iter(plot.columns.items()))
    labels = [str(v) for v in rows.tolist()]
    figures: list[Any] = []
    for value, spread in plot.bars.items():
        unit = plot.units.get(value, "")
        centre = np.asarray(plot.columns[value], dtype=np.float64)
        width = (
            np.asarray(plot.columns[spread], dtype=np.float64) if spread else np.zeros_like(centre)
        )
        source = ColumnDataSource(
            {
                "label": labels,
                "value": centre,
                "lower": centre - width,
                "upper": centre + width,
                "text": format_significant(centre),
                "spread": format_significant(width),
            }
        )
        title = f"{value} ± {spread.split()[0]}" if spread else value
        fig = figure(
            title=_axis_label(title, unit),
            x_range=FactorRange(factors=labels),
            y_range=_value_range(centre - width, centre + width),
            height=_BAR_CHART_PX,
            width=300,
            tools="save",
            sizing_mode="stretch_width",
        )
        fig.toolbar.logo = None
        bars = fig.vbar(
            x="label",
            top="value",
            bottom=0,
            width=0.7,
            source=source,
            fill_color=Category10_10[0],
            line_color=None,
            fill_alpha=0.8,
        )
        if spread:
            fig.add_layout(Whisker(base="label", lower="lower", upper="upper", source=source))
        fig.add_tools(
            HoverTool(
                renderers=[bars],
                tooltips=[
                    (first, "@label"),
                    (value, f"@text{' ± @spread' if spread else ''} {unit}".rstrip()),
                ],
            )
        )
        fig.xaxis.major_label_orientation = 0.8 if len(labels) > 6 else 0.0
        fig.yaxis.axis_label = unit
        fig.xgrid.visible = False
        figures.append(fig)
    return gridplot(figures, ncols=_BAR_COLUMNS, sizing_mode="stretch_width", toolbar_location=None)


def _value_range(lower: npt.NDArray[np.float64], upper: npt.NDArray[np.float64]) -> Range1d:
    """Zero and every error bar in view (an auto range would see the bars only), 5 % margin."""
    ends = np.concatenate([lower, upper, [0.0]])
    ends = ends[np.isfinite(ends)]
    lo, hi = float(ends.min()), float(ends.max())
    margin = 0.05 * (hi - lo or 1.0)
    return Range1d(start=lo - margin, end=hi + margin)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
