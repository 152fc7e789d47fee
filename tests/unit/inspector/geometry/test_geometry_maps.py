"""detector_map(): values joined to a layout by id, in the layout's order, with notes."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inspector.errors import InvalidParameter, NotFound
from inspector.geometry import (
    GeometryRegistry,
    detector_map,
    load_layout,
    pixel_modules,
    strip_module_ids,
)
from inspector.geometry import maps as maps_module
from inspector.geometry.detid import subdetector
from inspector.plots import DetectorMap, from_json, plots_equal

# Real tracker ids (two TIB, two TOB, one TEC-, one TEC+, one Phase-0 BPix), written
# to the file out of order so the join cannot rely on the file order.
TIB = (369120277, 369120278)
TOB = (436228133, 436228134)
TEC_MINUS, TEC_PLUS, BPIX = 470044965, 470307109, 302055684
TINY_IDS = (TOB[1], TIB[0], TEC_PLUS, BPIX, TOB[0], TEC_MINUS, TIB[1])
NOT_IN_TINY = (470307110, 436228135)


def tiny_registry(tmp_path: Path) -> GeometryRegistry:
    """A registry with the shipped layouts plus ``tiny``: one square per id above."""
    lines = [f"{detid} {i} 0 {i + 1} 0 {i + 1} 1 {i} 1\n" for i, detid in enumerate(TINY_IDS)]
    path = tmp_path / "tiny.txt"
    path.write_text("".join(lines))
    return GeometryRegistry([path])


def tiny_map(registry: GeometryRegistry, ids: Any, values: Any, **kwargs: Any) -> DetectorMap:
    return detector_map(
        "tiny",
        ids,
        values,
        title="t",
        value_label="noise",
        value_unit="ADC counts",
        registry=registry,
        **kwargs,
    )


# --------------------------------------------------------------------------- the join


def test_values_land_on_their_polygons_in_the_layout_order(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    ids = np.array([TEC_PLUS, NOT_IN_TINY[0], TIB[0], TOB[1], NOT_IN_TINY[1]], dtype=np.int64)
    values = np.array([5.5, 9.0, 1.5, 4.0, 7.0])
    plot = tiny_map(registry, ids, values)
    assert plot.geometry == "tiny"
    assert plot.ids.tolist() == sorted(TINY_IDS)  # every module, ascending like the layout
    by_id = dict(zip(plot.ids.tolist(), plot.values.tolist(), strict=True))
    assert by_id[TEC_PLUS] == 5.5 and by_id[TIB[0]] == 1.5 and by_id[TOB[1]] == 4.0
    grey = [detid for detid, value in by_id.items() if math.isnan(value)]
    assert sorted(grey) == sorted({*TINY_IDS} - {TEC_PLUS, TIB[0], TOB[1]})
    assert plot.notes == (
        f"2 ids have a value but no polygon in tiny (e.g. {NOT_IN_TINY[1]}, {NOT_IN_TINY[0]})",
        "4 of 7 modules have no value (grey)",
    )
    assert plot.value_label == "noise" and plot.value_unit == "ADC counts"
    assert plot.value_range is None and plot.diverging is False


def test_no_notes_when_every_module_has_a_value(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    plot = tiny_map(registry, list(TINY_IDS), np.arange(7), notes=["from the drawer"])
    assert plot.notes == ("from the drawer",)
    assert plot.values.dtype == np.float64
    assert plot.values[np.searchsorted(plot.ids, TINY_IDS)].tolist() == list(range(7))


def test_singular_notes_and_long_lists_of_examples(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    one = tiny_map(registry, [*TINY_IDS[:6], NOT_IN_TINY[0]], np.ones(7))
    assert one.notes == (
        f"1 id has a value but no polygon in tiny (e.g. {NOT_IN_TINY[0]})",
        "1 of 7 modules has no value (grey)",
    )
    many = tiny_map(registry, [1, 2, 3, 4], np.ones(4))
    assert many.notes[0] == "4 ids have a value but no polygon in tiny (e.g. 1, 2, 3, ...)"
    assert many.notes[1] == "7 of 7 modules have no value (grey)"


def test_nan_values_count_as_no_value(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    values = np.ones(7)
    values[[1, 4]] = np.nan
    plot = tiny_map(registry, list(TINY_IDS), values)
    assert plot.notes == ("2 of 7 modules have no value (grey)",)
    assert np.count_nonzero(np.isnan(plot.values)) == 2


def test_a_partition_greys_the_modules_outside_it(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    ids = [TIB[0], TOB[0], TEC_PLUS, TEC_MINUS, BPIX]
    plot = tiny_map(registry, ids, [1.0, 2.0, 3.0, 4.0, 5.0], partition="TEC")
    by_id = dict(zip(plot.ids.tolist(), plot.values.tolist(), strict=True))
    assert by_id[TEC_PLUS] == 3.0 and by_id[TEC_MINUS] == 4.0
    assert all(math.isnan(v) for k, v in by_id.items() if k not in (TEC_PLUS, TEC_MINUS))
    assert plot.notes == ("5 modules outside TEC (grey)",)
    tib = tiny_map(registry, ids, [1.0, 2.0, 3.0, 4.0, 5.0], partition="TIB")
    assert tib.notes == (
        "1 of 2 modules in TIB has no value (grey)",
        "5 modules outside TIB (grey)",
    )
    plus = tiny_map(registry, ids, [1.0, 2.0, 3.0, 4.0, 5.0], partition="TEC+")
    assert np.count_nonzero(~np.isnan(plus.values)) == 1
    with pytest.raises(InvalidParameter, match="unknown partition 'TIC'"):
        tiny_map(registry, ids, np.ones(5), partition="TIC")


def test_float32_values_keep_their_decimals(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    plot = tiny_map(registry, [TIB[0]], np.array([4.53], dtype=np.float32))
    assert plot.values[np.searchsorted(plot.ids, TIB[0])] == 4.53


# --------------------------------------------------------------------------- refusals


def test_repeated_ids_are_an_error_naming_the_id(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    with pytest.raises(ValueError, match=f"ids must be unique: id {TOB[0]} appears 3 times"):
        tiny_map(registry, [TOB[0], TIB[0], TOB[0], TOB[0]], np.ones(4))
    with pytest.raises(ValueError, match=r"appears 2 times \(and 1 more ids repeat\)"):
        tiny_map(registry, [TOB[0], TIB[0], TOB[0], TIB[0]], np.ones(4))
    # also when the repeated id has no polygon: the payload is wrong either way
    with pytest.raises(ValueError, match="id 5 appears 2 times"):
        tiny_map(registry, [5, 5], np.ones(2))


@pytest.mark.parametrize(
    "value_range",
    [(1.0, 1.0), (2.0, 1.0), (math.nan, 1.0), (0.0, math.inf), (-math.inf, 0.0)],
)
def test_value_range_must_be_finite_and_increasing(
    tmp_path: Path, value_range: tuple[float, float]
) -> None:
    registry = tiny_registry(tmp_path)
    with pytest.raises(ValueError, match="value_range must be finite with lo < hi"):
        tiny_map(registry, [TIB[0]], [1.0], value_range=value_range)


@pytest.mark.parametrize("value_range", [(1.0,), ("a", "b"), (1.0, 2.0, 3.0), 5])
def test_value_range_must_be_a_pair_of_numbers(tmp_path: Path, value_range: Any) -> None:
    registry = tiny_registry(tmp_path)
    with pytest.raises(ValueError, match="value_range must be"):
        tiny_map(registry, [TIB[0]], [1.0], value_range=value_range)


def test_a_valid_value_range_is_kept_as_floats(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    plot = tiny_map(registry, [TIB[0]], [1.0], value_range=(0, 5), diverging=True)
    assert plot.value_range == (0.0, 5.0)
    assert plot.diverging is True


@pytest.mark.parametrize(
    ("ids", "values", "error", "message"),
    [
        (np.array([1.0, 2.0]), [1.0, 2.0], TypeError, "ids must be integers"),
        ([-1, 2], [1.0, 2.0], ValueError, "from 0 to 4294967295, got -1"),
        ([1, 2**32], [1.0, 2.0], ValueError, "got 4294967296"),
        ([[1, 2]], [1.0, 2.0], ValueError, "ids must be 1-dimensional"),
        ([1, 2], [1.0], ValueError, "one value per id"),
        ([1, 2], ["a", "b"], TypeError, "values must be numbers"),
        ([1, 2], [1.0, math.inf], ValueError, "id 2 has inf"),
    ],
)
def test_malformed_ids_or_values_are_refused(
    tmp_path: Path, ids: Any, values: Any, error: type[Exception], message: str
) -> None:
    registry = tiny_registry(tmp_path)
    with pytest.raises(error, match=message):
        tiny_map(registry, ids, values)


def test_an_unknown_layout_is_not_found() -> None:
    with pytest.raises(NotFound, match="no geometry layout named 'tracker_mop'"):
        detector_map("tracker_mop", [], [], title="", value_label="", value_unit="")


# --------------------------------------------------------------------------- the real tracker map


def test_every_strip_module_on_the_real_tracker_map() -> None:
    layout = load_layout("tracker_map")
    strips = strip_module_ids()
    values = np.sqrt(strips.astype(np.float64))
    plot = detector_map(
        "tracker_map", strips[::-1], values[::-1], title="", value_label="", value_unit=""
    )
    assert np.array_equal(plot.ids, layout.ids)
    placed = layout.positions(strips)
    assert np.array_equal(plot.values[placed], values)
    grey = np.isnan(plot.values)
    assert np.array_equal(np.asarray(subdetector(plot.ids[grey])) <= 2, np.ones(1440, bool))
    assert plot.notes == ("1,440 of 16,588 modules have no value (grey)",)


def test_phase1_pixel_ids_have_no_polygon_on_the_tracker_map() -> None:
    strips = strip_module_ids()
    pixels, _ = pixel_modules()
    ids = np.concatenate([pixels, strips])
    plot = detector_map(
        "tracker_map", ids, np.ones(ids.size), title="", value_label="", value_unit=""
    )
    first = ", ".join(str(i) for i in pixels[:3].tolist())
    assert plot.notes == (
        f"1,856 ids have a value but no polygon in tracker_map (e.g. {first}, ...)",
        "1,440 of 16,588 modules have no value (grey)",
    )


def test_a_shuffled_subset_matches_a_plain_python_join() -> None:
    layout = load_layout("tracker_map")
    rng = np.random.default_rng(7)
    chosen = rng.choice(layout.ids, 5000, replace=False)
    foreign = np.array([1, 2, 303042564, 4_000_000_000], dtype=np.uint32)
    ids = rng.permutation(np.concatenate([chosen, foreign]))
    values = rng.normal(0.0, 1.0, ids.size)
    plot = detector_map("tracker_map", ids, values, title="", value_label="", value_unit="")
    given = dict(zip(ids.tolist(), values.tolist(), strict=True))
    expected = [given.get(detid, math.nan) for detid in layout.ids.tolist()]
    assert np.array_equal(plot.values, np.array(expected), equal_nan=True)
    assert plot.notes[0].startswith("4 ids have a value but no polygon in tracker_map (e.g. 1, 2, ")
    assert plot.notes[1] == f"{16_588 - 5000:,} of 16,588 modules have no value (grey)"


def test_a_map_survives_its_json_form() -> None:
    strips = strip_module_ids()
    plot = detector_map(
        "tracker_map",
        strips,
        np.linspace(-1.0, 1.0, strips.size),
        title="Δx",
        value_label="Δx",
        value_unit="µm",
        value_range=(-0.5, 0.5),
        diverging=True,
        partition="TOB",
    )
    back = from_json(plot.to_json())
    assert plots_equal(plot, back)


# --------------------------------------------------------------------------- the default registry


def test_the_default_registry_is_shared_and_serves_the_shipped_layouts() -> None:
    assert maps_module.default_registry() is maps_module.default_registry()
    assert "tracker_map" in maps_module.default_registry()


def test_importing_the_geometry_package_reads_nothing_and_stays_light() -> None:
    code = (
        "import sys\n"
        "import inspector.geometry\n"
        "from inspector.geometry import maps\n"
        "assert maps._default is None, 'registry built at import'\n"
        "assert 'inspector.plots' not in sys.modules, 'plots imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_big_endian_values_from_an_old_payload_join_like_any_other(tmp_path: Path) -> None:
    registry = tiny_registry(tmp_path)
    values = np.array([1.25, -2.5], dtype=">f8")
    plot = tiny_map(registry, np.array([TOB[0], TIB[1]], dtype=">u4"), values)
    assert value_at(plot, TOB[0]) == 1.25 and value_at(plot, TIB[1]) == -2.5


def value_at(plot: DetectorMap, detid: int) -> float:
    return float(plot.values[plot.ids.tolist().index(detid)])
