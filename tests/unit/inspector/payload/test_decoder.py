"""Malformed blobs end in PayloadDecodeError naming hash, field and offset."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import flat_registry, values_for

from inspector.errors import PayloadDecodeError
from inspector.payload import PayloadSchema, SchemaRegistry, decode, encode

NOISE_SCHEMA = flat_registry().get("SiStripNoises", 1)
BUILTIN = flat_registry().flat()


def _noise_blob(n_modules: int = 2, strips: int = 8) -> bytes:
    total = n_modules * strips
    modules = {
        "detid": np.arange(n_modules) + 369120000,
        "ibegin": np.arange(n_modules) * strips,
        "iend": (np.arange(n_modules) + 1) * strips,
    }
    return encode(NOISE_SCHEMA, {"modules": modules, "noise": np.arange(total) % 512})


def test_truncated_blob_names_field_and_offset() -> None:
    blob = _noise_blob()
    with pytest.raises(PayloadDecodeError) as info:
        decode(blob[:-1], NOISE_SCHEMA, payload_hash="abc123")
    err = info.value
    assert err.payload_hash == "abc123" and err.field == "noise"
    assert err.offset == 4 + 2 * 12 + 4
    assert "payload abc123: field 'noise' at byte 32" in str(err)


def test_trailing_bytes_are_an_error() -> None:
    with pytest.raises(PayloadDecodeError, match="3 unexpected bytes"):
        decode(_noise_blob() + b"xyz", NOISE_SCHEMA)


def test_absurd_count_is_rejected_before_allocation() -> None:
    blob = bytearray(_noise_blob())
    blob[0:4] = (2**32 - 1).to_bytes(4, "little")
    with pytest.raises(PayloadDecodeError, match=r"needs 51539607540 bytes but only \d+ remain"):
        decode(bytes(blob), NOISE_SCHEMA)


def test_ranges_outside_the_target_field() -> None:
    modules = {"detid": [1], "ibegin": [0], "iend": [9]}
    blob = encode(NOISE_SCHEMA, {"modules": modules, "noise": np.zeros(8, np.uint16)})
    with pytest.raises(PayloadDecodeError, match=r"record 0 range \[0, 9\) lies outside 'noise'"):
        decode(blob, NOISE_SCHEMA)


def test_range_helpers_compute_per_module_means() -> None:
    decoded = decode(_noise_blob(3, 4), NOISE_SCHEMA)
    begin, end = decoded.ranges("modules")
    assert begin.tolist() == [0, 4, 8] and end.tolist() == [4, 8, 12]
    noise = decoded.physical("noise")
    assert np.allclose(noise, np.arange(12) * 0.1)
    assert np.allclose(decoded.range_means("modules"), [0.15, 0.55, 0.95])


def test_invalid_utf8_string_is_a_decode_error() -> None:
    schema = SchemaRegistry().add_document(
        'object_type = "Label"\nversion = 1\n'
        '[[fields]]\nname = "text"\nkind = "string"\ncount = "u1"\n',
        source="label",
    )
    assert decode(b"\x02hi", schema)["text"] == "hi"
    with pytest.raises(PayloadDecodeError, match="invalid UTF-8") as info:
        decode(b"\x02\xff\xfe", schema)
    assert info.value.offset == 1


def test_length_field_drives_a_later_array() -> None:
    schema = SchemaRegistry().add_document(
        'object_type = "Counted"\nversion = 1\n'
        '[[fields]]\nname = "n"\nkind = "scalar"\ndtype = "i2"\n'
        '[[fields]]\nname = "values"\nkind = "array"\ndtype = "f4"\nlength = "n"\n',
        source="counted",
    )
    blob = encode(schema, {"values": [1.0, 2.0]})
    assert decode(blob, schema)["n"] == 2
    with pytest.raises(PayloadDecodeError, match="negative"):
        decode(np.array(-1, "<i2").tobytes(), schema)


@pytest.mark.parametrize("schema", BUILTIN, ids=lambda s: f"{s.object_type}.v{s.version}")
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_corrupted_blobs_raise_only_decode_errors(
    schema: PayloadSchema, data: st.DataObject
) -> None:
    blob = bytearray(encode(schema, data.draw(values_for(schema))))
    action = data.draw(st.sampled_from(["truncate", "extend", "flip", "random"]))
    if action == "truncate" and blob:
        del blob[data.draw(st.integers(0, len(blob) - 1)) :]
    elif action == "extend":
        blob += data.draw(st.binary(min_size=1, max_size=16))
    elif action == "flip" and blob:
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] ^= 1 << data.draw(st.integers(0, 7))
    else:
        blob = bytearray(data.draw(st.binary(max_size=64)))
    try:
        decode(bytes(blob), schema, payload_hash="fuzz")
    except PayloadDecodeError as exc:
        assert exc.payload_hash == "fuzz"
        assert 0 <= exc.offset <= len(blob)


def test_physical_values_are_decimal_exact_for_reciprocal_scales() -> None:
    modules = {"detid": [1], "ibegin": [0], "iend": [3]}
    blob = encode(NOISE_SCHEMA, {"modules": modules, "noise": np.array([44, 12, 3])})
    noise = decode(blob, NOISE_SCHEMA).physical("noise")
    # 44 * 0.1 would be 4.4000000000000004 and land across a bin edge at 4.4.
    assert noise.tolist() == [4.4, 1.2, 0.3]
