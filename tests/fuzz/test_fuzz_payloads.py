"""Hostile blobs against the payload decoder, for every declared layout.

A payload blob comes from a database the server does not control, so the
decoder is the first thing an attacker (or a broken upload) reaches.  Its
promise (``inspector/payload/decoder.py``) is checked here on blobs that are
random, truncated, extended, bit-flipped, or valid except for one absurd
count, length or range:

* the only exception is :class:`~inspector.errors.PayloadDecodeError`, and it
  names the payload hash, a real field and an offset inside the blob;
* each decode finishes within :data:`TIME_LIMIT` (no hang, no quadratic path);
* each decode allocates at most ``ALLOC_FACTOR * len(blob) + ALLOC_SLACK``
  bytes (``tracemalloc`` peak), so no count is trusted before it is checked;
* a blob it accepts has every declared range inside its target and
  re-encodes to the same size and values, so a check skipped or a count
  misread without an error (e.g. a negative one) is caught as well.

The layouts are discovered, never listed: every schema the installed plugins
register (the built-in ``payload_schemas/`` included), so a new schema is
fuzzed the day it is added.  A few small layouts declared below add the
decoder paths no built-in schema uses yet (strings, ``length`` fields, 1-bit
and ``lsb`` packing, wide counts, narrow range records).

Examples per layout come from the profile in ``tests/fuzz/conftest.py``
(``INSPECTOR_STRESS=1`` for the long run).
"""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import flat_registry, values_for

from inspector.errors import PayloadDecodeError
from inspector.payload import (
    DecodedPayload,
    Field,
    PayloadSchema,
    SchemaRegistry,
    decode,
    encode,
)
from inspector.plugin import load_plugins

#: Seconds one decode may take.  Real ones take at most tens of ms (the
#: slowest seen: 33 ms, a 1 MiB field of 17-bit values); 2 s only fails on a
#: hang or a super-linear path, not on a busy machine.
TIME_LIMIT: Final = 2.0
#: Allowed peak allocation per blob byte.  What the decoder honestly needs,
#: measured on 1 MiB blobs: 8.1x to unpack 1-bit fields (one byte per bit),
#: 6x for a string that turns UCS-4, and 12.5x, the most, to range-check
#: two-byte records that are all out of range (int64 copies of both bounds,
#: masks, bad indices); built-in layouts stay at or below 2.1x.  16x keeps a
#: margin, while an unchecked count allocates gigabytes and fails at once.
ALLOC_FACTOR: Final = 16
#: Fixed allowance: the result mapping, error messages, dtype caches.
ALLOC_SLACK: Final = 64 * 1024
#: Records per range field whose bounds are offered for overwriting.
_MAX_RECORD_SLOTS: Final = 64
#: The hash every decode is given, to check that errors carry it.
FUZZ_HASH: Final = "f" * 40

# Layouts exercising decoder paths that no built-in schema uses (yet).
_EDGE_DOCUMENTS: Final = {
    "Edge.Strings": """
object_type = "EdgeStrings"
version = 1
[[fields]]
name = "label"
kind = "string"
count = "u1"
[[fields]]
name = "note"
kind = "string"
count = "u8"
byte_order = "big"
""",
    "Edge.Lengths": """
object_type = "EdgeLengths"
version = 1
byte_order = "big"
[[fields]]
name = "n"
kind = "scalar"
dtype = "i2"
[[fields]]
name = "m"
kind = "scalar"
dtype = "u8"
[[fields]]
name = "flags"
kind = "packed"
bits = 1
bit_order = "lsb"
length = "n"
[[fields]]
name = "values"
kind = "array"
dtype = "f4"
length = "m"
""",
    "Edge.Packed": """
object_type = "EdgePacked"
version = 1
[[fields]]
name = "lo"
kind = "scalar"
dtype = "f4"
[[fields]]
name = "hi"
kind = "scalar"
dtype = "f4"
[[fields]]
name = "three"
kind = "packed"
bits = 3
count = "u2"
quantized = { min = "lo", max = "hi" }
[[fields]]
name = "odd"
kind = "packed"
bits = 17
bit_order = "lsb"
count = "u4"
[[fields]]
name = "wide"
kind = "packed"
bits = 31
count = "u8"
[[fields]]
name = "fixed"
kind = "packed"
bits = 5
shape = 7
""",
    "Edge.NarrowRanges": """
object_type = "EdgeNarrowRanges"
version = 1
[[fields]]
name = "spans"
kind = "records"
count = "u2"
members = [ { name = "b", dtype = "u1" }, { name = "e", dtype = "u1" } ]
ranges = { into = "bits", begin = "b", end = "e" }
[[fields]]
name = "wide_spans"
kind = "records"
count = "u1"
members = [ { name = "b", dtype = "u8" }, { name = "e", dtype = "i8" } ]
ranges = { into = "bits", begin = "b", end = "e" }
[[fields]]
name = "bits"
kind = "packed"
bits = 1
count = "u4"
""",
}


