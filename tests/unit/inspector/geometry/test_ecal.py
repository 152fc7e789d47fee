"""ECAL crystal lists and raw ids: counts, order, round trips, the EE layout's symmetry."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.geometry import ecal


def eb_raw(ieta: int, iphi: int) -> int:
    """EBDetId raw id written out by hand, independently of the module under test."""
    return (3 << 28) | (1 << 25) | (int(ieta > 0) << 16) | (abs(ieta) << 9) | iphi


def ee_raw(zside: int, ix: int, iy: int) -> int:
    """EEDetId raw id written out by hand."""
    return (3 << 28) | (2 << 25) | (int(zside > 0) << 14) | (ix << 7) | iy


# --------------------------------------------------------------------------- barrel


def test_barrel_has_61200_unique_crystals() -> None:
    ieta, iphi, rawid = ecal.barrel_crystals()
    assert len(ieta) == len(iphi) == len(rawid) == 61_200 == ecal.EB_CRYSTALS
    assert len(np.unique(rawid)) == 61_200
    assert rawid.dtype == np.dtype("<u4")
    assert ieta.dtype == iphi.dtype == np.dtype("<i4")
    assert set(np.unique(ieta).tolist()) == set(range(-85, 0)) | set(range(1, 86))
    assert set(np.unique(iphi).tolist()) == set(range(1, 361))


def test_barrel_is_in_hashed_index_order() -> None:
    ieta, iphi, rawid = ecal.barrel_crystals()
    assert (ieta[0], iphi[0], ieta[359], iphi[359]) == (-85, 1, -85, 360)
    assert (ieta[84 * 360], ieta[85 * 360], ieta[-1], iphi[-1]) == (-1, 1, 85, 360)
    # hashedIndex = (85 + (ieta - 1 if ieta > 0 else ieta)) * 360 + iphi - 1
    for eta, phi in [(-85, 1), (-1, 360), (1, 1), (17, 200), (85, 360)]:
        index = (85 + (eta - 1 if eta > 0 else eta)) * 360 + phi - 1
        assert (ieta[index], iphi[index], rawid[index]) == (eta, phi, eb_raw(eta, phi))
    assert np.array_equal(ecal.barrel_hashed_index(ieta, iphi), np.arange(61_200))


def test_barrel_raw_ids_round_trip() -> None:
    ieta, iphi, rawid = ecal.barrel_crystals()
    decoded_eta, decoded_phi = ecal.decode_barrel(rawid)
    assert np.array_equal(decoded_eta, ieta)
    assert np.array_equal(decoded_phi, iphi)
    assert np.array_equal(ecal.barrel_rawid(decoded_eta, decoded_phi), rawid)


@pytest.mark.parametrize(
    "bad",
    [
        eb_raw(86, 1),  # |ieta| > 85
        eb_raw(3, 0),  # iphi 0
        eb_raw(3, 361),
        ee_raw(1, 10, 50),  # an endcap id
        (1 << 28) | (3 << 25),  # a tracker id
    ],
)
def test_decode_barrel_names_the_first_bad_id(bad: int) -> None:
    with pytest.raises(ValueError, match=f"raw id {bad} is not an ECAL barrel crystal"):
        ecal.decode_barrel([eb_raw(1, 1), bad, eb_raw(86, 1)])


def test_barrel_rawid_rejects_positions_outside_the_barrel() -> None:
    with pytest.raises(ValueError, match="ieta"):
        ecal.barrel_rawid([0], [1])


# --------------------------------------------------------------------------- endcap


def test_endcap_has_14648_unique_crystals_7324_per_side_1831_per_quadrant() -> None:
    zside, ix, iy, rawid = ecal.endcap_crystals()
    assert len(rawid) == 14_648 == ecal.EE_CRYSTALS
    assert len(np.unique(rawid)) == 14_648
    assert rawid.dtype == np.dtype("<u4")
    for side in (-1, 1):
        on_side = zside == side
        assert on_side.sum() == 7_324
        for high_x in (False, True):
            for high_y in (False, True):
                quadrant = on_side & ((ix > 50) == high_x) & ((iy > 50) == high_y)
                assert quadrant.sum() == 1_831


def test_endcap_order_is_ascending_raw_id() -> None:
    zside, ix, iy, rawid = ecal.endcap_crystals()
    assert np.all(np.diff(rawid.astype(np.dtype("<i8"))) > 0)
    assert zside[0] == -1
    assert zside[-1] == 1
    expected = [ee_raw(int(z), int(x), int(y)) for z, x, y in zip(zside, ix, iy, strict=True)]
    assert rawid.tolist() == expected


def test_endcap_layout_is_a_symmetric_annulus() -> None:
    zside, ix, iy, _ = ecal.endcap_crystals()
    plus = {(int(x), int(y)) for x, y in zip(ix[zside > 0], iy[zside > 0], strict=True)}
    minus = {(int(x), int(y)) for x, y in zip(ix[zside < 0], iy[zside < 0], strict=True)}
    assert plus == minus
    assert plus == {(101 - x, y) for x, y in plus}
    assert plus == {(x, 101 - y) for x, y in plus}
    assert plus == {(y, x) for x, y in plus}
    distance = np.hypot(ix - 50.5, iy - 50.5)
    inner, outer = ecal.endcap_annulus()
    assert 10 < inner < 16  # a hole for the beam pipe
    assert 49 < outer < 51  # reaching the edge of the 100 x 100 grid
    assert distance.min() > inner
    assert distance.max() <= outer
    # Nothing left out between the radii: the annulus is full.
    grid_x, grid_y = np.meshgrid(np.arange(1, 101), np.arange(1, 101), indexing="ij")
    grid_distance = np.hypot(grid_x - 50.5, grid_y - 50.5)
    assert int(((grid_distance > inner) & (grid_distance <= outer)).sum()) == 7_324


def test_endcap_raw_ids_round_trip() -> None:
    zside, ix, iy, rawid = ecal.endcap_crystals()
    decoded = ecal.decode_endcap(rawid)
    assert all(np.array_equal(a, b) for a, b in zip(decoded, (zside, ix, iy), strict=True))
    assert np.array_equal(ecal.endcap_rawid(zside, ix, iy), rawid)
    assert np.array_equal(ecal.endcap_index(rawid[::-1]), np.arange(14_648)[::-1])


@pytest.mark.parametrize(
    "bad",
    [
        ee_raw(1, 50, 50),  # inside the beam-pipe hole
        ee_raw(-1, 1, 1),  # grid corner, outside the circle
        ee_raw(1, 0, 50),  # off the grid
        eb_raw(5, 5),  # a barrel id
    ],
)
def test_decode_endcap_names_the_first_bad_id(bad: int) -> None:
    with pytest.raises(ValueError, match=f"raw id {bad} is not an ECAL endcap crystal"):
        ecal.endcap_index([ee_raw(1, 1, 50), bad])


def test_endcap_rawid_rejects_crystals_outside_the_layout() -> None:
    with pytest.raises(ValueError, match="outside the EE crystal layout"):
        ecal.endcap_rawid(1, 50, 50)


# --------------------------------------------------------------------------- sharing


@pytest.mark.parametrize("crystals", [ecal.barrel_crystals, ecal.endcap_crystals])
def test_crystal_lists_are_cached_and_read_only(crystals: object) -> None:
    assert callable(crystals)
    first, second = crystals(), crystals()
    assert first is second
    for array in first:
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
