"""SiStripNoises 9-bit packing, against a line-by-line port of SiStripNoises::decode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.cmssw.strips import decode_noises, encode_noises, strips_per_module


def cmssw_decode(data: list[int], strip: int) -> int:
    """``SiStripNoises::decode`` for one module's bytes, as the C++ reads them."""
    last = len(data) - 1
    low_bit = strip * 9
    first_bit = low_bit & 7
    first_nbits = 8 - first_bit
    first_mask = (0xFF << first_bit) & 0xFF
    second_mask = ~(0xFF << (9 - first_nbits)) & 0xFF
    return ((data[last - low_bit // 8] & first_mask) >> first_bit) | (
        (data[last - low_bit // 8 - 1] & second_mask) << first_nbits
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 511), min_size=1, max_size=40), min_size=1, max_size=6))
def test_encode_matches_the_cmssw_reader_and_decode_inverts_it(modules: list[list[int]]) -> None:
    codes = np.concatenate([np.asarray(m) for m in modules])
    counts = np.asarray([len(m) for m in modules])
    v_noises, ibegin, iend = encode_noises(codes, counts)
    for m, module in enumerate(modules):
        data = [int(b) for b in v_noises[ibegin[m] : iend[m]]]
        assert len(data) == -(-9 * len(module) // 8)
        assert [cmssw_decode(data, j) for j in range(len(module))] == module
    got, got_counts = decode_noises(v_noises, ibegin, iend)
    # Strip counts are read back from byte counts, as CMSSW does (padding bits add none).
    assert np.array_equal(got_counts, strips_per_module(ibegin, iend))
    assert np.array_equal(got_counts, counts) and np.array_equal(got, codes)


def test_full_modules_round_trip() -> None:
    rng = np.random.default_rng(5)
    counts = rng.choice([256, 512, 768], 200)
    codes = rng.integers(0, 512, int(counts.sum()))
    got, got_counts = decode_noises(*encode_noises(codes, counts))
    assert np.array_equal(got, codes) and np.array_equal(got_counts, counts)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="9 bits"):
        encode_noises([512], [1])
    with pytest.raises(ValueError, match="codes for"):
        encode_noises([1, 2], [1])
    with pytest.raises(ValueError, match="outside v_noises"):
        decode_noises(np.zeros(4, np.uint8), [0], [9])
