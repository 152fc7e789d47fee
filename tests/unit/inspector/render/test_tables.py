"""The table renderer: significant digits, right-aligned, as tall as its rows, charted bars."""

from __future__ import annotations

import numpy as np
from bokeh.models.annotations import Whisker
from bokeh.models.widgets import DataTable, HTMLTemplateFormatter

from inspector.plots import Table
from inspector.render.tables import render_table


def _summary() -> Table:
    return Table(
        title="movements",
        columns={
            "partition": np.array(["TEC-", "TEC+"]),
            "modules": np.array([3200, 3200]),
            "mean Δx": np.array([-0.7342189, 0.45511]),
            "rms Δx": np.array([1.4513, 1.15]),
        },
        units={"mean Δx": "µm", "rms Δx": "µm"},
        bars={"mean Δx": "rms Δx"},
    )


def test_numbers_show_three_digits_right_aligned_and_sort_on_the_exact_values() -> None:
    layout = render_table(_summary(), {})
    table = next(iter(layout.select({"type": DataTable})))
    data = table.source.data
    assert list(data["c2"]) == [-0.7342189, 0.45511]  # exact: sorting is numeric
    assert data["c2_text"] == ["-0.734", "0.455"] and data["c1_text"] == ["3,200", "3,200"]
    cell = table.columns[2].formatter
    assert isinstance(cell, HTMLTemplateFormatter) and "text-align:right" in cell.template
    assert table.columns[2].title == "mean Δx [µm]"
    assert table.height == 30 + 2 * 25 + 2  # header and two rows: no empty block


def test_bars_give_one_chart_with_error_bars_per_pair() -> None:
    layout = render_table(_summary(), {})
    whiskers = list(layout.select({"type": Whisker}))
    assert len(whiskers) == 1
    data = whiskers[0].source.data
    assert list(data["label"]) == ["TEC-", "TEC+"]
    assert np.allclose(data["upper"], [-0.7342189 + 1.4513, 0.45511 + 1.15])
    plain = render_table(Table(columns={"a": np.arange(3.0)}), {})
    assert not list(plain.select({"type": Whisker}))
