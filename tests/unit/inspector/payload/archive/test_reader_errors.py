"""Damaged archives: a PayloadDecodeError naming the payload hash, the member path, the offset.

Each case asserts all three exactly.  Truncations of the real payloads (at
every 37th byte; past 8 kB every 371st) are checked against an independent
token walk (``real_archives.jer_tokens``): the reader must stop at the first
token that does not fit, or at the first count larger than the bytes left
after it.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from real_archives import (
    REAL_CMS_DIR,
    RealPayload,
    Token,
    expected_failure,
    jer_tokens,
    real_payloads,
)

from inspector.errors import PayloadDecodeError
from inspector.payload import ArchiveLayout, SchemaRegistry, decode, encode, parse_archive_layout

REAL = real_payloads()
needs_real = pytest.mark.skipif(
    not REAL, reason=f"the real CMS files are not at {REAL_CMS_DIR} (they are never copied here)"
)
JER = SchemaRegistry.builtin().get("JME::JetResolutionObject")
assert isinstance(JER, ArchiveLayout)
H = "0123456789abcdef0123456789abcdef01234567"
HEAD = "7f 01 13 | 00 00"


def hexb(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " "))


def layout_of(classes: dict[str, Any]) -> ArchiveLayout:
    doc = {"encoding": "cmssw-archive", "object_type": "R", "classes": classes}
    return parse_archive_layout(doc, source="test")


def one(ctype: str, **classes: Any) -> ArchiveLayout:
    return layout_of({"R": {"members": [{"name": "v", "type": ctype}]}, **classes})


def failure(blob: bytes, layout: ArchiveLayout, **kw: Any) -> PayloadDecodeError:
    with pytest.raises(PayloadDecodeError) as info:
        decode(blob, layout, payload_hash=H, **kw)
    return info.value


def check(err: PayloadDecodeError, field: str | None, offset: int, reason: str) -> None:
    """Hash, member path and offset exactly, in the attributes and in the message."""
    assert err.payload_hash == H
    assert err.field == field, str(err)
    assert err.offset == offset, str(err)
    where = f"field {field!r}" if field else "payload"
    assert str(err) == f"payload {H}: {where} at byte {offset}: {err.reason}"
    assert reason in err.reason, str(err)


# -- the real payloads ------------------------------------------------------------


def _cuts(size: int) -> list[int]:
    """Every 37th byte; past 8 kB every 371st (each cut decodes the blob up to it)."""
    return sorted({*range(37, min(size, 8192), 37), *range(8192, size, 371), size - 1})


@needs_real
@pytest.mark.slow
@pytest.mark.parametrize("payload", REAL, ids=repr)
def test_truncated_real_payloads_fail_where_the_token_walk_says(payload: RealPayload) -> None:
    tokens = jer_tokens(payload.data)
    cuts = _cuts(len(payload.data))
    for cut in cuts:
        with pytest.raises(PayloadDecodeError) as info:
            decode(payload.data[:cut], JER, payload_hash=payload.hash)
        err = info.value
        path, offset = expected_failure(tokens, cut)
        assert (err.payload_hash, err.field, err.offset) == (payload.hash, path, offset), (
            cut,
            str(err),
        )
        assert str(err).startswith(f"payload {payload.hash}: ")
        assert (f"field {path!r}" if path else "payload") + f" at byte {offset}:" in str(err)


def _token(tokens: list[Token], path: str) -> Token:
    (found,) = [t for t in tokens if t.path == path and t.count is not None]
    return found


@needs_real
def test_a_huge_count_in_a_real_payload_names_its_member() -> None:
    payload = max(REAL, key=lambda p: len(p.data))
    tokens = jer_tokens(payload.data)
    count = _token(tokens, "m_records[3].m_parameters_values")
    huge = hexb("05 00 00 00 00 01")  # 2**32 elements
    blob = payload.data[: count.start] + huge + payload.data[count.end :]
    decode(payload.data, JER)  # the compiled kernel loads once per process (~17 MB)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadDecodeError) as info:
            decode(blob, JER, payload_hash=H)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    left = len(blob) - count.start - len(huge)
    check(
        info.value,
        "m_records[3].m_parameters_values",
        count.start,
        f"a std::vector of 4,294,967,296 elements, but only {left:,} bytes remain",
    )
    assert peak < 20 * len(blob)  # refused before anything of that size was allocated


@needs_real
def test_a_bad_float_size_inside_a_real_bulk_run_names_the_element() -> None:
    payload = REAL[0]
    tokens = jer_tokens(payload.data)
    (value,) = [t for t in tokens if t.path == "m_records[2].m_parameters_values[1]"]
    blob = bytearray(payload.data)
    blob[value.start] = 0x09  # above 8, and above the float's 4 bytes
    err = failure(bytes(blob), JER)
    check(err, "m_records[2].m_parameters_values[1]", value.start, "size byte 9 is larger")
    (upper,) = [t for t in tokens if t.path == "m_records[5].m_bins_range[0].max"]
    blob = bytearray(payload.data)
    blob[upper.start] = 0xFC  # a negative size for a float's (unsigned) bit pattern
    err = failure(bytes(blob), JER)
    check(err, "m_records[5].m_bins_range[0].max", upper.start, "negative size byte")


@needs_real
def test_leftover_bytes_after_a_real_payload() -> None:
    payload = REAL[0]
    err = failure(payload.data + b"\x00\x01", JER)
    check(err, None, len(payload.data), "2 unexpected bytes after the payload")


@needs_real
def test_a_real_payload_with_a_bad_bool_at_its_end() -> None:
    payload = REAL[0]
    assert payload.data.endswith(b"\x01\x54")
    end = len(payload.data) - 2
    check(failure(payload.data[:-1] + b"\x00", JER), "m_valid", end, "bad bool: bytes 01 00")


def test_an_unknown_technology_in_streamer_info_is_named() -> None:
    nothing = {"m_bins_name": [], "m_variables_name": [], "m_formula_str": ""}
    blob = encode(JER, {"m_definition": nothing, "m_records": [], "m_valid": True})
    err = failure(blob, JER, streamer_info=b'{"technology": "ROOT"}')
    check(err, None, 0, "written with technology 'ROOT'")
    assert "only boost/serialization" in err.reason
    # boost, or nothing said at all (the demo's own payloads), is read
    for info in (b'{"technology": "boost/serialization"}', b"", None, b"not json"):
        assert decode(blob, JER, streamer_info=info)["m_valid"] is True


# -- the archive itself -------------------------------------------------------------


def test_an_empty_blob() -> None:
    check(failure(b"", one("int")), None, 0, "empty blob")


def test_a_wrong_magic_byte() -> None:
    err = failure(hexb("16 01 13 00 00 01 01"), one("int"))
    check(err, None, 0, "not a CMSSW archive: first byte 0x16, expected 0x7f")


def test_the_header_alone() -> None:
    check(failure(hexb("7f"), one("int")), None, 1, "ends where a number was expected")
    check(failure(hexb("7f 01 13 00"), one("int")), None, 4, "ends where a number")
    check(failure(hexb("7f 01 13 00 00"), one("int")), "v", 5, "ends where a number")


def test_leftover_bytes() -> None:
    check(failure(hexb(f"{HEAD} 01 05 00"), one("int")), None, 7, "1 unexpected bytes after")


@pytest.mark.parametrize(
    ("ctype", "token", "reason"),
    [
        ("char", "02 00 01", "size byte 2 is larger than the 1-byte type"),
        ("short", "03 00 00 01", "size byte 3 is larger than the 2-byte type"),
        ("int", "fb 00 00 00 00 80", "size byte -5 is larger than the 4-byte type"),
        ("float", "05 00 00 00 00 01", "size byte 5 is larger than the 4-byte type"),
        ("long", "09" + " 00" * 9, "size byte 9 is larger than the 8-byte type"),
        ("double", "09" + " 00" * 9, "size byte 9 is larger than the 8-byte type"),
        ("unsigned long", "7f" + " 00" * 8, "size byte 127 is larger than the 8-byte type"),
        ("unsigned int", "ff ff", "size byte -1 makes an unsigned value negative"),
        ("unsigned char", "ff 01", "size byte -1 makes an unsigned value negative"),
        ("double", "f8 00 00 00 00 00 00 f0 bf", "size byte -8 makes an unsigned value negative"),
        ("int", "04 00 00", "a 4-byte number runs past the end of the blob"),
        ("bool", "01 00", "bad bool: bytes 01 00, expected 00 or 01 54"),
        ("bool", "01 01", "bad bool: bytes 01 01, expected 00 or 01 54"),
        ("bool", "02 54 00", "bad bool: size byte 02, expected 00 or 01 54"),
        ("bool", "ff 54", "bad bool: size byte ff, expected 00 or 01 54"),
        ("bool", "01", "the blob ends inside a bool"),
    ],
)
def test_bad_numbers_in_a_member(ctype: str, token: str, reason: str) -> None:
    check(failure(hexb(f"{HEAD} | {token}"), one(ctype)), "v", 5, reason)


@pytest.mark.parametrize(
    ("ctype", "elements", "reason"),
    [
        ("std::vector<short>", "01 01 | 03 00 00 01", "size byte 3 is larger than the 2-byte type"),
        ("std::vector<double>", "01 01 | 09" + " 00" * 9, "size byte 9 is larger"),
        ("std::vector<unsigned int>", "01 01 | ff 01", "a negative size byte for an unsigned type"),
        ("std::vector<float>", "00 | fc 00 00 80 bf", "a negative size byte for an unsigned type"),
        ("std::vector<bool>", "00 | 01 00", "bad bool: expected 00 or 01 54"),
        ("std::vector<bool>", "01 54 | 02 54 00", "size byte 2 is larger"),
        ("std::vector<int>", "01 01 | 04 00", "the blob ends inside a run of numbers"),
    ],
)
def test_bad_numbers_inside_a_bulk_run_name_the_element(
    ctype: str, elements: str, reason: str
) -> None:
    blob = hexb(f"{HEAD} | 01 03 00 | {elements}")
    second = 5 + 3 + len(hexb(elements.split("|")[0]))
    check(failure(blob, one(ctype)), "v[1]", second, reason)


def test_bad_numbers_inside_a_bulk_run_of_classes_name_the_member() -> None:
    layout = one("std::vector<P>", P={"members": [{"name": "a", "type": "int"},
                                                  {"name": "b", "type": "short"}]})  # fmt: skip
    # the first element carries P's header (read one by one), the rest in one run
    blob = hexb(f"{HEAD} | 00 00 01 03 00 | 00 00 01 01 01 02 | 01 03 01 04 | 01 05 04 00 00 00 00")
    check(failure(blob, layout), "v[2].b", 22, "size byte 4 is larger than the 2-byte type")
    blob = hexb(f"{HEAD} | 00 00 01 03 00 | 00 00 01 01 09 00 | 01 03 01 04 | 01 05 01 06")
    check(failure(blob, layout), "v[0].b", 14, "size byte 9 is larger than the 2-byte type")


def test_a_run_longer_than_the_bytes_left_fails_at_its_real_end() -> None:
    layout = one("std::vector<P>", P={"members": [{"name": "a", "type": "int"},
                                                  {"name": "b", "type": "short"}]})  # fmt: skip
    # three elements of two tokens each: the first (with P's header), one more, then the end
    blob = hexb(f"{HEAD} | 00 00 01 03 00 | 00 00 01 01 00 | 00 00")
    check(failure(blob, layout), "v[2].a", len(blob), "the blob ends inside a run of numbers")


def test_an_unknown_class_version() -> None:
    layout = one("P", P={"members": [{"name": "x", "type": "int"}]})
    err = failure(hexb(f"{HEAD} | 00 01 05 | 01 01"), layout)
    check(err, "v", 5, "class P has version 5; the layout knows 0")
    root = failure(hexb("7f 01 13 | 00 01 02 | 01 01"), one("int"))
    check(root, None, 3, "class R has version 2; the layout knows 0")


def test_a_tracked_class_is_refused() -> None:
    layout = one("P", P={"members": [{"name": "x", "type": "int"}]})
    err = failure(hexb(f"{HEAD} | 01 01 00 | 01 01"), layout)
    check(err, "v", 5, "class P is tracked (written through pointers)")
    vector = failure(hexb(f"{HEAD} | 01 01 00 | 00 00"), one("std::vector<std::string>"))
    check(vector, "v", 5, "is tracked")
    odd = failure(hexb(f"{HEAD} | 01 02 00 | 01 01"), layout)
    check(odd, "v", 5, "class P: bad tracking flag 2 (expected 0)")


def test_a_c_array_count_that_is_not_its_length() -> None:
    check(failure(hexb(f"{HEAD} | 01 02 01 01 01 02"), one("int[3]")), "v", 5,
          "C array of 3 elements written with count 2")  # fmt: skip
    huge = failure(hexb(f"{HEAD} | 08 ff ff ff ff ff ff ff ff"), one("int[3]"))
    check(huge, "v", 5, "C array of 3 elements written with count 18446744073709551615")
    inner = failure(hexb(f"{HEAD} | 01 02 | 01 02 01 01 01 02 | 01 03 01 01 01 02 01 03"),
                    one("int[2][2]"))  # fmt: skip
    check(inner, "v[1]", 13, "C array of 2 elements written with count 3")


def test_a_c_array_count_inside_a_bulk_flat_vector() -> None:
    members = [{"name": "id", "type": "int"}, {"name": "c", "type": "short[2][2]"}]
    layout = one("std::vector<P>", P={"members": members})
    good = {"id": 1, "c": [[1, 2], [3, 4]]}
    blob = bytearray(encode(layout, {"v": [good] * 4}))
    element = 5 + 5 + 2  # the vector's header and count; the first element has P's header
    size = len(encode(layout, {"v": [good]})) - element  # one element's tokens
    # element 2 (of the bulk run): the inner count of c[1] says 3
    at = element + 2 * size + 2 + 2 + 6
    assert blob[at : at + 2] == b"\x01\x02"
    blob[at + 1] = 3
    check(
        failure(bytes(blob), layout), "v[2].c[1]", at, "C array of 2 elements written with count 3"
    )
    # and the outer count of element 3
    blob = bytearray(encode(layout, {"v": [good] * 4}))
    at = element + 3 * size + 2
    blob[at + 1] = 1
    check(failure(bytes(blob), layout), "v[3].c", at, "C array of 2 elements written with count 1")
    # the same one by one: element 0, whose header is read with it
    blob = bytearray(encode(layout, {"v": [good] * 4}))
    at = element - 2 + 2 + 2
    blob[at + 1] = 5
    check(failure(bytes(blob), layout), "v[0].c", at, "C array of 2 elements written with count 5")


def test_a_count_larger_than_the_bytes_left_allocates_nothing() -> None:
    for ctype, header in (("std::vector<int>", ""), ("std::vector<std::string>", "00 00"),
                          ("std::set<int>", "00 00"), ("std::map<int,int>", "00 00")):  # fmt: skip
        blob = hexb(f"{HEAD} | {header} | 08 00 00 00 00 00 00 00 10 | 00")
        tracemalloc.start()
        try:
            err = failure(blob, one(ctype))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        what = ctype.split("<")[0].replace("std::map", "a map").replace("std::", "a std::")
        count = 5 + len(hexb(header))
        check(err, "v", count, f"{what} of 1,152,921,504,606,846,976 elements, but only 1 bytes")
        assert peak < 64 * 1024, peak
    err = failure(hexb(f"{HEAD} | 04 00 00 00 01 | 61 62"), one("std::string"))
    check(err, "v", 5, "a string of 16777216 bytes, but 2 remain")


def test_invalid_utf8_names_the_byte() -> None:
    err = failure(hexb(f"{HEAD} | 01 04 61 62 ff 63"), one("std::string"))
    check(err, "v", 9, "string is not UTF-8 (invalid start byte)")
    names = one("std::vector<std::string>")
    err = failure(hexb(f"{HEAD} | 00 00 01 02 00 | 01 01 61 | 01 02 c3 28"), names)
    check(err, "v[1]", 15, "string is not UTF-8 (invalid continuation byte)")


def test_errors_inside_maps_and_pairs_name_first_and_second() -> None:
    layout = one("std::map<int, std::pair<bool, int>>")
    # map header, count 2; pair header, key 1, (pair header, false, 1); key 2, (bad bool, ...)
    blob = hexb(f"{HEAD} | 00 00 01 02 00 | 00 00 01 01 00 00 00 01 01 | 01 02 01 01 01 01")
    check(failure(blob, layout), "v[1].second.first", 21, "bad bool: bytes 01 01")


def test_a_map_key_that_a_dict_cannot_hold() -> None:
    layout = one("std::map<std::vector<int>, int>")
    blob = hexb(f"{HEAD} | 00 00 01 01 00 | 00 00 01 01 00 01 01 | 01 02")
    check(failure(blob, layout), "v[0]", len(blob), "a map key of this type cannot be held")


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    tree = one("std::vector<R>")
    blob = hexb(f"{HEAD} 00 00" + " 01 01 00" * 400 + " 00 00")  # 400 levels claimed in 1.2 kB
    # each level is a vector and an R: the 65th level below the root is the 33rd vector
    check(failure(blob, tree), ".".join(["v[0]"] * 32 + ["v"]), 7 + 3 * 32, "nest deeper than 64")
