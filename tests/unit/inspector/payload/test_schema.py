"""Schema files: validation errors name the file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategies import FLAT_LAYOUTS, flat_registry

from inspector.errors import NotFound, SchemaError
from inspector.payload import SchemaRegistry, parse_schema
from inspector.payload.schema import load_schema

GOOD = {
    "object_type": "T",
    "version": 1,
    "fields": [{"name": "a", "kind": "scalar", "dtype": "u4"}],
}


def _with_field(**field: object) -> dict[str, object]:
    return {"object_type": "T", "version": 1, "fields": [{"name": "a", **field}]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({**GOOD, "colour": "red"}, "unknown key"),
        ({**GOOD, "version": 0}, "positive integer"),
        ({**GOOD, "byte_order": "middle"}, "byte_order"),
        ({"object_type": "T", "version": 1, "fields": []}, "at least one field"),
        (_with_field(kind="blob"), "kind must be one of"),
        (_with_field(kind="scalar", dtype="u3"), "dtype 'u3'"),
        (_with_field(kind="scalar", dtype="<u4"), "dtype '<u4'"),
        (_with_field(kind="scalar", dtype="u4", count="u4"), "a scalar takes no count"),
        (_with_field(kind="array", dtype="f4"), "exactly one of shape, count or length"),
        (_with_field(kind="array", dtype="f4", shape=3, count="u4"), "exactly one of"),
        (_with_field(kind="array", dtype="f4", count="f4"), "dtype 'f4'"),
        (_with_field(kind="array", dtype="f4", length="nope"), "earlier integer scalar"),
        (_with_field(kind="packed", bits=33, count="u4"), "bits must be"),
        (_with_field(kind="packed", bits=9, bit_order="middle", count="u4"), "bit_order"),
        (_with_field(kind="records", count="u4"), "non-empty members"),
        (
            _with_field(
                kind="records",
                count="u4",
                members=[{"name": "x", "dtype": "f4"}],
                ranges={"into": "a", "begin": "x", "end": "x"},
            ),
            "integer member",
        ),
        (
            _with_field(kind="array", dtype="u1", count="u4", quantized={"min": "lo"}),
            "quantized must be",
        ),
        (_with_field(kind="scalar", dtype="f4", scale="big"), "finite number"),
    ],
)
def test_invalid_declarations_are_rejected_with_a_reason(
    doc: dict[str, object], message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_schema(doc, source="t.toml")


def test_error_names_the_file_and_field() -> None:
    with pytest.raises(SchemaError, match=r"^t\.toml: field 'a': kind"):
        parse_schema(_with_field(kind="blob"), source="t.toml")


def test_flat_layouts_choose_their_version() -> None:
    registry = flat_registry()
    assert registry.versions("BeamSpotObjects") == [1, 2]
    assert registry.get("BeamSpotObjects").version == 2
    assert registry.get("BeamSpotObjects", "1").byte_order == "big"


def test_unknown_type_or_version_is_not_found() -> None:
    registry = flat_registry()
    with pytest.raises(NotFound, match="no payload schema"):
        registry.get("Nope")
    with pytest.raises(NotFound, match=r"declared: v1, v2"):
        registry.get("BeamSpotObjects", 7)


def test_directory_loading_checks_file_names(tmp_path: Path) -> None:
    source = (FLAT_LAYOUTS / "SiStripNoises.v1.toml").read_text()
    (tmp_path / "Wrong.v1.toml").write_text(source)
    with pytest.raises(SchemaError, match="does not match its file name"):
        SchemaRegistry().load_directory(tmp_path)
    (tmp_path / "Wrong.v1.toml").rename(tmp_path / "noversion.toml")
    with pytest.raises(SchemaError, match=r"named <ObjectType>\.v<N>\.toml \(flat\)"):
        SchemaRegistry().load_directory(tmp_path)


def test_conflicting_duplicate_declaration(tmp_path: Path) -> None:
    registry = flat_registry()
    path = tmp_path / "SiStripNoises.v1.toml"
    path.write_text(
        (FLAT_LAYOUTS / "SiStripNoises.v1.toml").read_text().replace("bits = 9", "bits = 10")
    )
    with pytest.raises(SchemaError, match="declared twice"):
        registry.add(load_schema(path))


def test_unreadable_schema_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"missing\.toml"):
        load_schema(tmp_path / "missing.toml")
    bad = tmp_path / "Bad.v1.toml"
    bad.write_text("object_type = ")
    with pytest.raises(SchemaError, match=r"Bad\.v1\.toml"):
        load_schema(bad)
