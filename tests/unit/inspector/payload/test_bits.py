"""Vectorised N-bit packing and unpacking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inspector.payload.bits import pack_bits, packed_nbytes, unpack_bits


@st.composite
def packed_case(draw: st.DrawFn) -> tuple[int, str, np.ndarray]:
    bits = draw(st.integers(1, 32))
    order = draw(st.sampled_from(["msb", "lsb"]))
    n = draw(st.integers(0, 80))
    values = draw(hnp.arrays(np.uint64, n, elements=st.integers(0, (1 << bits) - 1)))
    return bits, order, values


@given(packed_case(), st.integers(1, 40))
def test_unpack_inverts_pack_for_every_width_order_and_chunking(
    case: tuple[int, str, np.ndarray], chunk: int
) -> None:
    bits, order, values = case
    blob = pack_bits(values, bits, order, chunk=chunk)  # type: ignore[arg-type]
    assert len(blob) == packed_nbytes(values.size, bits)
    out = unpack_bits(blob, values.size, bits, order)  # type: ignore[arg-type]
    assert out.dtype.itemsize * 8 >= bits
    assert np.array_equal(out.astype(np.uint64), values)


def test_msb_and_lsb_bit_layouts_are_the_documented_ones() -> None:
    # msb: the first 9-bit value fills byte 0 and the top bit of byte 1.
    assert pack_bits(np.array([0x1FF, 0]), 9, "msb") == bytes([0xFF, 0x80, 0x00])
    # lsb: the first value starts at bit 0 of byte 0.
    assert pack_bits(np.array([1, 0]), 9, "lsb") == bytes([0x01, 0x00, 0x00])
    assert unpack_bits(bytes([0x00, 0x40, 0x00]), 2, 9, "msb").tolist() == [0, 256]


def test_byte_aligned_widths_are_zero_copy_views() -> None:
    blob = np.arange(8, dtype=">u2").tobytes()
    out = unpack_bits(blob, 8, 16, "msb")
    assert out.base is not None and not out.flags.writeable
    assert out.tolist() == list(range(8))


def test_wrong_length_and_out_of_range_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="take 3 bytes"):
        unpack_bits(b"\x00\x00", 2, 9)
    with pytest.raises(ValueError, match="below 2\\*\\*9"):
        pack_bits(np.array([512]), 9)
    with pytest.raises(ValueError, match="unsigned"):
        pack_bits(np.array([-1]), 9)


def test_large_array_matches_a_plain_python_reference() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 512, 10_001)
    blob = pack_bits(values, 9, "msb")
    bitstring = "".join(f"{b:08b}" for b in blob)
    reference = [int(bitstring[i * 9 : i * 9 + 9], 2) for i in range(values.size)]
    assert unpack_bits(blob, values.size, 9, "msb").tolist() == reference
