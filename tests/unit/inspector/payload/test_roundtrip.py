"""decode(encode(x)) == x for every built-in schema (and zero-copy where promised)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import flat_registry, values_for

from inspector.payload import PayloadSchema, decode, encode

BUILTIN = flat_registry().flat()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.names:
        return all(_same(a[n], b[n]) for n in a.dtype.names)
    if a.dtype.kind == "f":
        return np.array_equal(a.astype(b.dtype), b, equal_nan=True)
    return np.array_equal(a.astype(np.float64) if a.size == 0 else a, b)


def _columns(value: Any) -> dict[str, Any] | Any:
    return value


@pytest.mark.parametrize("schema", BUILTIN, ids=lambda s: f"{s.object_type}.v{s.version}")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_decode_inverts_encode(schema: PayloadSchema, data: st.DataObject) -> None:
    values = data.draw(values_for(schema))
    blob = encode(schema, values)
    decoded = decode(blob, schema, payload_hash="h")
    assert set(decoded) == {f.name for f in schema.fields}
    for name, given_value in values.items():
        got = decoded[name]
        if isinstance(given_value, dict):
            for member, column in given_value.items():
                assert _same(column, got[member]), (name, member)
        else:
            assert _same(given_value, got), name
    # Encoding the decoded payload gives the very same bytes.
    assert encode(schema, dict(decoded)) == blob


def test_plain_and_record_arrays_are_zero_copy_views() -> None:
    schema = flat_registry().get("EcalPedestals", 1)
    assert isinstance(schema, PayloadSchema)
    columns = {m.name: np.full(61200, 200.0, "<f4") for m in schema.field("barrel").members}
    endcap = {m.name: np.full(3, 1.0, "<f4") for m in schema.field("endcap").members}
    blob = encode(schema, {"barrel": columns, "endcap": endcap})
    decoded = decode(blob, schema)
    barrel = decoded["barrel"]
    # A view into the immutable blob: no copy, read-only, sharing its memory.
    assert not barrel.flags.owndata and not barrel.flags.writeable
    assert np.shares_memory(barrel, np.frombuffer(blob, np.uint8))
    assert decoded["barrel"]["mean_x12"].mean() == 200.0


def test_big_endian_layout_decodes_to_the_same_numbers() -> None:
    v1 = flat_registry().get("BeamSpotObjects", 1)
    values = {
        "position": [0.1, -0.2, 0.3],
        "sigma_z": 3.6,
        "dxdz": 1e-5,
        "dydz": 2e-5,
        "beam_width": 1e-3,
        "covariance": np.eye(7),
        "type": 2,
    }
    blob = encode(v1, values)
    assert blob[:8] == np.array(0.1, ">f8").tobytes()
    decoded = decode(blob, v1)
    assert decoded["position"].dtype.str == ">f8"
    assert decoded["position"].tolist() == [0.1, -0.2, 0.3]
