"""Classes without members (CMSSW has empty bases) still write their header, once."""

from __future__ import annotations

from inspector.payload import SchemaRegistry, decode, encode

LAYOUT = """
encoding = "cmssw-archive"
object_type = "Derived"

[classes.Empty]
members = []

[classes.Derived]
bases = ["Empty"]
members = [{ name = "items", type = "std::vector<Empty>" }, { name = "n", type = "int" }]
"""


def test_empty_base_and_empty_elements_write_their_header_once() -> None:
    layout = SchemaRegistry().add_document(LAYOUT, source="empty.toml")
    blob = encode(layout, {"items": [{}, {}], "n": 3}, library_version=19)
    # magic, lib 19 | Derived 00 00 | Empty 00 00 | vector<Empty> 00 00, count 2, item_version 0
    # | two empty elements (Empty's header already written) | n = 3
    assert blob.hex(" ") == "7f 01 13 00 00 00 00 00 00 01 02 00 01 03"
    decoded = decode(blob, layout)
    assert decoded["items"] == [{}, {}] and int(decoded["n"]) == 3
