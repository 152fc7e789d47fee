"""The engine: IOV resolution, once-per-hash reductions, drawer isolation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inspector.config import Config, DatabaseConfig
from inspector.drawers import Drawer, Param, drawer
from inspector.engine import Engine, EngineSettings, PlotRequest
from inspector.errors import DrawerError, InvalidParameter, NotFound
from inspector.payload import DecodedPayload, builtin_schema_dir
from inspector.plots import Histogram1D, History, Table
from inspector.plugin import hookimpl, load_plugins

CALLS: list[str] = []
_lock = threading.Lock()


@drawer(
    "test.x", title="x", payload_types="BeamSpotObjects", kind="history", unit="cm", series=["x"]
)
def x_history(payload: DecodedPayload, params: Mapping[str, Any]) -> tuple[float, float]:
    """x with a fixed error; records each call."""
    with _lock:
        CALLS.append(str(payload.payload_hash))
    return float(payload["position_"][0]), 0.01


@drawer(
    "test.table",
    title="t",
    payload_types="BeamSpotObjects",
    kind="single",
    params=[Param.int("scale", 1, minimum=1)],
)
def table(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """One-row table."""
    return Table(columns={"x": np.array([float(payload["position_"][0]) * params["scale"]])})


@drawer("test.diff", title="d", payload_types="BeamSpotObjects", kind="compare")
def diff(
    first: DecodedPayload,
    second: DecodedPayload,
    params: Mapping[str, Any],
    labels: tuple[str, str],
) -> Table:
    """second − first."""
    return Table(
        title=" vs ".join(labels),
        columns={"dx": np.array([float(second["position_"][0]) - float(first["position_"][0])])},
    )


@drawer("test.raises", title="r", payload_types="BeamSpotObjects", kind="single")
def raises(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Always fails."""
    raise ZeroDivisionError("division by zero in the drawer")


@drawer("test.wrong_type", title="w", payload_types="BeamSpotObjects", kind="single")
def wrong_type(payload: DecodedPayload, params: Mapping[str, Any]) -> Any:
    """Returns a dict."""
    return {"not": "a plot"}


@drawer("test.inconsistent", title="i", payload_types="BeamSpotObjects", kind="single")
def inconsistent(payload: DecodedPayload, params: Mapping[str, Any]) -> Histogram1D:
    """Edges and counts disagree."""
    return Histogram1D(edges=np.arange(5.0), counts=np.ones(7))