def _layouts() -> list[PayloadSchema]:
    """Every schema the installed plugins register, then the edge layouts."""
    edges = SchemaRegistry()
    for name, text in _EDGE_DOCUMENTS.items():
        edges.add_document(text, source=name)
    flat = flat_registry()  # the decoder's own test layouts, and every flat one plugins add
    for schema in load_plugins().schemas.flat():
        if schema.key not in {s.key for s in flat.flat()}:
            flat.add(schema)
    return [*flat.flat(), *edges]


LAYOUTS: Final = _layouts()


def _layout_id(schema: PayloadSchema) -> str:
    return f"{schema.object_type}.v{schema.version}"


@dataclass(frozen=True)
class Slot:
    """A number inside a valid blob that the decoder must not trust."""

    offset: int
    dtype: np.dtype[Any]
    what: str

    def read(self, blob: bytes | bytearray) -> int:
        """The number stored in ``blob``."""
        raw = blob[self.offset : self.offset + self.dtype.itemsize]
        return int.from_bytes(raw, self.order, signed=self.dtype.kind == "i")

    def write(self, blob: bytearray, value: int) -> None:
        """Store ``value`` modulo the slot's width, if the slot is still inside ``blob``."""
        size = self.dtype.itemsize
        if self.offset + size <= len(blob):
            blob[self.offset : self.offset + size] = (value % (1 << 8 * size)).to_bytes(
                size, self.order
            )

    @property
    def order(self) -> Literal["big", "little"]:
        """Byte order of the slot (one-byte slots have none; any will do)."""
        return "big" if self.dtype.byteorder == ">" else "little"

    def moved(self, at: int, by: int) -> Slot:
        """The slot after ``by`` bytes were inserted at offset ``at``."""
        return replace(self, offset=self.offset + by) if self.offset >= at else self


@dataclass(frozen=True)
class Sized:
    """A variable-size field, the slot holding its element count, and where it ends."""

    field: Field
    slot: Slot
    end: int

    def nbytes(self, count: int) -> int:
        """Bytes taken by ``count`` elements (worked out here, not by the decoder)."""
        if self.field.kind == "packed":
            return (count * self.field.bits + 7) // 8
        if self.field.kind == "string":
            return count
        assert self.field.dtype is not None
        return count * self.field.dtype.itemsize


@dataclass(frozen=True)
class Layout:
    """Where the numbers the decoder must check sit in one valid blob."""

    counts: list[Slot]
    bounds: list[Slot]
    sized: list[Sized]


@dataclass(frozen=True)
class Hostile:
    """A blob and how it was made; the repr stays short for big layouts."""

    blob: bytes
    how: tuple[str, ...]

    def __repr__(self) -> str:
        digest = hashlib.sha1(self.blob).hexdigest()[:12]
        head = self.blob[:32].hex()
        return f"Hostile({len(self.blob)} B sha1 {digest}… head {head}, how={list(self.how)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints failing examples with this, not ``repr``, for dataclasses."""
        printer.text(repr(self))


def _field_sizes(schema: PayloadSchema, values: dict[str, Any]) -> list[int]:
    """Encoded size of each field, worked out apart from the decoder.

    Fixed-size fields are computed (encoding the 1.4 MB ECAL barrel again
    would double the cost of each example); variable ones are encoded alone.
    """
    sizes = []
    for field in schema.fields:
        if field.kind == "scalar":
            assert field.dtype is not None
            sizes.append(field.dtype.itemsize)
        elif field.fixed_length is not None and field.kind in ("array", "records"):
            assert field.dtype is not None
            sizes.append(field.fixed_length * field.dtype.itemsize)
        else:
            alone = replace(schema, fields=(field,))
            sizes.append(len(encode(alone, {field.name: values[field.name]})))
    return sizes


