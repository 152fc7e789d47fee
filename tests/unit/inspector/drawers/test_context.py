"""A drawer that asks for a context gets the plugins' layouts and what it draws; others do not."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inspector.config import Config, DatabaseConfig
from inspector.drawers import DrawContext, Drawer, ParamValue, drawer
from inspector.engine import Engine, PlotRequest
from inspector.geometry import pixel_modules
from inspector.plots import DetectorMap, Table
from inspector.plugin import hookimpl, load_plugins

SEEN: list[DrawContext] = []
MODULES = np.asarray(pixel_modules()[0][:5], dtype=np.uint32)


@drawer("ctx.layout_size", title="t", payload_types="BeamSpotObjects", kind="single")
def layout_size(payload: Any, params: Mapping[str, ParamValue], *, context: DrawContext) -> Table:
    """Uses the plugin's layout through the context, no registry of its own."""
    SEEN.append(context)
    layout = context.geometry.get("ctx_disk")
    return Table(columns={"modules": np.array([layout.ids.size])})


@drawer("ctx.plain", title="t", payload_types="BeamSpotObjects", kind="single")
def plain(payload: Any, params: Mapping[str, ParamValue]) -> Table:
    """Asks for nothing and is called as before."""
    return Table(columns={"n": np.array([1])})


@drawer("ctx.per_payload", title="t", payload_types="BeamSpotObjects", kind="history")
def per_payload(payload: Any, params: Mapping[str, ParamValue], *, context: DrawContext) -> float:
    """A history drawer sees the one payload it reduces."""
    SEEN.append(context)
    return float(len(context.payload_hashes))


@drawer("ctx.both", title="t", payload_types="BeamSpotObjects", kind="compare")
def both(first: Any, second: Any, params: Any, labels: Any, *, context: DrawContext) -> DetectorMap:
    """A comparison sees both hashes, in order, and draws on the plugin's layout."""
    SEEN.append(context)
    return DetectorMap(geometry="ctx_disk", ids=MODULES, values=np.zeros(MODULES.size))


class ContextPlugin:
    def __init__(self, layout: Path) -> None:
        self.layout = layout

    @hookimpl
    def register_geometries(self) -> list[Path]:
        return [self.layout]

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [layout_size, plain, per_payload, both]


@pytest.fixture(scope="module")
def engine(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    layout = tmp_path_factory.mktemp("ctx") / "ctx_disk"
    layout.write_text(
        "".join(f"{d} {i} 10 {i + 0.5} 11 {i + 1} 10\n" for i, d in enumerate(MODULES))
    )
    plugins = load_plugins(extra=[("ctx", ContextPlugin(layout))])
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    running = Engine(config, plugins)
    yield running
    running.close()


TAG = "BeamSpotObjects_Realistic_byRun_v1"


def test_declaring_context_is_seen_at_declaration() -> None:
    assert layout_size.wants_context and per_payload.wants_context and both.wants_context
    assert not plain.wants_context


def test_a_single_drawer_gets_the_plugins_layouts_and_its_payload(engine: Engine) -> None:
    SEEN.clear()
    plot = engine.plot(PlotRequest("ctx.layout_size", TAG))
    assert isinstance(plot, Table) and plot.columns["modules"].tolist() == [5]
    (context,) = SEEN
    assert context.tag.name == TAG and context.database == "demo"
    assert context.payload_hashes == tuple(plot.provenance.payload_hashes)
    assert engine.plot(PlotRequest("ctx.plain", TAG)).columns["n"].tolist() == [1]


def test_a_history_drawer_gets_one_payload_at_a_time(engine: Engine) -> None:
    SEEN.clear()
    plot = engine.plot(PlotRequest("ctx.per_payload", TAG))
    assert SEEN and all(len(c.payload_hashes) == 1 for c in SEEN)
    assert {c.payload_hashes[0] for c in SEEN} <= set(engine.iovs("demo", TAG).payload_hash)
    assert plot.plot_type == "History"


def test_a_comparison_gets_both_hashes_in_order(engine: Engine) -> None:
    SEEN.clear()
    sinces = engine.iovs("demo", TAG).since
    request = PlotRequest("ctx.both", TAG, iov=str(sinces[0]), iov2=str(sinces[-1]))
    plot = engine.plot(request)
    (context,) = SEEN
    assert context.payload_hashes == tuple(plot.provenance.payload_hashes)
    assert isinstance(plot, DetectorMap) and plot.geometry == "ctx_disk"
