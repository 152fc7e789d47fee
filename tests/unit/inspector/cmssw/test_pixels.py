"""SiPixelGainCalibrationOffline and ForHLT codes, against line-by-line ports of the C++.

Offline: getPed / getGain.  ForHLT: setData, getPed, getGain (the 2-byte
DecodingStructure, gain in the low byte).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.cmssw.pixel_gains import unpack
from inspector.cmssw.pixels import (
    DEAD_FLAG,
    FOR_HLT,
    N_BINS,
    NOISY_FLAG,
    OFFLINE,
    decode_blocks,
    decode_hlt_blocks,
    decode_values,
    encode_blocks,
    encode_hlt_blocks,
    encode_values,
    hlt_members,
    members,
)


def f32(x: float) -> float:
    """A C++ ``float`` conversion."""
    return float(struct.unpack("f", struct.pack("f", x))[0])


class CmsswGains:
    """The members and the reading methods of SiPixelGainCalibrationOffline, as the C++ has them."""

    def __init__(self, m: dict[str, Any]) -> None:
        self.v_pedestals = [int(b) for b in m["v_pedestals"]]  # char: -128..127
        self.min_ped, self.max_ped = float(m["minPed_"]), float(m["maxPed_"])
        self.min_gain, self.max_gain = float(m["minGain_"]), float(m["maxGain_"])
        self.rows = int(m["numberOfRowsToAverageOver_"])
        self.nbins = int(m["nBinsToUseForEncoding_"])
        self.dead, self.noisy = int(m["deadFlag_"]), int(m["noisyFlag_"])

    def _precision(self, low: float, high: float) -> float:
        return f32(f32(high - low) / f32(float(self.nbins)))

    def decode_ped(self, ped: int) -> float:
        return f32(ped * self._precision(self.min_ped, self.max_ped) + self.min_ped)

    def decode_gain(self, gain: int) -> float:
        return f32(gain * self._precision(self.min_gain, self.max_gain) + self.min_gain)

    def get_ped(
        self, col: int, row: int, first: int, second: int, ncols: int
    ) -> tuple[float, bool, bool]:
        length_of_column_data = (second - first) // ncols
        length_of_averaged_data_in_each_column = self.rows + 1
        number_of_averaged_data_blocks_to_skip = row // self.rows
        off_set_in_correct_data_block = row % self.rows
        datum = (
            self.v_pedestals[
                first
                + col * length_of_column_data
                + number_of_averaged_data_blocks_to_skip * length_of_averaged_data_in_each_column
                + off_set_in_correct_data_block
            ]
            & 0xFF
        )
        max_row = length_of_column_data - (length_of_column_data % self.rows) - 1
        if col >= ncols or row > max_row:
            raise IndexError("CorruptedData")
        return self.decode_ped(datum), datum == self.dead, datum == self.noisy

    def get_gain(
        self, col: int, row: int, first: int, second: int, ncols: int
    ) -> tuple[float, bool, bool]:
        length_of_column_data = (second - first) // ncols
        length_of_averaged_data_in_each_column = self.rows + 1
        number_of_averaged_data_blocks_to_skip = row // self.rows
        datum = (
            self.v_pedestals[
                first
                + col * length_of_column_data
                + (number_of_averaged_data_blocks_to_skip + 1)
                * length_of_averaged_data_in_each_column
                - 1
            ]
            & 0xFF
        )
        max_row = length_of_column_data - (length_of_column_data % self.rows) - 1
        if col >= ncols or row > max_row:
            raise IndexError("CorruptedData")
        return self.decode_gain(datum), datum == self.dead, datum == self.noisy


def cmssw_encode(value: float, low: float, high: float, nbins: int) -> int:
    """``encodePed`` then ``static_cast<unsigned int>(encoded) & 0xFF``."""
    precision = f32(f32(high - low) / f32(float(nbins)))
    return int(f32(f32(f32(value) - low) / precision)) & 0xFF


_MODULE = st.tuples(st.integers(1, 4), st.integers(1, 3))  # columns, blocks per column


@settings(max_examples=40, deadline=None)
@given(
    st.lists(_MODULE, min_size=1, max_size=4),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
    st.floats(-10, 10, width=32),
    st.floats(0.5, 100, width=32),
)
def test_vectorised_decode_matches_get_ped_and_get_gain(
    shapes: list[tuple[int, int]], r: int, seed: int, low: float, span: float
) -> None:
    rng = np.random.default_rng(seed)
    ncols = np.array([c for c, _ in shapes])
    rows = np.array([b * r for _, b in shapes])
    blocks = int((ncols * rows // r).sum())
    ped = rng.integers(0, 256, blocks * r).astype(np.uint8)  # flags and all
    gain = rng.integers(0, 256, blocks).astype(np.uint8)
    high = f32(low + span)
    m = members(
        np.arange(len(shapes)) + 7,
        ncols,
        rows,
        ped,
        gain,
        pedestal_range=(low, high),
        gain_range=(low / 2, high * 2),
        rows_per_block=r,
    )
    gains = unpack(m)
    cxx = CmsswGains(m)
    assert np.array_equal(gains.pedestal_codes.ravel(), ped)
    assert np.array_equal(gains.gain_codes, gain)
    peds, block_gains = gains.pedestals(), gains.gains()
    idx = m["indexes"]
    for k in range(len(shapes)):
        first, second = int(idx["ibegin"][k]), int(idx["iend"][k])
        per_col = int(rows[k]) // r
        for col in range(int(ncols[k])):
            for row in range(int(rows[k])):
                block = int(gains.block_begin[k]) + col * per_col + row // r
                value, dead, noisy = cxx.get_ped(col, row, first, second, int(ncols[k]))
                assert float(peds[block * r + row % r]) == value
                assert bool(gains.dead_pixels()[block, row % r]) == dead
                assert (int(gains.pedestal_codes[block, row % r]) == NOISY_FLAG) == noisy
                value, dead, noisy = cxx.get_gain(col, row, first, second, int(ncols[k]))
                assert float(block_gains[block]) == value
                assert bool(gains.dead_blocks()[block]) == dead
        if per_col < r:  # the C++ bound is exact only with fewer blocks than rows a block
            with pytest.raises(IndexError):
                cxx.get_ped(0, int(rows[k]), first, second, int(ncols[k]))
    # per-module histograms count every code of the module
    assert gains.pedestal_counts.sum() == ped.size and gains.gain_counts.sum() == gain.size


@settings(max_examples=200, deadline=None)
@given(st.floats(-50, 50, width=32), st.floats(0.5, 500, width=32), st.data())
def test_encode_values_truncates_as_cmssw(low: float, span: float, data: st.DataObject) -> None:
    high = f32(low + span)
    values = data.draw(st.lists(st.floats(low, high, width=32), min_size=1, max_size=20))
    got = encode_values(np.array(values, np.float32), low, high, N_BINS)
    assert [int(c) for c in got] == [cmssw_encode(v, low, high, N_BINS) for v in values]
    # a value reads back within one precision below itself (the cast truncates)
    back = decode_values(got, low, high, N_BINS).astype(np.float64)
    step = (high - low) / N_BINS
    assert np.all(back <= np.array(values) + 1e-5 * max(1.0, abs(high)))
    assert np.all(back > np.array(values) - step * 1.001 - 1e-5 * max(1.0, abs(high)))


def test_a_full_phase1_module_layout() -> None:
    rng = np.random.default_rng(2)
    ped = rng.integers(0, 254, 416 * 160)
    gain = rng.integers(0, 254, 416 * 2)
    v, ibegin, iend = encode_blocks(ped, gain, [416], [160])
    assert (int(ibegin[0]), int(iend[0])) == (0, 416 * 162)
    column = v[162 * 5 : 162 * 6]  # column 5: 80 pedestals, gain, 80 pedestals, gain
    assert np.array_equal(column[:80], ped[800:880]) and column[80] == gain[10]
    assert np.array_equal(column[81:161], ped[880:960]) and column[161] == gain[11]
    got_ped, got_gain, counts = decode_blocks(v.view(np.int8), ibegin, iend, [416])
    assert np.array_equal(got_ped.ravel(), ped) and np.array_equal(got_gain, gain)
    assert counts.tolist() == [832]


def test_modules_out_of_byte_order_are_read_by_their_ranges() -> None:
    v, ibegin, iend = encode_blocks(np.arange(8), [100, 101, 102, 103], [2, 2], [2, 2], 2)
    # swap the two modules' registry entries: each still points at its own bytes
    peds, gains, _ = decode_blocks(v, ibegin[::-1], iend[::-1], [2, 2], 2)
    assert gains.tolist() == [102, 103, 100, 101]
    assert peds.ravel().tolist() == [4, 5, 6, 7, 0, 1, 2, 3]


def test_flags_read_as_nan_in_tables_and_out_of_means() -> None:
    ped = np.array([0, 10, DEAD_FLAG, NOISY_FLAG], np.uint8)
    m = members(
        [1],
        [1],
        [4],
        ped,
        [DEAD_FLAG],
        pedestal_range=(0, 253),
        gain_range=(0, 1),
        rows_per_block=4,
    )
    gains = unpack(m)
    means, entries = gains.module_means("pedestal")
    assert entries.tolist() == [2] and means.tolist() == [5.0]
    gmeans, gentries = gains.module_means("gain")
    assert gentries.tolist() == [0] and np.isnan(gmeans[0])
    assert np.isnan(gains.table("gain")[[DEAD_FLAG, NOISY_FLAG]]).all()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        encode_values([3.0], 0.0, 2.0, N_BINS)
    with pytest.raises(ValueError, match="whole blocks"):
        encode_blocks(np.zeros(3), [0], [1], [3], 2)
    with pytest.raises(ValueError, match="codes for"):
        encode_blocks(np.zeros(3), [0], [1], [2], 2)
    with pytest.raises(ValueError, match="outside v_pedestals"):
        decode_blocks(np.zeros(4, np.uint8), [0], [9], [1], 2)
    with pytest.raises(ValueError, match="whole blocks"):
        decode_blocks(np.zeros(4, np.uint8), [0], [4], [1], 2)
    with pytest.raises(ValueError, match="sorted"):
        members(
            [2, 1],
            [1, 1],
            [2, 2],
            np.zeros(4),
            np.zeros(2),
            pedestal_range=(0, 1),
            gain_range=(0, 1),
            rows_per_block=2,
        )


# --------------------------------------------------------------------------- ForHLT


class CmsswHltGains:
    """SiPixelGainCalibrationForHLT's setData, getPed and getGain, as the C++ has them."""

    def __init__(self, low_ped: float, high_ped: float, low_gain: float, high_gain: float) -> None:
        self.min_ped, self.max_ped = f32(low_ped), f32(high_ped)
        self.min_gain, self.max_gain = f32(low_gain), f32(high_gain)
        self.rows, self.nbins, self.dead, self.noisy = 80, 253, 255, 254

    def _precision(self, low: float, high: float) -> float:
        return f32(f32(high - low) / f32(float(self.nbins)))

    def set_data(self, ped: float, gain: float, vped: list[int], dead: bool, noisy: bool) -> None:
        # float - float is a float; divided by the double precision; (float) of that
        encoded_gain = encoded_ped = 0.0
        if not dead and not noisy:
            encoded_gain = f32(
                f32(f32(gain) - self.min_gain) / self._precision(self.min_gain, self.max_gain)
            )
            encoded_ped = f32(
                f32(f32(ped) - self.min_ped) / self._precision(self.min_ped, self.max_ped)
            )
        ped_ = int(encoded_ped) & 0xFF
        gain_ = int(encoded_gain) & 0xFF
        if dead:
            ped_ = gain_ = self.dead & 0xFF
        elif noisy:
            ped_ = gain_ = self.noisy & 0xFF
        data = (ped_ << 8) | gain_
        vped.extend(struct.unpack("bb", struct.pack("<H", data)))  # memcpy of 2 bytes into chars

    def _block(
        self, vped: list[int], col: int, row: int, first: int, second: int, ncols: int
    ) -> tuple[int, int]:
        length_of_column_data = (second - first) // ncols
        blocks_to_skip = row // self.rows
        at = first + col * length_of_column_data + 2 * blocks_to_skip
        max_row = (length_of_column_data // 2) * self.rows - 1
        if col >= ncols or row > max_row:
            raise IndexError("CorruptedData")
        return vped[at] & 0xFF, vped[at + 1] & 0xFF  # DecodingStructure: gain, then ped

    def get_ped(self, vped: list[int], *where: int) -> tuple[float, bool, bool]:
        ped = self._block(vped, *where)[1]
        value = f32(ped * self._precision(self.min_ped, self.max_ped) + self.min_ped)
        return value, ped == self.dead, ped == self.noisy

    def get_gain(self, vped: list[int], *where: int) -> tuple[float, bool, bool]:
        gain = self._block(vped, *where)[0]
        value = f32(gain * self._precision(self.min_gain, self.max_gain) + self.min_gain)
        return value, gain == self.dead, gain == self.noisy


@settings(max_examples=30, deadline=None)
@given(
    st.lists(_MODULE, min_size=1, max_size=4),
    st.integers(0, 2**32 - 1),
    st.floats(-10, 10, width=32),
    st.floats(0.5, 100, width=32),
)
def test_hlt_codes_match_set_data_get_ped_and_get_gain(
    shapes: list[tuple[int, int]], seed: int, low: float, span: float
) -> None:
    rng = np.random.default_rng(seed)
    ncols = np.array([c for c, _ in shapes])
    rows = np.array([b * 80 for _, b in shapes])
    blocks = int((ncols * rows // 80).sum())
    high = f32(low + span)
    gain_range = (f32(low - 1.0), f32(high + span))
    ped = rng.uniform(low, high, blocks).astype(np.float32)
    gain = rng.uniform(*gain_range, blocks).astype(np.float32)
    flag = rng.choice(3, blocks, p=[0.8, 0.1, 0.1])  # 0 good, 1 dead, 2 noisy
    cxx = CmsswHltGains(low, high, *gain_range)
    vped: list[int] = []
    for k in range(blocks):  # setData, block after block, as the writer loops
        cxx.set_data(float(ped[k]), float(gain[k]), vped, bool(flag[k] == 1), bool(flag[k] == 2))
    ped_codes = encode_values(np.where(flag == 0, ped, low), low, high, N_BINS)
    gain_codes = encode_values(np.where(flag == 0, gain, gain_range[0]), *gain_range, N_BINS)
    for codes in (ped_codes, gain_codes):
        codes[flag == 1], codes[flag == 2] = DEAD_FLAG, NOISY_FLAG
    m = hlt_members(
        np.arange(len(shapes)) + 3,
        ncols,
        rows,
        ped_codes,
        gain_codes,
        pedestal_range=(low, high),
        gain_range=gain_range,
    )
    assert m["v_pedestals"].tolist() == vped  # the same bytes as setData writes
    gains = unpack(m)  # pedPrecision is there: ForHLT
    assert gains.object_type == FOR_HLT and not gains.pedestal_per_pixel
    peds, block_gains = gains.pedestals(), gains.gains()
    idx = m["indexes"]
    for k in range(len(shapes)):
        first, second = int(idx["ibegin"][k]), int(idx["iend"][k])
        per_col = int(rows[k]) // 80
        for col in range(int(ncols[k])):
            for row in (0, 79, 80, int(rows[k]) - 1):
                if row >= rows[k]:
                    continue
                block = int(gains.block_begin[k]) + col * per_col + row // 80
                where = (col, row, first, second, int(ncols[k]))
                value, dead, noisy = cxx.get_ped(vped, *where)
                assert float(peds[block]) == value
                assert (bool(gains.dead_pixels()[block, 0]), ped_codes[block] == NOISY_FLAG) == (
                    dead,
                    noisy,
                )
                value, dead, noisy = cxx.get_gain(vped, *where)
                assert float(block_gains[block]) == value
                assert bool(gains.dead_blocks()[block]) == dead
        with pytest.raises(IndexError):
            cxx.get_ped(vped, 0, int(rows[k]), first, second, int(ncols[k]))
    _, entries = gains.module_means("gain")
    assert entries.sum() == int((flag == 0).sum())


def test_hlt_and_offline_share_the_registry_and_differ_in_the_block() -> None:
    ped, gain = np.array([1, 2, 3, 4], np.uint8), np.array([9, 8, 7, 6], np.uint8)
    v, ibegin, iend = encode_hlt_blocks(ped, gain, [2], [160])
    assert v.tolist() == [9, 1, 8, 2, 7, 3, 6, 4] and (int(ibegin[0]), int(iend[0])) == (0, 8)
    got_ped, got_gain, counts = decode_hlt_blocks(v.view(np.int8), ibegin, iend, [2])
    assert got_ped.shape == (4, 1) and got_ped.ravel().tolist() == [1, 2, 3, 4]
    assert got_gain.tolist() == [9, 8, 7, 6] and counts.tolist() == [4]
    with pytest.raises(ValueError, match="whole blocks of 1 pedestals"):
        decode_hlt_blocks(v[:3], [0], [3], [1])
    offline = members(
        [5], [1], [2], [1, 2], [3], pedestal_range=(0, 1), gain_range=(0, 1), rows_per_block=2
    )
    assert "pedPrecision" not in offline and unpack(offline).object_type == OFFLINE
    assert unpack(offline).pedestal_per_pixel
    with pytest.raises(ValueError, match="not a pixel gain class"):
        unpack(offline, "SiPixelGainCalibration")
