"""Built-in map drawers on the demo database vs plain numpy over the decoded arrays.

The plugin is registered explicitly (entry points off), exactly as a
third-party plugin's tests would do it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import inspector_plugins.maps
import inspector_plugins.schemas
import numpy as np
import pytest
from drawer_checks import alignment_modules, iov_sinces, payload_at, strip_codes, strip_modules

from inspector.config import Config, DatabaseConfig
from inspector.engine import Engine, PlotRequest
from inspector.errors import InvalidParameter
from inspector.geometry import GeometryRegistry, load_layout, partition_of
from inspector.geometry.detid import layer, subdetector
from inspector.payload import DecodedPayload
from inspector.plots import DetectorMap

ROOT = Path(__file__).resolve().parents[3]
NOISE = "SiStripNoise_prompt_v1"
NOISE_RERECO = "SiStripNoise_rereco_v2"
ALIGNMENT = "TrackerAlignment_prompt_v1"
GAINS = "SiPixelGainCalibrationHLT_2024_v1"
STRIP_MODULES = 15_148
PHASE0_PIXELS = 1_440


@pytest.fixture(scope="module")
def engine(demo_path: Path) -> Iterator[Engine]:
    """An engine over the demo database with only the schemas and the map drawers."""
    from inspector.plugin import load_plugins

    plugins = load_plugins(
        entry_points=False,
        extra=[("schemas", inspector_plugins.schemas), ("maps", inspector_plugins.maps)],
    )
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    eng = Engine(config, plugins)
    yield eng
    eng.close()


def draw(engine: Engine, drawer: str, tag: str, **request: Any) -> DetectorMap:
    plot = engine.plot(PlotRequest(drawer=drawer, tag=tag, **request))
    assert isinstance(plot, DetectorMap)
    return plot


def value_of(plot: DetectorMap, detid: int) -> float:
    """The map's value for one module, found by plain lookup (not the join under test)."""
    return float(plot.values[plot.ids.tolist().index(detid)])


def hashes(engine: Engine, tag: str) -> list[str]:
    return [str(h) for h in engine.iovs("demo", tag).payload_hash]


# --------------------------------------------------------------------------- independent sums


def module_sums(payload: DecodedPayload) -> tuple[list[int], list[int], list[int]]:
    """(detid, sum of noise codes, strips) per module, one Python slice at a time."""
    modules = strip_modules(payload)
    codes = strip_codes(payload).astype(np.int64)
    begin, end = np.asarray(modules["ibegin"]), np.asarray(modules["iend"])
    ids = [int(d) for d in modules["detid"]]
    sums = [int(codes[b:e].sum()) for b, e in zip(begin.tolist(), end.tolist(), strict=True)]
    return ids, sums, (end - begin).tolist()


def chosen_modules(payload: DecodedPayload) -> list[int]:
    """A few modules of every strip sub-detector, plus a dead one."""
    ids, sums, _ = module_sums(payload)
    names = partition_of(np.asarray(ids))
    chosen = [
        ids[i]
        for name in ("TIB", "TID", "TOB", "TEC")
        for i in np.flatnonzero(names == name)[[0, 7, -1]]
    ]
    dead = [detid for detid, total in zip(ids, sums, strict=True) if total == 0]
    assert dead, "the demo payload has dead modules"
    return [*chosen, dead[0]]


# --------------------------------------------------------------------------- maps.strip_noise


def test_strip_noise_map_holds_the_mean_noise_of_each_module(engine: Engine) -> None:
    since = iov_sinces(engine, NOISE)[0]
    plot = draw(engine, "maps.strip_noise", NOISE, iov=str(since))
    assert plot.geometry == "tracker_map"
    assert np.array_equal(plot.ids, load_layout("tracker_map").ids)
    payload = payload_at(engine, NOISE, since)
    ids, sums, strips = module_sums(payload)
    by_id = {d: (s, n) for d, s, n in zip(ids, sums, strips, strict=True)}
    for detid in chosen_modules(payload):
        total, count = by_id[detid]
        assert value_of(plot, detid) == pytest.approx(total / count / 10.0, rel=1e-12)
    grey = np.isnan(plot.values)
    assert np.count_nonzero(grey) == PHASE0_PIXELS
    assert set(np.asarray(subdetector(plot.ids[grey])).tolist()) == {1, 2}
    dead = sum(1 for s in sums if s == 0)
    assert plot.notes == (
        f"{dead} modules dead (noise 0)",
        "1,440 of 16,588 modules have no value (grey)",
    )
    assert plot.value_unit == "ADC counts" and not plot.diverging and plot.value_range is None


