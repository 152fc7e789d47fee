"""Tracker detector-id decoding, checked on hand-built ids and on the real tracker map."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from inspector.geometry import detid, load_layout, pixel_modules, strip_module_ids


def tracker_id(subdet: int, **bits: tuple[int, int]) -> int:
    """Build a tracker id from (value, shift) pairs, independently of the module under test."""
    value = (1 << 28) | (subdet << 25)
    for field_value, shift in bits.values():
        value |= field_value << shift
    return value


# --------------------------------------------------------------------------- known ids


def test_bpix_id_from_the_pixel_list_is_bpix_layer_1() -> None:
    assert detid.subdetector(303042564) == detid.BPIX
    assert detid.layer(303042564) == 1
    assert detid.layer_or_ring(303042564) == 1
    assert detid.side(303042564) == 0


def test_tec_id_from_the_tracker_map_decodes() -> None:
    # 470180232 = 0x1C066188: det 1, subdet 6, side 1 (bits 18-19), wheel 9 (bits 14-17),
    # ring 4 (bits 5-7)
    assert detid.subdetector(470180232) == detid.TEC
    assert detid.side(470180232) == 1
    assert detid.layer(470180232) == 9
    assert detid.ring(470180232) == 4
    assert detid.layer_or_ring(470180232) == 4
    assert detid.partition_names(470180232).item() == "TEC-"


@pytest.mark.parametrize(
    ("detector_id", "expected"),
    [
        (tracker_id(detid.TIB, layer=(3, 14)), {"layer": 3, "layer_or_ring": 3, "ring": 0}),
        (tracker_id(detid.TOB, layer=(6, 14)), {"layer": 6, "layer_or_ring": 6, "side": 0}),
        (
            tracker_id(detid.TID, side=(2, 13), wheel=(3, 11), ring=(2, 9)),
            {"side": 2, "layer": 3, "ring": 2, "layer_or_ring": 2},
        ),
        (
            tracker_id(detid.TEC, side=(1, 18), wheel=(7, 14), ring=(5, 5)),
            {"side": 1, "layer": 7, "ring": 5, "layer_or_ring": 5},
        ),
        (
            tracker_id(detid.BPIX, layer=(4, 20), ladder=(33, 12), module=(7, 2)),
            {"layer": 4, "layer_or_ring": 4, "side": 0},
        ),
        (
            tracker_id(detid.FPIX, side=(2, 23), disk=(3, 18), blade=(40, 12), panel=(2, 10)),
            {"side": 2, "layer": 3, "layer_or_ring": 3, "ring": 0},
        ),
    ],
)
def test_fields_follow_the_tracker_topology_bit_layout(
    detector_id: int, expected: dict[str, int]
) -> None:
    functions = {
        "layer": detid.layer,
        "ring": detid.ring,
        "side": detid.side,
        "layer_or_ring": detid.layer_or_ring,
    }
    decoded = {name: functions[name](detector_id) for name in expected}
    assert decoded == expected


def test_pixel_fields_by_name() -> None:
    bpix = tracker_id(detid.BPIX, layer=(2, 20), ladder=(17, 12), module=(5, 2))
    fpix = tracker_id(detid.FPIX, side=(1, 23), disk=(2, 18), blade=(45, 12), panel=(1, 10))
    fpix |= 3 << 2  # module 3
    assert detid.field(bpix, "ladder") == 17
    assert detid.field(bpix, "module") == 5
    assert detid.field(fpix, "blade") == 45
    assert detid.field(fpix, "panel") == 1
    assert detid.field(fpix, "module") == 3
    assert detid.field(fpix, "ladder") == 0  # FPix has no ladder


def test_unknown_field_name_is_an_error_listing_known_ones() -> None:
    with pytest.raises(KeyError, match=r"known fields: .*ladder"):
        detid.field(303042564, "ladderr")


# --------------------------------------------------------------------------- input forms


def test_scalar_gives_int_and_array_keeps_shape() -> None:
    assert type(detid.subdetector(np.uint32(470180232))) is int
    assert detid.SUBDETECTORS[detid.subdetector(470180232)] == "TEC"
    grid = np.array([[470180232, 303042564], [0, 0xFFFFFFFF]], dtype=">u4")
    codes = detid.subdetector(grid)
    assert codes.shape == (2, 2)
    assert codes.tolist() == [[detid.TEC, detid.BPIX], [0, 0]]
    assert detid.subdetector([]).shape == (0,)


def test_ids_outside_the_tracker_decode_as_unknown() -> None:
    ecal_barrel = (3 << 28) | (1 << 25) | (1 << 16) | (1 << 9) | 1
    tracker_subdet_7 = (1 << 28) | (7 << 25)
    assert detid.subdetector([ecal_barrel, tracker_subdet_7]).tolist() == [0, 0]
    assert detid.subdetector_names([ecal_barrel]).tolist() == ["unknown"]
    assert detid.layer(ecal_barrel) == 0


@pytest.mark.parametrize("bad", [-1, 1 << 32, [5, -3]])
def test_ids_that_do_not_fit_32_bits_are_rejected(bad: int | list[int]) -> None:
    with pytest.raises(ValueError, match="unsigned 32-bit"):
        detid.subdetector(bad)


def test_non_integer_ids_are_rejected() -> None:
    with pytest.raises(TypeError, match="integers"):
        detid.subdetector(np.array([470180232.0]))


# --------------------------------------------------------------------------- strips


@pytest.mark.parametrize(
    ("subdet", "shift", "strips"),
    [
        (detid.TIB, 14, {1: 768, 2: 768, 3: 512, 4: 512}),
        (detid.TOB, 14, {1: 512, 2: 512, 3: 512, 4: 512, 5: 768, 6: 768}),
        (detid.TID, 9, {1: 768, 2: 768, 3: 512}),
        (detid.TEC, 5, {1: 768, 2: 768, 3: 512, 4: 512, 5: 768, 6: 512, 7: 512}),
    ],
)
def test_strips_per_module_by_layer_or_ring(
    subdet: int, shift: int, strips: dict[int, int]
) -> None:
    ids = [tracker_id(subdet, position=(number, shift)) for number in strips]
    assert detid.strips_per_module(ids).tolist() == list(strips.values())


def test_strips_per_module_names_the_first_non_strip_id() -> None:
    tib_layer_0 = tracker_id(detid.TIB)
    with pytest.raises(ValueError, match=f"detector id {tib_layer_0} "):
        detid.strips_per_module([470180232, tib_layer_0, 303042564])
    with pytest.raises(ValueError, match=r"detector id 303042564 .*BPix"):
        detid.strips_per_module(303042564)


# --------------------------------------------------------------------------- real data


def test_tracker_map_subdetector_counts() -> None:
    counts = Counter(detid.subdetector_names(load_layout("tracker_map").ids).tolist())
    assert counts == {
        "TIB": 2724,
        "TID": 816,
        "TOB": 5208,
        "TEC": 6400,
        "BPix": 768,  # the 1,440 modules of the older (Phase-0) pixel detector
        "FPix": 672,
    }


def test_tracker_map_partitions_split_the_endcaps_evenly() -> None:
    counts = Counter(detid.partition_names(strip_module_ids()).tolist())
    assert counts == {
        "TIB": 2724,
        "TOB": 5208,
        "TID-": 408,
        "TID+": 408,
        "TEC-": 3200,
        "TEC+": 3200,
    }


def test_strip_layers_and_rings_cover_the_real_ranges() -> None:
    ids = strip_module_ids()
    codes = detid.subdetector(ids)
    position = detid.layer_or_ring(ids)
    ranges = {detid.TIB: {1, 2, 3, 4}, detid.TOB: set(range(1, 7))}
    ranges |= {detid.TID: {1, 2, 3}, detid.TEC: set(range(1, 8))}
    for code, expected in ranges.items():
        assert set(position[codes == code].tolist()) == expected
    assert set(detid.layer(ids[codes == detid.TEC]).tolist()) == set(range(1, 10))


def test_total_strips_of_the_tracker(capsys: pytest.CaptureFixture[str]) -> None:
    strips = detid.strips_per_module(strip_module_ids())
    total = int(strips.sum(dtype=np.dtype("<i8")))
    with capsys.disabled():
        print(f"\n{len(strips):,} strip modules, {total:,} strips")
    assert total == 9_316_352  # CMS: "about 9.3 million strips"


def test_phase1_pixel_ids_agree_with_their_names() -> None:
    ids, names = pixel_modules()
    codes = detid.subdetector(ids)
    layers = detid.layer(ids)
    sides = detid.side(ids)
    panels = detid.field(ids, "panel")
    for code, number, side, panel, name in zip(codes, layers, sides, panels, names, strict=True):
        if name.startswith("BPix"):
            assert code == detid.BPIX
            assert f"_LYR{number}_" in name
        else:
            match = re.fullmatch(r"FPix_B([mp])[IO]_D(\d)_BLD\d+_PNL(\d)_RNG\d", name)
            assert match is not None, name
            assert code == detid.FPIX
            assert (side, number, panel) == (
                {"m": 1, "p": 2}[match[1]],
                int(match[2]),
                int(match[3]),
            )