@drawer("test.slow", title="s", payload_types="BeamSpotObjects", kind="single", timeout=0.2)
def slow(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Sleeps past its limit."""
    time.sleep(1.0)
    return Table(columns={"x": np.zeros(1)})


@drawer("test.bad_history", title="b", payload_types="BeamSpotObjects", kind="history")
def bad_history(payload: DecodedPayload, params: Mapping[str, Any]) -> Any:
    """Returns text."""
    return "high"


@drawer("test.noise", title="n", payload_types="SiStripNoises", kind="single")
def noise(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Never applicable to beam spot tags."""
    return Table(columns={"x": np.zeros(1)})


class TestPlugin:
    @hookimpl
    def register_payload_schemas(self) -> list[Path]:
        return [builtin_schema_dir()]

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [x_history, table, diff, raises, wrong_type, inconsistent, slow, bad_history, noise]


@pytest.fixture
def engine(handmade_path: tuple[Path, dict[str, str]]) -> Iterator[Engine]:
    config = Config({"hand": DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}")}, "hand")
    plugins = load_plugins(entry_points=False, extra=[("test", TestPlugin())])
    eng = Engine(config, plugins, EngineSettings(drawer_timeout=5.0))
    CALLS.clear()
    yield eng
    eng.close()


def test_history_reduces_each_distinct_payload_once(engine: Engine) -> None:
    plot = engine.plot(PlotRequest(drawer="test.x", tag="BS_lumi"))
    assert isinstance(plot, History)
    assert plot.since.size == 3
    assert plot.series["x"].values.tolist() == [0.1, 0.2, 0.1]
    assert plot.series["x"].errors is not None
    assert len(CALLS) == 2  # three IOVs, two distinct payloads
    again = engine.plot(PlotRequest(drawer="test.x", tag="BS_lumi"))
    assert len(CALLS) == 2  # warm: no drawer call at all
    assert np.array_equal(again.series["x"].values, plot.series["x"].values)
    assert plot.provenance.drawer == "test.x" and plot.provenance.tags == ("BS_lumi",)


def test_history_has_wall_clock_times_from_run_info(engine: Engine) -> None:
    plot = engine.plot(PlotRequest(drawer="test.x", tag="BS_lumi"))
    assert isinstance(plot, History) and plot.time is not None
    assert plot.time[0] == np.datetime64("2024-05-01T08:00:00")
    assert plot.time[2] == np.datetime64("2024-05-01T09:30:00")


def test_history_range_and_snapshot(engine: Engine, hashes: dict[str, str]) -> None:
    ranged = engine.plot(PlotRequest(drawer="test.x", tag="BS_run", since="250", until="300"))
    assert isinstance(ranged, History)
    assert ranged.since.tolist() == [200, 300]
    pinned = engine.plot(
        PlotRequest(
            drawer="test.x", tag="BS_run", snapshot=np.datetime64("2024-05-01T13:00").astype(object)
        )
    )
    assert isinstance(pinned, History)
    assert pinned.series["x"].values.tolist() == [0.1, 0.2, 0.3]
    assert pinned.provenance.snapshot == "2024-05-01T13:00:00Z"


def test_history_progress_counts_distinct_payloads(engine: Engine) -> None:
    seen: list[tuple[int, int]] = []
    engine.plot(
        PlotRequest(drawer="test.x", tag="BS_run"), progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_single_defaults_to_the_latest_iov_and_validates_params(engine: Engine) -> None:
    plot = engine.plot(PlotRequest(drawer="test.table", tag="BS_run", params={"scale": "2"}))
    assert isinstance(plot, Table)
    assert plot.columns["x"].tolist() == [1.0]  # latest IOV: x=0.5, times 2
    assert plot.provenance.iovs == (400,) and plot.provenance.parameters == {"scale": 2}
    inside = engine.plot(PlotRequest(drawer="test.table", tag="BS_run", iov="250"))
    assert isinstance(inside, Table) and inside.columns["x"].tolist() == [0.4]
    with pytest.raises(InvalidParameter, match="'scale'"):
        engine.plot(PlotRequest(drawer="test.table", tag="BS_run", params={"scale": "0"}))


def test_compare_two_iovs_keeps_order_and_labels(engine: Engine) -> None:
    plot = engine.plot(PlotRequest(drawer="test.diff", tag="BS_run", iov="100", iov2="300"))
    assert isinstance(plot, Table)
    assert plot.columns["dx"][0] == pytest.approx(0.2)
    assert plot.provenance.labels == ("IOV 100", "IOV 300")
    assert plot.provenance.iovs == (100, 300)
    swapped = engine.plot(PlotRequest(drawer="test.diff", tag="BS_run", iov="300", iov2="100"))
    assert isinstance(swapped, Table) and swapped.columns["dx"][0] == pytest.approx(-0.2)


def test_compare_two_tags(engine: Engine) -> None:
    plot = engine.plot(
        PlotRequest(
            drawer="test.diff", tag="BS_run", iov="100", tag2="BS_time", iov2="2024-05-01T14:00:00Z"
        )
    )
    assert plot.provenance.tags == ("BS_run", "BS_time")
    assert plot.provenance.labels[0] == "BS_run @ 100"
    assert plot.provenance.labels[1].startswith("BS_time @ 2024-05-01T13:00")
    with pytest.raises(InvalidParameter, match="iov2"):
        engine.plot(PlotRequest(drawer="test.diff", tag="BS_run", iov="100"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("test.raises", "drawer 'test.raises' failed: ZeroDivisionError: division by zero"),
        ("test.wrong_type", "returned dict, not a plot object"),
        ("test.inconsistent", "Histogram1D"),
        ("test.slow", "ran past its time limit of 0.2 s"),
    ],
)
def test_a_failing_drawer_fails_only_its_own_plot(engine: Engine, name: str, message: str) -> None:
    with pytest.raises(DrawerError, match=message):
        engine.plot(PlotRequest(drawer=name, tag="BS_run"))
    ok = engine.plot(PlotRequest(drawer="test.table", tag="BS_run"))
    assert isinstance(ok, Table)


def test_bad_history_values_name_the_payload(engine: Engine, hashes: dict[str, str]) -> None:
    with pytest.raises(DrawerError, match="returned 'high' for series 'value' of payload"):
        engine.plot(PlotRequest(drawer="test.bad_history", tag="BS_run"))


def test_user_errors(engine: Engine) -> None:
    with pytest.raises(NotFound, match=r"no drawer named 'test\.nope'"):
        engine.plot(PlotRequest(drawer="test.nope", tag="BS_run"))
    with pytest.raises(NotFound, match="tag 'nope'"):
        engine.plot(PlotRequest(drawer="test.x", tag="nope"))
    with pytest.raises(InvalidParameter, match="reads SiStripNoises payloads"):
        engine.plot(PlotRequest(drawer="test.noise", tag="BS_run"))
    with pytest.raises(NotFound, match="no IOV valid at 50"):
        engine.plot(PlotRequest(drawer="test.table", tag="BS_run", iov="50"))
    with pytest.raises(NotFound, match="has no IOVs"):
        engine.plot(PlotRequest(drawer="test.noise", tag="Empty_tag"))
    with pytest.raises(InvalidParameter, match="'since'"):
        engine.plot(PlotRequest(drawer="test.x", tag="BS_lumi", since="x:y"))


def test_concurrent_cold_requests_decode_and_reduce_once(engine: Engine) -> None:
    results: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(engine.plot(PlotRequest(drawer="test.x", tag="BS_run")))
        )
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 8
    assert len(CALLS) == 4
    assert engine.decodes == 4  # each of the 4 payloads decoded once, by one of the 8