def test_strip_noise_partition_greys_the_rest_of_the_tracker(engine: Engine) -> None:
    since = iov_sinces(engine, NOISE)[-1]
    full = draw(engine, "maps.strip_noise", NOISE, iov=str(since))
    tec = draw(engine, "maps.strip_noise", NOISE, iov=str(since), params={"partition": "TEC+"})
    inside = partition_of(tec.ids, sides=True) == "TEC+"
    assert np.array_equal(tec.values[inside], full.values[inside])
    assert bool(np.isnan(tec.values[~inside]).all())
    assert tec.notes[-1] == f"{16_588 - 3_200:,} modules outside TEC+ (grey)"
    assert tec.title.endswith("(TEC+)")


def test_strip_noise_fixed_colour_scale(engine: Engine) -> None:
    since = str(iov_sinces(engine, NOISE)[0])
    plot = draw(engine, "maps.strip_noise", NOISE, iov=since, params={"low": "2", "high": " 9.5"})
    assert plot.value_range == (2.0, 9.5)


@pytest.mark.parametrize(
    ("params", "parameter", "reason"),
    [
        ({"low": "2"}, "high", "give both low and high"),
        ({"high": "2"}, "low", "give both low and high"),
        ({"low": "3", "high": "3"}, "high", "3 is not above low 3"),
        ({"low": "x", "high": "3"}, "low", "'x' is not a number"),
        ({"low": "0", "high": "inf"}, "high", "not a finite number"),
        ({"partition": "BPix"}, "partition", "is not one of"),
    ],
)
def test_strip_noise_refuses_bad_parameters(
    engine: Engine, params: dict[str, str], parameter: str, reason: str
) -> None:
    since = str(iov_sinces(engine, NOISE)[0])
    with pytest.raises(InvalidParameter, match=reason) as caught:
        draw(engine, "maps.strip_noise", NOISE, iov=since, params=params)
    assert caught.value.parameter == parameter


# --------------------------------------------------------------------------- maps.strip_noise_ratio


def test_noise_ratio_of_two_iovs_sharing_a_payload_is_exactly_one(engine: Engine) -> None:
    sinces, payloads = iov_sinces(engine, NOISE), hashes(engine, NOISE)
    assert payloads[0] == payloads[1], "the demo repeats a payload over consecutive runs"
    plot = draw(engine, "maps.strip_noise_ratio", NOISE, iov=str(sinces[0]), iov2=str(sinces[1]))
    defined = ~np.isnan(plot.values)
    assert bool((plot.values[defined] == 0.0).all())
    _, sums, _ = module_sums(payload_at(engine, NOISE, sinces[0]))
    dead = sum(1 for s in sums if s == 0)
    assert np.count_nonzero(defined) == STRIP_MODULES - dead
    assert (
        plot.notes[0]
        == f"{dead} modules dead (noise 0) in the first or second input: no ratio (grey)"
    )
    assert plot.notes[1] == f"{PHASE0_PIXELS + dead:,} of 16,588 modules have no value (grey)"
    assert plot.diverging and plot.value_label == "noise ratio − 1"
    assert plot.title == f"Strip noise IOV {sinces[1]} / IOV {sinces[0]} − 1"


def test_noise_ratio_is_nonzero_exactly_where_the_noise_changed(engine: Engine) -> None:
    sinces, payloads = iov_sinces(engine, NOISE), hashes(engine, NOISE)
    assert payloads[0] != payloads[-1]
    plot = draw(
        engine,
        "maps.strip_noise_ratio",
        NOISE,
        iov=str(sinces[0]),
        iov2=str(sinces[-1]),
        params={"range": "0.05"},
    )
    ids, sums1, strips = module_sums(payload_at(engine, NOISE, sinces[0]))
    ids2, sums2, _ = module_sums(payload_at(engine, NOISE, sinces[-1]))
    assert ids == ids2
    expected = {
        detid: (b / n) / (a / n) - 1.0
        for detid, a, b, n in zip(ids, sums1, sums2, strips, strict=True)
        if a and b
    }
    changed = {detid for detid, a, b in zip(ids, sums1, sums2, strict=True) if a and b and a != b}
    got = {
        detid: value
        for detid, value in zip(plot.ids.tolist(), plot.values.tolist(), strict=True)
        if not math.isnan(value)
    }
    assert got.keys() == expected.keys()
    assert all(got[d] == pytest.approx(expected[d], abs=1e-12) for d in expected)
    assert {d for d, value in got.items() if value != 0.0} == changed
    assert len(changed) > 1000
    assert plot.value_range == (-0.05, 0.05)


