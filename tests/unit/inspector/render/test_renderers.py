"""Bokeh renderers: every built-in plot type renders to a json_item with its glyphs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inspector.plots import (
    DetectorMap,
    Histogram1D,
    Histogram2D,
    History,
    PlotObject,
    Provenance,
    Scatter,
    Series,
    Table,
)
from inspector.plots.history import hash_columns
from inspector.plugin import load_plugins
from inspector.render import RendererRegistry, RenderError, json_item_bytes, standalone_html


@pytest.fixture(scope="module")
def renderers() -> RendererRegistry:
    """The renderers the installed plugins register (built-ins via entry points)."""
    return RendererRegistry(load_plugins().renderers)


def _history(time_type: str = "Run", n: int = 5) -> History:
    since = np.arange(n, dtype=np.uint64) * 10 + 100
    return History(
        title="h",
        since=since,
        until=since + 10,
        time_type=time_type,
        series={"x": Series(values=np.linspace(0, 1, n), errors=np.full(n, 0.1), unit="cm")},
        **hash_columns(np.array([f"{i:040x}" for i in range(n)])),
        insertion_time=np.full(n, np.datetime64("2024-05-01T00:00:00", "us")),
        provenance=Provenance(db="demo", tags=("T",), drawer="d.x"),
    )


def _glyphs(doc: dict[str, object]) -> list[str]:
    text = json.dumps(doc)
    return [
        name
        for name in (
            "Step",
            "VAreaStep",
            "Line",
            "Quad",
            "Image",
            "Patches",
            "Scatter",
            "DataTable",
            "ColorBar",
            "HoverTool",
        )
        if f'"name":"{name}"' in text.replace(" ", "")
    ]


def test_history_has_steps_error_band_and_hover_on_a_line(renderers: RendererRegistry) -> None:
    doc = json.loads(json_item_bytes(_history(), renderers))
    glyphs = _glyphs(doc)
    assert {"Step", "VAreaStep", "Quad", "HoverTool"} <= set(glyphs)
    text = json.dumps(doc)
    assert "payload" in text and "@s_n{custom}" in text and "CustomJSHover" in text
    model = renderers.render(_history())
    hover = next(r.data_source for r in model.renderers if "s_n" in r.data_source.data)
    assert {"v0", "e0", "h", "ins", "x_end"} <= set(hover.data)


def test_lumi_history_uses_run_coordinates(renderers: RendererRegistry) -> None:
    since = (np.array([379000, 379000, 379001], dtype=np.uint64) << np.uint64(32)) | np.array(
        [1, 50, 1], dtype=np.uint64
    )
    plot = History(
        title="l",
        since=since,
        until=np.append(since[1:], since[-1] + 1),
        time_type="Lumi",
        series={"x": Series(values=np.ones(3))},
    )
    model = renderers.render(plot)
    source = next(r.data_source for r in model.renderers if "s_run" in r.data_source.data)
    assert source.data["x"].tolist() == [379000.0001, 379000.005, 379001.0001]
    assert source.data["s_run"].tolist() == [379000, 379000, 379001]
    assert source.data["s_ls"].tolist() == [1, 50, 1]


def test_history_sends_each_payload_hash_once(renderers: RendererRegistry) -> None:
    plot = _history(n=6)
    repeated = History(
        title="r",
        since=plot.since,
        until=plot.until,
        time_type="Run",
        series=plot.series,
        **hash_columns(np.array(["a" * 40, "a" * 40, "b" * 40] * 2)),
    )
    text = json_item_bytes(repeated, renderers).decode()
    assert text.count("a" * 40) == 1 and text.count("b" * 40) == 1


def test_history_on_a_wall_clock_axis(renderers: RendererRegistry) -> None:
    plot = _history()
    timed = History(
        title="t",
        since=plot.since,
        until=plot.until,
        time_type="Run",
        series=plot.series,
        time=np.array(
            [
                "2024-05-01T00:00",
                "2024-05-01T01:00",
                "2024-05-01T02:00",
                "2024-05-01T03:00",
                "2024-05-01T04:00",
            ],
            dtype="datetime64[us]",
        ),
    )
    model = renderers.render(timed, {"x_axis": "time"})
    assert model.xaxis[0].axis_label == "time (UTC)"
    source = next(r.data_source for r in model.renderers if "s_n" in r.data_source.data)
    assert np.diff(source.data["x"]).tolist() == [3_600_000.0] * 4


@pytest.mark.parametrize(
    ("plot", "expected"),
    [
        (Histogram1D.from_values(np.arange(100.0), 10), {"Quad", "HoverTool"}),
        (
            Histogram2D(
                x_edges=np.arange(4.0), y_edges=np.arange(3.0), values=np.arange(6.0).reshape(3, 2)
            ),
            {"Image", "ColorBar"},
        ),
        (
            Scatter(x=np.arange(10.0), y=np.arange(10.0), colour=np.arange(10.0)),
            {"Scatter", "ColorBar"},
        ),
        (Table(columns={"a": np.arange(3.0), "b": np.array(["x", "y", "z"])}), {"DataTable"}),
        (
            DetectorMap(
                geometry="bpix_layer1", ids=np.array([303042564], np.uint32), values=np.array([1.0])
            ),
            {"Patches", "ColorBar"},
        ),
    ],
    ids=["hist1d", "hist2d", "scatter", "table", "map"],
)
def test_each_builtin_type_renders(
    renderers: RendererRegistry, plot: PlotObject, expected: set[str]
) -> None:
    assert expected <= set(_glyphs(json.loads(json_item_bytes(plot, renderers))))


def test_large_scatter_switches_to_webgl(renderers: RendererRegistry) -> None:
    small = renderers.render(Scatter(x=np.arange(10.0), y=np.arange(10.0)))
    large = renderers.render(Scatter(x=np.arange(20_000.0), y=np.arange(20_000.0)))
    assert small.output_backend == "canvas" and large.output_backend == "webgl"


def test_models_are_fresh_per_call(renderers: RendererRegistry) -> None:
    plot = _history()
    assert renderers.render(plot) is not renderers.render(plot)


def test_unknown_plot_type_and_subclass_lookup() -> None:
    class Special(Histogram1D):
        pass

    registry = RendererRegistry({Histogram1D: lambda plot, options: "drawn"})
    special = Special(edges=np.arange(3.0), counts=np.ones(2))
    assert registry.render(special) == "drawn"
    with pytest.raises(RenderError, match="no renderer is registered for Table"):
        registry.render(Table(columns={"a": np.zeros(1)}))


def test_standalone_html_is_offline_and_escapes_text(renderers: RendererRegistry) -> None:
    plot = _history().with_notes("<script>alert(1)</script>")
    page = standalone_html(plot, renderers)
    assert "cdn.bokeh.org" not in page and "<script src=" not in page
    # Escaped for the Div (shown as text), then once more by Bokeh's JSON embedding.
    assert "&amp;lt;script&amp;gt;alert(1)" in page
    assert "<script>alert" not in page
    assert "drawer d.x" in page