def _layout(schema: PayloadSchema, values: dict[str, Any]) -> Layout:
    """Count prefixes, length scalars and range bounds of the blob encoded from ``values``."""
    scalars: dict[str, Slot] = {}
    layout = Layout([], [], [])
    offset = 0
    for field, size in zip(schema.fields, _field_sizes(schema, values), strict=True):
        body = offset
        if field.kind == "scalar":
            assert field.dtype is not None
            scalars[field.name] = Slot(offset, field.dtype, f"length {field.name}")
        if field.count is not None:
            slot = Slot(offset, field.count, f"count of {field.name}")
            layout.counts.append(slot)
            layout.sized.append(Sized(field, slot, offset + size))
            body += field.count.itemsize
        if field.length is not None:
            layout.counts.append(scalars[field.length])
            layout.sized.append(Sized(field, scalars[field.length], offset + size))
        if field.ranges is not None:
            assert field.dtype is not None
            n = (size - (body - offset)) // field.dtype.itemsize
            for member in (field.ranges.begin, field.ranges.end):
                member_dtype, member_offset = field.dtype.fields[member][:2]  # type: ignore[index]
                for i in range(min(n, _MAX_RECORD_SLOTS)):
                    at = body + i * field.dtype.itemsize + member_offset
                    layout.bounds.append(Slot(at, member_dtype, f"{field.name}[{i}].{member}"))
        offset += size
    return layout


def _absurd(draw: st.DrawFn, slot: Slot, blob: bytearray) -> int:
    """A value for ``slot``: huge, negative, just off by one, or anything."""
    bits = 8 * slot.dtype.itemsize
    current = slot.read(blob)
    return draw(
        st.sampled_from(
            [
                (1 << bits) - 1,  # the largest unsigned value, -1 when signed
                1 << (bits - 1),  # the smallest signed value / half the range
                (1 << (bits - 1)) - 1,
                len(blob),
                len(blob) + 1,
                current + 1,
                current - 1,
                0,
            ]
        )
        | st.integers(0, (1 << bits) - 1)
    )