def test_noise_ratio_between_two_tags(engine: Engine) -> None:
    prompt, rereco = iov_sinces(engine, NOISE), iov_sinces(engine, NOISE_RERECO)
    shared = rereco[0]  # the re-reco tag reuses the prompt payload of its first run
    assert hashes(engine, NOISE_RERECO)[0] == hashes(engine, NOISE)[prompt.index(shared)]
    same = draw(
        engine,
        "maps.strip_noise_ratio",
        NOISE,
        iov=str(shared),
        tag2=NOISE_RERECO,
        iov2=str(shared),
    )
    assert bool((same.values[~np.isnan(same.values)] == 0.0).all())
    redone = rereco[-1]  # a newly derived payload
    new = draw(
        engine,
        "maps.strip_noise_ratio",
        NOISE,
        iov=str(redone),
        tag2=NOISE_RERECO,
        iov2=str(redone),
        params={"partition": "TOB"},
    )
    ids, a, n = module_sums(payload_at(engine, NOISE, redone))
    _, b, _ = module_sums(payload_at(engine, NOISE_RERECO, redone))
    tob = next(i for i, d in enumerate(ids) if partition_of(d) == "TOB" and a[i] and b[i])
    expected = (b[tob] / n[tob]) / (a[tob] / n[tob]) - 1.0
    assert value_of(new, ids[tob]) == pytest.approx(expected, abs=1e-12)
    assert value_of(new, ids[tob]) != 0.0
    tib = next(d for d in ids if partition_of(d) == "TIB")
    assert math.isnan(value_of(new, tib))
    assert new.provenance.tags == (NOISE, NOISE_RERECO)


# --------------------------------------------------------------------------- maps.alignment_delta


def positions(payload: DecodedPayload) -> dict[int, tuple[float, float, float]]:
    modules = alignment_modules(payload)
    return {
        int(d): (float(x), float(y), float(z))
        for d, x, y, z in zip(
            modules["detid"], modules["x"], modules["y"], modules["z"], strict=True
        )
    }


