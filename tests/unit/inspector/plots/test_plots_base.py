"""Provenance, the JSON envelope, the type registry and equality."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inspector.errors import InspectorError, PluginError
from inspector.plots import (
    SCHEMA,
    VERSION,
    DetectorMap,
    Histogram1D,
    History,
    PlotError,
    PlotObject,
    PlotTypeRegistry,
    Provenance,
    Scatter,
    Series,
    from_json,
    plots_equal,
)
from inspector.plots.base import CsvColumn, JsonReader
from inspector.plots.serialize import to_float64
from inspector.plugin import hookimpl, load_plugins


def small_map(**changes: Any) -> DetectorMap:
    fields: dict[str, Any] = {
        "geometry": "tracker",
        "ids": [302055940, 302055944],
        "values": [1.5, np.nan],
        "title": "noise",
    }
    fields.update(changes)
    return DetectorMap(**fields)


def test_importing_plots_pulls_in_no_web_framework() -> None:
    code = (
        "import sys, inspector.plots\n"
        "web = sorted(m for m in sys.modules if m.split('.')[0] in ('bokeh', 'flask'))\n"
        "print(web)\n"
        "sys.exit(1 if web else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# -- provenance ---------------------------------------------------------------------------


def test_provenance_defaults_are_empty() -> None:
    p = Provenance()
    assert (p.db, p.tags, p.iovs, p.snapshot, p.time_type, p.labels) == ("", (), (), None, None, ())
    assert dict(p.parameters) == {}


def test_provenance_normalises_and_freezes() -> None:
    params = {"mode": "mean", "threshold": np.float32(2.5), "n": 3, "flag": True, "none": None}
    p = Provenance(
        db="pro",
        tags=["A", "B"],  # type: ignore[arg-type]
        iovs=[np.uint64(2**64 - 1), 5],  # type: ignore[arg-type]
        time_type="run",
        parameters=params,
        labels=("tag A", "tag B"),
    )
    assert p.tags == ("A", "B")
    assert p.iovs == (2**64 - 1, 5)
    assert p.time_type == "Run"
    assert p.parameters == {"mode": "mean", "threshold": 2.5, "n": 3, "flag": True, "none": None}
    params["mode"] = "changed"
    assert p.parameters["mode"] == "mean"
    with pytest.raises(TypeError):
        p.parameters["x"] = 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iovs": (-1,)}, "iovs must hold unsigned 64-bit values"),
        ({"iovs": (1.5,)}, "iovs must hold integers"),
        ({"tags": "A"}, "tags must be a sequence of strings"),
        ({"tags": ("A", 3)}, r"tags\[1\] must be a string"),
        ({"snapshot": "yesterday"}, "not an ISO 8601"),
        ({"snapshot": "2024-05-01T12:00:00+02:00"}, "must be in UTC"),
        ({"parameters": {"x": [1, 2]}}, "'x' must be a JSON scalar"),
        ({"parameters": {"x": float("nan")}}, "'x' must be finite"),
        ({"time_type": "Fortnight"}, "time_type 'Fortnight' is not one of"),
        ({"labels": ("first", "")}, "labels must not be empty"),
    ],
)
def test_provenance_rejects(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PlotError, match=f"^Provenance: .*{message}"):
        Provenance(**changes)


def test_provenance_accepts_utc_snapshots() -> None:
    for text in ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00+00:00", "2024-05-01T12:00:00.5"):
        assert Provenance(snapshot=text).snapshot == text


def test_provenance_json_writes_big_since_as_strings() -> None:
    big = (1_700_000_000 << 32) | 5
    doc = Provenance(iovs=(379100, big, 2**53)).to_json_dict()
    assert doc["iovs"] == [379100, str(big), 2**53]
    assert Provenance.from_json_dict(doc).iovs == (379100, big, 2**53)


def test_provenance_json_ignores_unknown_keys_and_fills_defaults() -> None:
    assert Provenance.from_json_dict({"db": "x", "added_later": 1}) == Provenance(db="x")


def test_readers_ignore_keys_added_within_a_version() -> None:
    doc = envelope(added_later={"a": 1})
    doc["data"]["added_later"] = [1, 2]
    assert from_json(doc) == small_map()


def test_comparison_keeps_input_order() -> None:
    p = Provenance(
        tags=("T",), iovs=(380200, 379100), labels=("IOV 380200", "IOV 379100"), drawer="a.b"
    )
    plot = small_map(provenance=p)
    again = from_json(plot.to_json())
    assert again.provenance.iovs == (380200, 379100)
    assert again.provenance.labels == ("IOV 380200", "IOV 379100")


# -- common fields ------------------------------------------------------------------------


def test_with_provenance_and_notes_make_new_plots() -> None:
    plot = small_map()
    p = Provenance(db="pro", drawer="strips.noise_map")
    attached = plot.with_provenance(p).with_notes("12 ids have no polygon")
    assert attached.provenance == p
    assert attached.notes == ("12 ids have no polygon",)
    assert plot.provenance == Provenance()
    assert plot.notes == ()


def test_common_fields_are_checked() -> None:
    with pytest.raises(PlotError, match=r"^DetectorMap: title must be a string"):
        small_map(title=3)
    with pytest.raises(PlotError, match=r"^DetectorMap: notes must be a sequence"):
        small_map(notes="just one")
    with pytest.raises(PlotError, match=r"^DetectorMap: provenance must be a Provenance"):
        small_map(provenance={"db": "x"})


def test_base_class_is_abstract() -> None:
    with pytest.raises(TypeError, match=r"abstract"):
        PlotObject()


def test_plot_error_is_an_inspector_error() -> None:
    with pytest.raises(PlotError) as caught:
        small_map(values=[1.0])
    err = caught.value
    assert isinstance(err, InspectorError)
    assert err.http_status == 500
    assert (err.plot_type, err.field) == ("DetectorMap", "values")
    assert err.message == "DetectorMap: values has 1 values for 2 ids"


# -- equality -----------------------------------------------------------------------------


def test_equality_compares_arrays_with_nan_positions() -> None:
    a, b = small_map(), small_map()
    assert a == b
    assert plots_equal(a, b)
    assert a != small_map(values=[np.nan, 1.5])
    assert a != small_map(title="other")
    assert a != small_map(notes=("n",))
    assert a != "a string"
    with pytest.raises(TypeError):
        hash(a)


def test_equality_requires_the_same_type() -> None:
    s = Scatter(x=[1.0], y=[2.0])
    h = Histogram1D(edges=[0.0, 1.0], counts=[1.0])
    assert s != h
    assert not plots_equal(s, h)


# -- JSON envelope ------------------------------------------------------------------------


def test_envelope_fields() -> None:
    doc = json.loads(small_map().to_json())
    assert doc["schema"] == SCHEMA == "payload-inspector/plot"
    assert doc["version"] == VERSION == 1
    assert doc["type"] == "DetectorMap"
    assert doc["title"] == "noise"
    assert doc["notes"] == []
    assert doc["provenance"]["db"] == ""
    assert doc["data"]["values"] == [1.5, None]


def test_json_is_compact_utf8() -> None:
    data = small_map(title="Rauschen ≥ 5σ").to_json()
    assert isinstance(data, bytes)
    assert "Rauschen ≥ 5σ".encode() in data
    assert b", " not in data
    assert b": " not in data


def envelope(**changes: Any) -> dict[str, Any]:
    doc = json.loads(small_map().to_json())
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        ("{", "not valid JSON"),
        ("[1, 2]", "the document must be a JSON object"),
        (envelope(schema="something/else"), "'schema' is 'something/else'"),
        (envelope(version=2), "version 2 is not supported .*newer.*knows 1"),
        (envelope(version=0), "version 0 is not supported; this reader knows 1"),
        (envelope(version="1"), "'version' must be an integer"),
        (envelope(type="PieChart"), "unknown plot type 'PieChart' .*plugin"),
        (envelope(notes="n"), "'notes' must be an array"),
        (envelope(provenance=[]), "'provenance' must be an object"),
    ],
)
def test_envelope_errors(document: Any, message: str) -> None:
    with pytest.raises(PlotError, match=f"^plot JSON: {message}"):
        from_json(document)


def test_data_errors_name_type_and_field() -> None:
    doc = envelope()
    del doc["data"]["ids"]
    with pytest.raises(PlotError, match=r"^DetectorMap: JSON data.ids is missing$"):
        from_json(doc)
    doc = envelope()
    doc["data"]["ids"] = [1, 2.5]
    with pytest.raises(PlotError, match=r"^DetectorMap: JSON data.ids is malformed"):
        from_json(doc)
    doc = envelope()
    doc["data"]["ids"] = [1, -2]
    with pytest.raises(PlotError, match=r"^DetectorMap: JSON data.ids is malformed"):
        from_json(doc)
    doc = envelope(data=[])
    with pytest.raises(PlotError, match=r"^DetectorMap: JSON data must be an object"):
        from_json(doc)
    doc = envelope()
    doc["data"]["values"] = [1.0]
    with pytest.raises(PlotError, match=r"^DetectorMap: values has 1 values for 2 ids"):
        from_json(doc)


def test_subclass_from_json_checks_the_type() -> None:
    data = small_map().to_json()
    assert isinstance(DetectorMap.from_json(data), DetectorMap)
    assert isinstance(from_json(data), DetectorMap)
    with pytest.raises(PlotError, match=r"describes a 'DetectorMap', not a PlotObject"):
        PlotObject.from_json(data)  # the base class reads no type: use a registry
    with pytest.raises(
        PlotError, match=r"^History: the JSON describes a 'DetectorMap', not a History"
    ):
        History.from_json(data)


def test_non_finite_values_are_written_as_null() -> None:
    scatter = Scatter(x=[1.0, np.inf, -np.inf, np.nan], y=[0.0, 0.0, 0.0, 0.0])
    doc = json.loads(scatter.to_json())
    assert doc["data"]["x"] == [1.0, None, None, None]
    # Documented: Inf is not representable in JSON and reads back as NaN.
    assert np.array_equal(from_json(doc).x, [1.0, np.nan, np.nan, np.nan], equal_nan=True)  # type: ignore[attr-defined]


def test_integers_beyond_2_53_are_strings() -> None:
    since = np.array([1, 2**53, 2**53 + 1, 2**64 - 1], dtype=np.uint64)
    history = History(since=since, until=since, time_type="Time", series={"x": Series(np.zeros(4))})
    doc = json.loads(history.to_json())
    assert doc["data"]["since"] == [1, 2**53, str(2**53 + 1), str(2**64 - 1)]
    assert from_json(doc) == history


def test_float32_values_keep_their_decimal_form() -> None:
    scatter = Scatter(x=np.array([228.975, 0.1], dtype=np.float32), y=[1.0, 2.0])
    assert scatter.x.dtype == np.float64
    assert b"[228.975,0.1]" in scatter.to_json()
    assert "228.975," in scatter.to_csv()
    assert b"228.97500610351562" not in scatter.to_json()


@given(hnp.arrays(np.float32, st.integers(0, 50), elements=st.floats(width=32)))
def test_float32_widening_is_lossless_and_shortest(values: np.ndarray[Any, Any]) -> None:
    wide = to_float64(values)
    assert wide.dtype == np.float64
    assert np.array_equal(wide.astype(np.float32), values, equal_nan=True)
    shortest = values.astype(np.str_).astype(np.float64)  # numpy's shortest float32 repr
    assert np.array_equal(wide, shortest, equal_nan=True)


# -- registry -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, eq=False)
class Gauge(PlotObject):
    """A plugin's plot type: one value on a dial."""

    plot_type = "test_plots_base.Gauge"

    value: float
    unit: str = ""

    def validate(self) -> None:
        self.check_texts("unit")
        self.set_field("value", float(self.value))

    def data_to_json(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit}

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        return cls(value=data.number("value"), unit=data.text("unit"), **common)

    def csv_columns(self) -> list[CsvColumn]:
        return [CsvColumn("value", np.array([self.value]), "", self.unit)]


