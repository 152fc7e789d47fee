"""Tests of individual demo contents: beam-spot blocks, tracker geometry, quantisation."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.cmssw import pixels as sipixel
from inspector.cmssw.pixel_gains import unpack
from inspector.demo import alignment, pixels
from inspector.demo.beamspot import lumi_blocks
from inspector.demo.calendar import make_calendar
from inspector.demo.model import IovTable, content_rng
from inspector.geometry import detid as topo
from inspector.geometry.shipped import pixel_modules, strip_module_ids


def test_lumi_blocks_cover_every_run_from_lumisection_one() -> None:
    calendar = make_calendar(content_rng(1, "calendar"), 20, 5)
    run, first = lumi_blocks(np.random.default_rng(0), calendar, 700)
    assert run.size == 700
    assert np.all(np.diff(run) >= 0) and np.unique(run).size == 20
    starts = np.r_[True, run[1:] != run[:-1]]
    assert np.all(first[starts] == 1)
    assert np.all(np.diff(first)[~starts[1:]] > 0)
    assert np.all(first <= calendar.lumisections[run])


def test_lumi_blocks_refuse_more_blocks_than_lumisections() -> None:
    calendar = make_calendar(content_rng(1, "calendar"), 8, 4)
    with pytest.raises(ValueError, match="do not fit"):
        lumi_blocks(np.random.default_rng(0), calendar, int(calendar.lumisections.sum()) + 1)


def test_iov_table_refuses_duplicate_rows() -> None:
    when = np.array(["2024-05-01T00:00:00"] * 2, dtype="datetime64[s]")
    with pytest.raises(ValueError, match="share since"):
        IovTable(np.array([5, 5], dtype=np.uint64), np.array([0, 1]), when)


@pytest.fixture(scope="module")
def geometry() -> tuple[np.ndarray, np.ndarray]:
    ids = np.sort(np.concatenate([strip_module_ids(), pixel_modules()[0]]))
    return ids, alignment.nominal_geometry(ids)


@pytest.mark.parametrize(
    ("code", "radii"),
    [
        (topo.BPIX, alignment.BPIX_RADIUS),
        (topo.TIB, alignment.TIB_RADIUS),
        (topo.TOB, alignment.TOB_RADIUS),
    ],
)
def test_barrel_modules_sit_on_their_layer_radius(
    geometry: tuple[np.ndarray, np.ndarray], code: int, radii: tuple[float, ...]
) -> None:
    ids, nominal = geometry
    mine = topo.subdetector(ids) == code
    radius = np.hypot(nominal[mine, 0], nominal[mine, 1])
    expected = np.asarray(radii)[topo.layer(ids[mine]) - 1]
    assert np.abs(radius - expected).max() <= 1.0  # overlapping rods, stereo sensors
    phi = np.arctan2(nominal[mine, 1], nominal[mine, 0])
    assert np.histogram(phi, bins=8)[0].min() > mine.sum() / 16  # all around in phi


@pytest.mark.parametrize(
    ("code", "disks"),
    [(topo.FPIX, alignment.FPIX_Z), (topo.TID, alignment.TID_Z), (topo.TEC, alignment.TEC_Z)],
)
def test_endcap_modules_sit_on_their_disk(
    geometry: tuple[np.ndarray, np.ndarray], code: int, disks: tuple[float, ...]
) -> None:
    ids, nominal = geometry
    mine = topo.subdetector(ids) == code
    z = nominal[mine, 2]
    expected = np.asarray(disks)[topo.layer(ids[mine]) - 1]
    assert np.abs(np.abs(z) - expected).max() < 2.0
    np.testing.assert_array_equal(z < 0, topo.side(ids[mine]) == 1)


def test_both_sensors_of_a_double_sided_module_share_phi(
    geometry: tuple[np.ndarray, np.ndarray],
) -> None:
    ids, nominal = geometry
    stereo = np.flatnonzero((topo.subdetector(ids) >= topo.TIB) & (topo.field(ids, "stereo") == 1))
    partner = np.searchsorted(ids, ids[stereo] + 1)  # the r-phi sensor has stereo = 2
    assert np.all(ids[partner] == ids[stereo] + 1)
    phi = np.arctan2(nominal[:, 1], nominal[:, 0])
    np.testing.assert_allclose(phi[stereo], phi[partner], atol=1e-9)


def test_alignment_moves_pixel_half_barrels_at_magnet_cycles() -> None:
    calendar = make_calendar(content_rng(1, "calendar"), 30, 8)
    model = alignment.alignment_model(content_rng(1, "alignment.model"))
    history = alignment.structure_history(np.random.default_rng(0), calendar, model.n_structures)
    cycle = calendar.magnet_cycles[0]
    jump = np.linalg.norm(history[cycle, :, :3] - history[cycle - 1, :, :3], axis=1)
    assert np.all((jump[:2] > 45e-4) & (jump[:2] < 160e-4))  # BPix halves: 50-150 µm
    assert np.all(jump[6:] < 20e-4)  # strip structures move little


def test_pixel_codes_decode_to_the_model_within_one_step() -> None:
    model = pixels.gain_model(content_rng(1, "pixels.model"))
    gain, pedestal = model.calibration(0.5, True, 3)
    gains = unpack(model.values(0.5, True, 3), sipixel.FOR_HLT)
    assert np.array_equal(gains.dead_blocks(), model.dead) and model.dead.any()
    alive = ~model.dead
    assert gains.precisions is not None
    pedestal_step, gain_step = gains.precisions
    for quantity, truth, precision in (
        ("gain", gain, gain_step),
        ("pedestal", pedestal, pedestal_step),
    ):
        got = (gains.gains() if quantity == "gain" else gains.pedestals()).astype(np.float64)
        error = truth[alive] - got[alive]  # the code is truncated: the value lies above
        assert error.min() > -1e-5 and error.max() < precision * 1.0001 + 1e-5, quantity
    low, high = pixels.code_range(np.array([2.04, 3.96]), 0.1)
    assert (low, high) == pytest.approx((2.0, 4.0))