def test_alignment_delta_of_chosen_modules(engine: Engine) -> None:
    sinces = iov_sinces(engine, ALIGNMENT)
    before = positions(payload_at(engine, ALIGNMENT, sinces[0]))
    after = positions(payload_at(engine, ALIGNMENT, sinces[-1]))
    strips = [d for d in before if subdetector(d) >= 3]
    chosen = [strips[0], strips[len(strips) // 2], strips[-1]]
    for coordinate, index in (("x", 0), ("y", 1), ("z", 2)):
        plot = draw(
            engine,
            "maps.alignment_delta",
            ALIGNMENT,
            iov=str(sinces[0]),
            iov2=str(sinces[-1]),
            params={"coordinate": coordinate, "range": "40"},
        )
        for detid in chosen:
            expected = (after[detid][index] - before[detid][index]) * 1e4
            assert value_of(plot, detid) == pytest.approx(expected, abs=1e-6)
        assert plot.value_unit == "µm" and plot.value_range == (-40.0, 40.0) and plot.diverging
    phi = draw(
        engine,
        "maps.alignment_delta",
        ALIGNMENT,
        iov=str(sinces[0]),
        iov2=str(sinces[-1]),
        params={"coordinate": "phi"},
    )
    for detid in chosen:
        turn = math.atan2(after[detid][1], after[detid][0]) - math.atan2(
            before[detid][1], before[detid][0]
        )
        turn = (turn + math.pi) % (2 * math.pi) - math.pi
        assert value_of(phi, detid) == pytest.approx(turn * 1e6, abs=1e-3)
    assert phi.value_unit == "µrad" and phi.value_label == "Δφ"
    assert phi.notes[0].startswith("1,856 ids have a value but no polygon in tracker_map (e.g. ")


def test_alignment_delta_is_zero_for_one_payload_and_nonzero_where_it_moved(
    engine: Engine,
) -> None:
    sinces = iov_sinces(engine, ALIGNMENT)
    same = draw(engine, "maps.alignment_delta", ALIGNMENT, iov=str(sinces[1]), iov2=str(sinces[1]))
    defined = ~np.isnan(same.values)
    assert np.count_nonzero(defined) == STRIP_MODULES
    assert bool((same.values[defined] == 0.0).all())
    assert same.notes == (
        "1,856 ids have a value but no polygon in tracker_map (e.g. 303042564, 303042568, "
        "303042572, ...)",
        "1,440 of 16,588 modules have no value (grey)",
    )
    moved = draw(
        engine,
        "maps.alignment_delta",
        ALIGNMENT,
        iov=str(sinces[0]),
        iov2=str(sinces[1]),
        params={"coordinate": "z", "partition": "TIB"},
    )
    before = positions(payload_at(engine, ALIGNMENT, sinces[0]))
    after = positions(payload_at(engine, ALIGNMENT, sinces[1]))
    tib = {d for d in before if subdetector(d) == 3}
    changed = {d for d in tib if after[d][2] != before[d][2]}
    nonzero = set(moved.ids[~np.isnan(moved.values) & (moved.values != 0.0)].tolist())
    assert nonzero == changed and len(changed) > 100
    assert np.count_nonzero(~np.isnan(moved.values)) == len(tib)


# --------------------------------------------------------------------------- maps.pixel_barrel


@pytest.mark.parametrize("quantity", ["gain", "pedestal"])
@pytest.mark.parametrize("layer_number", [1, 2, 3, 4])
def test_pixel_barrel_map_of_each_layer(engine: Engine, quantity: str, layer_number: int) -> None:
    since = iov_sinces(engine, GAINS)[-1]
    plot = draw(
        engine,
        "maps.pixel_barrel",
        GAINS,
        iov=str(since),
        params={"quantity": quantity, "layer": str(layer_number)},
    )
    layout = GeometryRegistry().get(f"bpix_layer{layer_number}")
    assert plot.geometry == f"bpix_layer{layer_number}"
    assert np.array_equal(plot.ids, layout.ids)
    assert not bool(np.isnan(plot.values).any()) and plot.notes == ()
    payload = payload_at(engine, GAINS, since)
    modules = payload["indexes"]
    # ForHLT column blocks: two bytes, gain code then pedestal code; 254, 255 are flags
    raw = np.asarray(payload["v_pedestals"]).view(np.uint8)
    codes = raw[(0 if quantity == "gain" else 1) :: 2].astype(np.float64)
    low = "minGain_" if quantity == "gain" else "minPed_"
    step = "gainPrecision" if quantity == "gain" else "pedPrecision"
    physical = (codes * float(payload[step]) + float(payload[low])).astype(np.float32)
    physical = np.where(codes >= 254, np.nan, physical)
    ids = [int(d) for d in modules["detid"]]
    on_layer = [i for i, d in enumerate(ids) if subdetector(d) == 1 and layer(d) == layer_number]
    for i in (on_layer[0], on_layer[len(on_layer) // 2], on_layer[-1]):
        begin, end = int(modules["ibegin"][i]) // 2, int(modules["iend"][i]) // 2
        expected = float(np.nanmean(physical[begin:end].astype(np.float64)))
        assert value_of(plot, ids[i]) == pytest.approx(expected, rel=1e-9)
    assert plot.value_label == f"mean {quantity}"


def test_pixel_barrel_colour_scale_and_layer_bounds(engine: Engine) -> None:
    plot = draw(engine, "maps.pixel_barrel", GAINS, params={"low": "2.5", "high": "3.5"})
    assert plot.value_range == (2.5, 3.5) and plot.geometry == "bpix_layer1"
    with pytest.raises(InvalidParameter, match="above the maximum"):
        draw(engine, "maps.pixel_barrel", GAINS, params={"layer": "5"})


# --------------------------------------------------------------------------- catalogue


def test_every_map_drawer_is_in_the_catalogue(engine: Engine) -> None:
    catalogue = (ROOT / "docs" / "drawers.md").read_text()
    drawers = [d for d in engine.plugins.drawers if d.plugin == "maps"]
    assert {d.name for d in drawers} == {
        "maps.strip_noise",
        "maps.strip_noise_ratio",
        "maps.alignment_delta",
        "maps.pixel_barrel",
    }
    for d in drawers:
        assert f"`{d.name}`" in catalogue, d.name
        assert d.description.splitlines()[0] in catalogue, d.name