class GaugePlugin:
    @hookimpl
    def register_plot_types(self) -> list[type[PlotObject]]:
        return [Gauge]


def test_builtin_types_come_through_the_hook_like_a_plugins() -> None:
    names = load_plugins(entry_points=False).plot_types.names()
    assert names == sorted(
        ["Histogram1D", "Histogram2D", "DetectorMap", "History", "Scatter", "Table"]
    )


def test_plugin_type_round_trips_through_the_plugins_registry() -> None:
    types = load_plugins(entry_points=False, extra=[("gauge", GaugePlugin())]).plot_types
    gauge = Gauge(value=3.5, unit="V", title="HV", provenance=Provenance(db="pro"))
    assert types.get("test_plots_base.Gauge") is Gauge
    again = types.from_json(gauge.to_json())
    assert isinstance(again, Gauge) and again == gauge
    assert Gauge.from_json(gauge.to_json()) == gauge
    assert "# type: test_plots_base.Gauge" in gauge.to_csv()
    # nothing global changed: without the plugin the type is unknown, and says so
    with pytest.raises(PlotError, match=r"unknown plot type 'test_plots_base.Gauge'.*installed"):
        from_json(gauge.to_json())


def test_registering_twice_is_harmless_but_name_clashes_are_refused() -> None:
    types = PlotTypeRegistry([History, Gauge, Gauge])

    @dataclass(frozen=True, kw_only=True, eq=False)
    class Impostor(Gauge):
        plot_type = "History"

    with pytest.raises(PlotError, match=r"already registered by inspector.plots.history.History"):
        types.add(Impostor)
    assert types.get("History") is History

    class Clash:
        @hookimpl
        def register_plot_types(self) -> list[type[PlotObject]]:
            return [Impostor]

    with pytest.raises(PluginError, match=r"plugin 'clash'.*already registered"):
        load_plugins(entry_points=False, extra=[("clash", Clash())])


def test_only_plot_object_dataclasses_register() -> None:
    types = PlotTypeRegistry()
    with pytest.raises(TypeError):
        types.add(dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        types.add(PlotObject)

    class NotADataclass(PlotObject):
        pass

    with pytest.raises(TypeError, match=r"must be a dataclass"):
        types.add(NotADataclass)


def test_every_builtin_type_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[4] / "docs" / "plot-objects.md").read_text()
    for name in ("Histogram1D", "Histogram2D", "DetectorMap", "History", "Scatter", "Table"):
        # once for the Python fields, once for the JSON data object
        assert docs.count(f"**{name}**") >= 2, name