def _inflate(draw: st.DrawFn, blob: bytearray, sized: Sized) -> tuple[int, str]:
    """Grow one field by up to ~1 MiB of random elements and raise its count to match.

    The result passes every length check, so the decoder really unpacks and
    range-checks a big field: this is what measures its allocation per byte,
    which tiny blobs hide behind fixed overheads.  Returns the bytes inserted.
    """
    count = sized.slot.read(blob)  # the blob is still valid here: 0 <= count
    width = 8 * sized.slot.dtype.itemsize - (sized.slot.dtype.kind == "i")
    # Elements in 1 MiB, from the size of 64 (a packed element is not whole bytes).
    per_mib = max(1, (64 << 20) // max(1, sized.nbytes(64)))
    most = min((1 << width) - 1 - count, per_mib)
    if most < 1:
        return 0, "inflate: count already at its maximum"
    more = draw(st.integers(1, most))
    extra = sized.nbytes(count + more) - sized.nbytes(count)
    seed = draw(st.integers(0, 2**32 - 1))
    blob[sized.end : sized.end] = np.random.default_rng(seed).bytes(extra)
    sized.slot.write(blob, count + more)
    return extra, f"inflate {sized.field.name} by {more} elements ({extra} B, seed {seed})"


@st.composite
def hostile_blobs(draw: st.DrawFn, schema: PayloadSchema) -> Hostile:
    """Random bytes, or a valid blob of ``schema`` damaged by one to three mutations.

    An optional first step inflates a variable-size field (see ``_inflate``);
    the damage after it then hits a big blob as well as small ones.
    """
    if draw(st.integers(0, 9)) == 0:
        return Hostile(draw(st.binary(max_size=4096)), ("random",))
    values = draw(values_for(schema))
    layout = _layout(schema, values)
    blob = bytearray(encode(schema, values))
    how: list[str] = []
    counts, bounds = layout.counts, layout.bounds
    grow: bool = draw(st.booleans())
    if grow and layout.sized:
        sized = draw(st.sampled_from(layout.sized))
        extra, what = _inflate(draw, blob, sized)
        counts = [s.moved(sized.end, extra) for s in counts]
        bounds = [s.moved(sized.end, extra) for s in bounds]
        how.append(what)
    kinds = ["truncate", "extend", "flip"] + ["count"] * bool(counts) + ["range"] * bool(bounds)
    for kind in draw(st.lists(st.sampled_from(kinds), min_size=0 if how else 1, max_size=3)):
        if kind == "truncate":
            cut = draw(st.integers(0, max(0, len(blob) - 1)))
            del blob[cut:]
            how.append(f"truncate at {cut}")
        elif kind == "extend":
            extra_bytes = draw(st.binary(min_size=1, max_size=64))
            blob += extra_bytes
            how.append(f"extend by {len(extra_bytes)}")
        elif kind == "flip" and blob:
            for _ in range(draw(st.integers(1, 8))):
                i = draw(st.integers(0, len(blob) - 1))
                bit = draw(st.integers(0, 7))
                blob[i] ^= 1 << bit
                how.append(f"flip byte {i} bit {bit}")
        elif kind in ("count", "range"):
            slot = draw(st.sampled_from(counts if kind == "count" else bounds))
            value = _absurd(draw, slot, blob)
            slot.write(blob, value)
            how.append(f"{slot.what} := {value}")
    return Hostile(bytes(blob), tuple(how))


@dataclass(frozen=True)
class Outcome:
    """One measured decode."""

    result: DecodedPayload | None
    error: Exception | None
    seconds: float
    peak: int


def _decode_measured(blob: bytes, schema: PayloadSchema) -> Outcome:
    """Decode once under ``tracemalloc``, which then sees only the decoder's allocations."""
    result: DecodedPayload | None = None
    error: Exception | None = None
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = decode(blob, schema, payload_hash=FUZZ_HASH)
    except Exception as exc:
        error = exc
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Outcome(result, error, seconds, peak)


def _same(a: Any, b: Any) -> bool:
    """Equal values, bit for bit (NaN payloads included)."""
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    x, y = np.asarray(a), np.asarray(b)
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def _check_accepted(blob: bytes, schema: PayloadSchema, result: DecodedPayload) -> None:
    """A blob the decoder accepts is one the encoder writes, to the byte count.

    This catches silent misreads that raise nothing: a negative or wrapped
    count that moved the cursor backwards, a field read from the wrong
    offset, a declared range left unchecked.  Sizes must match exactly;
    bytes only up to the unused padding bits of packed fields, which the
    encoder writes as zeros, so the values are compared after a second
    decode instead.
    """
    for field in schema.fields:
        if field.ranges is not None:
            records = result[field.name]
            size = np.asarray(result[field.ranges.into]).size
            begins = records[field.ranges.begin].tolist()
            ends = records[field.ranges.end].tolist()
            assert all(0 <= b <= e <= size for b, e in zip(begins, ends, strict=True)), (
                f"{field.name}: accepted a range outside {field.ranges.into!r} ({size})"
            )
    again = encode(schema, dict(result))
    assert len(again) == len(blob), f"accepted {len(blob)} B, which re-encode to {len(again)} B"
    second = decode(again, schema)
    for name in result:
        assert _same(result[name], second[name]), f"field {name!r} changes on re-encoding"


@pytest.mark.parametrize("schema", LAYOUTS, ids=_layout_id)
@settings(settings.get_profile("inspector-fuzz-payloads"))
@given(data=st.data())
def test_hostile_blobs_only_raise_decode_errors_quickly_and_cheaply(
    schema: PayloadSchema, data: st.DataObject
) -> None:
    """Any blob: a result or a precise PayloadDecodeError, fast, in bounded memory."""
    hostile = data.draw(hostile_blobs(schema), label="hostile")
    blob = hostile.blob
    outcome = _decode_measured(blob, schema)
    error = outcome.error

    if error is not None and not isinstance(error, PayloadDecodeError):
        kind = type(error).__name__
        raise AssertionError(f"decode raised {kind}, not PayloadDecodeError") from error
    if isinstance(error, PayloadDecodeError):
        assert error.payload_hash == FUZZ_HASH
        assert 0 <= error.offset <= len(blob), error
        assert error.field is None or error.field in {f.name for f in schema.fields}, error
    assert outcome.seconds <= TIME_LIMIT, f"decode took {outcome.seconds:.2f} s"
    limit = ALLOC_FACTOR * len(blob) + ALLOC_SLACK
    assert outcome.peak <= limit, f"decode allocated {outcome.peak} B for a {len(blob)} B blob"
    if outcome.result is not None:
        _check_accepted(blob, schema, outcome.result)
