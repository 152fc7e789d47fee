"""Compact map encodings: quantised values and layouts, decoded as the page does."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from inspector.geometry import GeometryRegistry
from inspector.plots import DetectorMap
from inspector.plugin import load_plugins
from inspector.render import RendererRegistry, RenderError
from inspector.render.bokeh_renderers import DETECTOR_MAP_SOURCE
from inspector.render.geometry_json import NAN_CODE, encode_geometry, quantise_values


def _decode(b64: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=dtype)


def _dequantise(codes: np.ndarray, lo: float, hi: float) -> np.ndarray:
    out = lo + codes.astype(np.float64) * (hi - lo) / 65534
    out[codes == NAN_CODE] = np.nan
    return out


def test_values_round_trip_within_a_65534th_of_the_range() -> None:
    values = np.array([1.0, np.nan, 2.5, 7.0, -3.0])
    codes, lo, hi = quantise_values(values)
    back = _dequantise(_decode(codes, "<u2"), lo, hi)
    assert (lo, hi) == (-3.0, 7.0)
    assert np.isnan(back[1])
    assert np.allclose(back[[0, 2, 3, 4]], values[[0, 2, 3, 4]], atol=10 / 65534)


def test_tracker_map_layout_decodes_to_the_shipped_polygons() -> None:
    registry = GeometryRegistry()
    layout = registry.get("tracker_map")
    encoded = encode_geometry(layout, registry.module_names("tracker_map"))
    doc = json.loads(encoded.body)
    assert doc["count"] == len(layout) == 16_588
    assert np.array_equal(_decode(doc["ids"], "<u4"), layout.ids)
    counts = _decode(doc["counts"], "<u1").astype(np.int64)
    assert np.array_equal(np.concatenate(([0], np.cumsum(counts))), layout.offsets)
    x = _dequantise(_decode(doc["x"], "<u2"), *doc["x_range"])
    span = doc["x_range"][1] - doc["x_range"][0]
    assert np.abs(x - layout.x).max() <= span / 65534
    assert doc["names"][0] == registry.module_names("tracker_map")[0]
    assert encode_geometry(layout, None).digest == encode_geometry(layout, None).digest


@pytest.fixture(scope="module")
def renderers() -> RendererRegistry:
    return RendererRegistry(load_plugins().renderers)


def _map() -> DetectorMap:
    ids = np.array([303042564, 303042568, 999], dtype=np.uint32)  # last one has no polygon
    return DetectorMap(
        geometry="bpix_layer1", ids=ids, values=np.array([1.0, 2.0, 3.0]), value_label="gain"
    )


def test_page_mode_sends_values_and_the_layout_url_only(renderers: RendererRegistry) -> None:
    model = renderers.render(_map(), {"geometry_url": lambda name: f"/geometry/{name}.x.json"})
    source = next(
        r.data_source for r in model.renderers if r.data_source.name == DETECTOR_MAP_SOURCE
    )
    meta = source.tags[0]
    assert meta["geometry_url"] == "/geometry/bpix_layer1.x.json"
    assert source.data["xs"] == []
    values = _dequantise(_decode(meta["codes"], "<u2"), meta["lo"], meta["hi"])
    layout = GeometryRegistry().get("bpix_layer1")
    assert values.size == len(layout) == 96
    assert np.count_nonzero(np.isfinite(values)) == 2  # joined by id, the rest grey


def test_inline_mode_embeds_polygons_ids_and_names(renderers: RendererRegistry) -> None:
    model = renderers.render(_map())
    source = next(
        r.data_source
        for r in model.renderers
        if "xs" in r.data_source.data and len(r.data_source.data["xs"])
    )
    assert len(source.data["xs"]) == 96 and source.data["name"][0].startswith("BPix")
    assert np.nansum(source.data["value"]) == 3.0


def test_unknown_layout_is_a_render_error(renderers: RendererRegistry) -> None:
    bad = DetectorMap(geometry="nowhere", ids=np.array([1], np.uint32), values=np.ones(1))
    with pytest.raises(RenderError, match=r"cannot draw the map: .*'nowhere'"):
        renderers.render(bad)
