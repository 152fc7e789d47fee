"""Archive layouts: what parses, what it resolves to, and every error naming file, class, member."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inspector.errors import SchemaError
from inspector.payload import (
    ArchiveLayout,
    SchemaRegistry,
    load_archive_layout,
    parse_archive_layout,
)
from inspector.payload.archive.types import (
    MAX_NESTING,
    PRIMITIVES,
    ArrayType,
    ClassType,
    EnumType,
    MapType,
    PairType,
    SeqType,
    StringType,
)

SOURCE = "my/Layout.archive.toml"


def doc(classes: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A layout document whose root class is ``R``."""
    return {"encoding": "cmssw-archive", "object_type": "R", "classes": classes, **top}


def member(name: str, ctype: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": ctype, **extra}


def parse(classes: dict[str, Any], **top: Any) -> ArchiveLayout:
    return parse_archive_layout(doc(classes, **top), source=SOURCE)


def error(classes: dict[str, Any], **top: Any) -> str:
    with pytest.raises(SchemaError) as info:
        parse(classes, **top)
    return str(info.value)


INT_R = {"R": {"members": [member("a", "int")]}}


# -- what parses --------------------------------------------------------------


def test_a_minimal_layout() -> None:
    layout = parse(INT_R, description="d", source="Foo.h, cms-sw/cmssw@abc")
    assert layout.object_type == "R" and layout.root == "R"
    assert layout.key == ("R", 0) and layout.version == 0
    assert layout.description == "d" and layout.source == "Foo.h, cms-sw/cmssw@abc"
    assert layout.origin == SOURCE
    (only,) = layout.cls("R").members
    assert only.name == "a" and only.type == PRIMITIVES["int"]
    assert layout.cls("R").versions == (0,) and layout.cls("R").bases == ()


def test_root_defaults_to_the_object_type_and_may_differ() -> None:
    layout = parse_archive_layout(
        {
            "encoding": "cmssw-archive",
            "object_type": "EcalCondObjectContainer<EcalPedestal>",
            "root": "Container< Ped >",
            "classes": {
                "Ped": {"members": [member("mean", "float")]},
                "Container<Ped>": {"members": [member("items", "std::vector<Ped>")]},
            },
        }
    )
    assert layout.object_type == "EcalCondObjectContainer<EcalPedestal>"
    assert layout.root == "Container<Ped>"


def test_member_metadata_is_kept() -> None:
    layout = parse(
        {
            "R": {
                "description": "the root",
                "versions": [0, 1, 2],
                "members": [
                    member("x", "double", unit="cm", description="position"),
                    member("y", "double", min_version=1),
                    member("z", "double", max_version=1),
                    member("w", "double", min_version=1, max_version=1),
                ],
            }
        }
    )
    cdef = layout.cls("R")
    assert cdef.description == "the root" and cdef.versions == (0, 1, 2)
    x, y, z, _ = cdef.members
    assert (x.unit, x.description) == ("cm", "position")
    assert [m.name for m in cdef.members if m.present(0)] == ["x", "z"]
    assert [m.name for m in cdef.members if m.present(1)] == ["x", "y", "z", "w"]
    assert [m.name for m in cdef.members if m.present(2)] == ["x", "y"]
    assert (y.min_version, y.max_version, z.max_version) == (1, None, 1)
    assert [m.name for _, m in layout.members("R", 2)] == ["x", "y"]


def test_typedefs_resolve_through_chains_and_inside_templates() -> None:
    layout = parse(
        {
            "Item": {"members": [member("v", "Value")]},
            "R": {
                "members": [
                    member("items", "Items"),
                    member("table", "std::map<Key, Items>"),
                    member("grid", "Row[2]"),
                ]
            },
        },
        typedefs={
            "Value": "uint32_t",
            "Key": "std::pair<Value, std::string>",
            "Items": "std::vector<Item>",
            "Row": "Value[3]",
        },
    )
    items, table, grid = layout.cls("R").members
    assert layout.cls("Item").members[0].type == PRIMITIVES["unsigned int"]
    assert items.type == SeqType("vector", ClassType("Item"))
    key = PairType(PRIMITIVES["unsigned int"], StringType())
    assert table.type == MapType(key, SeqType("vector", ClassType("Item")))
    assert grid.type == ArrayType(ArrayType(PRIMITIVES["unsigned int"], 3), 2)


def test_enums_resolve_to_their_underlying_integer() -> None:
    layout = parse(
        {"R": {"members": [member("kind", "Beam::Type"), member("kinds", "std::vector<Flag>")]}},
        enums={
            "Beam::Type": {"type": "int", "values": {"Unknown": -1, "Fake": 0}},
            "Flag": {"type": "unsigned char", "description": "a flag"},
        },
    )
    kind, kinds = layout.cls("R").members
    assert kind.type == EnumType("Beam::Type", PRIMITIVES["int"], (("Unknown", -1), ("Fake", 0)))
    assert kinds.type == SeqType("vector", EnumType("Flag", PRIMITIVES["unsigned char"]))
    default = parse(INT_R | {"R": {"members": [member("e", "E")]}}, enums={"E": {}})
    assert default.cls("R").members[0].type == EnumType("E", PRIMITIVES["int"])


def test_bases_come_first_in_declaration_order_recursively() -> None:
    layout = parse(
        {
            "A": {"members": [member("a", "int")]},
            "B": {"bases": ["A"], "members": [member("b", "int")]},
            "C": {"members": [member("c", "int")]},
            "Empty": {"members": []},
            "R": {"bases": ["B", "C", "Empty"], "members": [member("r", "int")]},
        }
    )
    assert [(owner, m.name) for owner, m in layout.members("R")] == [
        ("A", "a"),
        ("B", "b"),
        ("C", "c"),
        ("R", "r"),
    ]
    assert layout.cls("R").bases == ("B", "C", "Empty")


def test_a_class_may_hold_itself_in_a_container() -> None:
    layout = parse(
        {
            "R": {
                "members": [
                    member("children", "std::vector<R>"),
                    member("byname", "std::map<std::string, R>"),
                    member("set", "std::set<int>"),
                ]
            }
        }
    )
    assert layout.cls("R").members[0].type == SeqType("vector", ClassType("R"))


def test_flat_dtypes_of_classes_of_numbers_bools_arrays_and_flat_classes() -> None:
    layout = parse(
        {
            "Point": {"members": [member("x", "float"), member("y", "float")]},
            "Cell": {
                "members": [
                    member("id", "uint32_t"),
                    member("on", "bool"),
                    member("kind", "E"),
                    member("at", "Point"),
                    member("cov", "double[2][3]"),
                ]
            },
            "Derived": {"bases": ["Point"], "members": [member("z", "float")]},
            "Named": {"members": [member("name", "std::string")]},
            "Holder": {"members": [member("points", "std::vector<float>")]},
            "Pairs": {"members": [member("p", "std::pair<int,int>")]},
            "Arrays": {"members": [member("pts", "Point[2]")]},
            "Versioned": {"versions": [0, 1], "members": [member("v", "int", min_version=0)]},
            "Empty": {"members": []},
            "OnlyEmpty": {"bases": ["Empty"], "members": []},
            "R": {"members": [member("cells", "std::vector<Cell>")]},
        },
        enums={"E": {"type": "short"}},
    )
    flat = layout.flat
    assert set(flat) == {"Point", "Cell", "Derived"}
    assert flat["Point"] == np.dtype([("x", "f4"), ("y", "f4")])
    assert flat["Derived"] == np.dtype([("x", "f4"), ("y", "f4"), ("z", "f4")])
    cell = flat["Cell"]
    assert cell.names == ("id", "on", "kind", "at", "cov")
    assert [cell[n] for n in ("id", "on", "kind")] == [np.dtype(c) for c in ("u4", "?", "i2")]
    assert cell["at"] == flat["Point"]
    row = np.zeros(2, cell)
    assert row["cov"].shape == (2, 2, 3) and row["cov"].dtype == np.float64


def test_loading_a_file_and_a_document(tmp_path: Path) -> None:
    path = tmp_path / "R.archive.toml"
    path.write_text(
        'encoding = "cmssw-archive"\nobject_type = "R"\n'
        '[classes.R]\nmembers = [{ name = "a", type = "int" }]\n'
    )
    layout = load_archive_layout(path)
    assert layout.origin == str(path) and layout.cls("R").members[0].name == "a"
    registry = SchemaRegistry()
    assert registry.load_directory(tmp_path) == [layout]
    assert registry.get("R", "dummy") == layout and registry.archives() == [layout]
    again = SchemaRegistry().add_document(path.read_text(), source="text")
    assert isinstance(again, ArchiveLayout) and again.origin == "text"
    assert again.classes == layout.classes


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"missing\.archive\.toml"):
        load_archive_layout(tmp_path / "missing.archive.toml")
    bad = tmp_path / "Bad.archive.toml"
    bad.write_text("encoding = \n")
    with pytest.raises(SchemaError, match=r"Bad\.archive\.toml: .*Invalid value"):
        load_archive_layout(bad)


# -- what does not parse: every message names the file, the class and the member


def top(**keys: Any) -> dict[str, Any]:
    """A document from its top-level keys; ``None`` leaves a key out."""
    base: dict[str, Any] = {"encoding": "cmssw-archive", "object_type": "R", "classes": INT_R}
    return {k: v for k, v in (base | keys).items() if v is not None}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (top(colour=1), "unknown key(s) colour"),
        (top(encoding="flat"), "declares encoding = 'cmssw-archive'"),
        (top(encoding=None), "declares encoding = 'cmssw-archive'"),
        (top(object_type=None), "'object_type' is required"),
        (top(object_type=""), "'object_type' is required"),
        (top(object_type=3), "'object_type' is required"),
        (top(classes=None), "[classes] must declare at least the root class"),
        (top(classes=[]), "[classes] must be a table"),
        (top(enums=1), "[enums] must be a table"),
        (top(typedefs=[]), "[typedefs] must be a table"),
        (top(object_type="S"), "the root class 'S' is not declared under [classes]"),
        (top(root="Q"), "the root class 'Q' is not declared under [classes]"),
        (top(root=1), "'root' must be a class name"),
        (top(root="int"), "'int' is a built-in type, not a class name"),
    ],
)
def test_top_level_errors_name_the_file(document: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError) as info:
        parse_archive_layout(document, source=SOURCE)
    assert str(info.value).startswith(f"{SOURCE}: ")
    assert message in str(info.value)


def R(*members: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Classes: the root ``R`` with these members (and other class keys)."""
    return {"R": {"members": list(members), **extra}}


def cls(*members: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"members": list(members), **extra}


m = member
A_INT = m("a", "int")


@pytest.mark.parametrize(
    ("classes", "keys", "message"),
    [
        # unknown types
        (
            R(m("a", "Foo")),
            {},
            "class 'R' member 'a': type 'Foo' is not declared "
            "(declare it under [classes], [enums] or [typedefs])",
        ),
        (
            R(m("a", "std::vector<std::pair<int, Foo>>")),
            {},
            "class 'R' member 'a': type 'Foo' is not declared",
        ),
        (
            R(m("a", "std::list<int>")),
            {},
            "class 'R' member 'a': type 'std::list<int>' at column 1: std::list is not supported",
        ),
        (R(m("a", "int[")), {}, "class 'R' member 'a': type 'int[': ends early"),
        # typedefs
        (
            R(m("a", "A")),
            {"typedefs": {"A": "B", "B": "std::vector<A>"}},
            "class 'R' member 'a': typedef cycle A -> B -> A",
        ),
        (R(m("a", "A")), {"typedefs": {"A": "A"}}, "class 'R' member 'a': typedef cycle A -> A"),
        (
            R(A_INT),
            {"typedefs": {"A": "std::map<int, B>", "B": "A[2]"}},
            "typedef 'A': typedef cycle A -> B -> A",
        ),
        (R(A_INT), {"typedefs": {"T": "Foo"}}, "typedef 'T': type 'Foo' is not declared"),
        (
            R(m("a", "T")),
            {"typedefs": {"T": "std::vector<"}},
            "class 'R' member 'a' (T): type 'std::vector<': ends early",
        ),
        (R(A_INT), {"typedefs": {"T": 3}}, "typedef 'T' must be a type spelling"),
        (R(A_INT), {"typedefs": {"int": "long"}}, "'int' is a built-in type, not a class name"),
        # names declared twice
        (R(A_INT), {"typedefs": {"R": "int"}}, "'R' is declared twice"),
        (R(A_INT), {"enums": {"R": {}}}, "'R' is declared twice"),
        (R(A_INT), {"enums": {"E": {}}, "typedefs": {"E": "int"}}, "'E' is declared twice"),
        (R(A_INT) | {"C<int>": cls(), "C< int >": cls()}, {}, "'C<int>' is declared twice"),
        # a class containing itself by value
        (R(m("a", "R")), {}, "class 'R' contains itself (R -> R)"),
        (
            R(m("a", "S[2]")) | {"S": cls(m("r", "std::pair<int, R>"))},
            {},
            "class 'R' contains itself (R -> S -> R)",
        ),
        (R(bases=["R"]), {}, "class 'R' contains itself (R -> R)"),
        (R(bases=["S"]) | {"S": cls(bases=["R"])}, {}, "class 'R' contains itself (R -> S -> R)"),
        (R(m("a", "T")), {"typedefs": {"T": "R[3]"}}, "class 'R' contains itself (R -> R)"),
        # duplicate members
        (
            R(A_INT, m("a", "float")),
            {},
            "class 'R': member 'a' (from 'R') is declared twice (bases included)",
        ),
        (
            R(A_INT, bases=["B"]) | {"B": cls(A_INT)},
            {},
            "class 'R': member 'a' (from 'R') is declared twice (bases included)",
        ),
        (
            R(bases=["A", "B"]) | {"A": cls(m("x", "int")), "B": cls(m("x", "int"))},
            {},
            "class 'R': member 'x' (from 'B') is declared twice (bases included)",
        ),
        (R(bases=["B", "B"]) | {"B": cls(A_INT)}, {}, "class 'R': a base class is listed twice"),
        (R(bases=["B"]), {}, "class 'R': base class 'B' is not declared"),
        (R(bases="B") | {"B": cls()}, {}, "class 'R': bases must be a list of class names"),
        # versions
        (R(A_INT, versions=[-1]), {}, "class 'R': versions must list non-negative integers"),
        (R(A_INT, versions=[]), {}, "class 'R': versions must list non-negative integers"),
        (R(A_INT, versions=[True]), {}, "class 'R': versions must list non-negative integers"),
        (R(A_INT, versions=1), {}, "class 'R': versions must list non-negative integers"),
        (R(A_INT, versions=["1"]), {}, "class 'R': versions must list non-negative integers"),
        (R(A_INT, versions=[0, 1, 0]), {}, "class 'R': versions lists a version twice"),
        (
            R(m("a", "int", min_version="1")),
            {},
            "class 'R' member 'a': min_version must be an integer",
        ),
        (
            R(m("a", "int", max_version=1.5)),
            {},
            "class 'R' member 'a': max_version must be an integer",
        ),
        (
            R(m("a", "int", min_version=True)),
            {},
            "class 'R' member 'a': min_version must be an integer",
        ),
        (
            R(m("a", "int", min_version=2), versions=[0, 1]),
            {},
            "class 'R' member 'a': present in none of the class versions [0, 1] "
            "(min_version 2, max_version None)",
        ),
        (
            R(m("a", "int", min_version=1, max_version=2), versions=[0, 3]),
            {},
            "class 'R' member 'a': present in none of the class versions [0, 3] "
            "(min_version 1, max_version 2)",
        ),
        (
            R(m("a", "int", min_version=1, max_version=0), versions=[0, 1]),
            {},
            "class 'R' member 'a': present in none of the class versions [0, 1]",
        ),
        # unknown keys and malformed members
        ({"R": {"member": [A_INT]}}, {}, "class 'R': unknown key(s) member"),
        (R(m("a", "int", units="cm")), {}, "class 'R' member 'a': unknown key(s) units"),
        (R(m("a-b", "int")), {}, "class 'R' member 'a-b': the name must be an identifier"),
        (
            R({"name": "a"}),
            {},
            "class 'R' member 'a': 'type' is required (a C++ type spelling)",
        ),
        (R({"name": "a", "type": 4}), {}, "class 'R' member 'a': 'type' is required"),
        (R("a"), {}, "class 'R': each member is a table with a name and a type"),  # type: ignore[arg-type]
        (R({"type": "int"}), {}, "class 'R': each member is a table with a name and a type"),
        (
            {"R": {"members": {"a": "int"}}},
            {},
            "class 'R': members must be a list of { name, type } tables",
        ),
        ({"R": []}, {}, "class 'R': must be a table"),
        ({"int": cls()}, {}, "'int' is a built-in type, not a class name"),
        # enums
        (
            R(m("a", "E")),
            {"enums": {"E": {"type": "float"}}},
            "enum 'E': the underlying type must be an integer type",
        ),
        (
            R(m("a", "E")),
            {"enums": {"E": {"type": "bool"}}},
            "enum 'E': the underlying type must be an integer type",
        ),
        (
            R(m("a", "E")),
            {"enums": {"E": {"type": "std::string"}}},
            "enum 'E': the underlying type must be an integer type",
        ),
        (
            R(m("a", "E")),
            {"enums": {"E": {"values": {"A": 1.5}}}},
            "enum 'E': values must map names to integers",
        ),
        (
            R(m("a", "E")),
            {"enums": {"E": {"values": {"A": True}}}},
            "enum 'E': values must map names to integers",
        ),
        (
            R(m("a", "E")),
            {"enums": {"E": {"typ": "int"}}},
            "enum 'E': takes type, values and description",
        ),
        (R(m("a", "E")), {"enums": {"E": "int"}}, "enum 'E': takes type, values and description"),
    ],
)
def test_errors_name_file_class_and_member(
    classes: dict[str, Any], keys: dict[str, Any], message: str
) -> None:
    text = error(classes, **keys)
    assert text.startswith(f"{SOURCE}: "), text
    assert message in text, text


def test_nesting_through_typedefs_is_bounded() -> None:
    # each typedef is shallow; expanded, the member nests 70 levels
    typedefs = {f"T{i}": f"std::vector<std::vector<T{i + 1}>>" for i in range(35)} | {"T35": "int"}
    text = error({"R": {"members": [member("a", "T0")]}}, typedefs=typedefs)
    assert f"class 'R' member 'a': type 'T0' nests deeper than {MAX_NESTING} levels" in text


def test_long_typedef_chains_are_refused_not_a_recursion_error() -> None:
    typedefs = {f"T{i}": f"T{i + 1}" for i in range(2000)} | {"T2000": "int"}
    text = error({"R": {"members": [member("a", "T0")]}}, typedefs=typedefs)
    assert f"typedefs refer to typedefs more than {MAX_NESTING} deep" in text


def test_classes_nested_by_value_are_bounded() -> None:
    chain = {f"C{i}": {"members": [member("next", f"C{i + 1}")]} for i in range(2000)}
    chain["C2000"] = {"members": [member("x", "int")]}
    chain["R"] = {"members": [member("c", "C0")]}
    text = error(chain)
    assert f"nests classes (bases and members held by value) more than {MAX_NESTING} deep" in text
    bases = {f"C{i}": {"bases": [f"C{i + 1}"], "members": []} for i in range(2000)}
    bases["C2000"] = {"members": [member("x", "int")]}
    bases["R"] = {"bases": ["C0"], "members": []}
    assert "more than 64 deep" in error(bases)


def test_the_shipped_layouts_parse_under_these_rules() -> None:
    layouts = SchemaRegistry.builtin().archives()
    assert layouts, "payload_schemas/ holds archive layouts"
    for layout in layouts:
        assert layout.root in layout.classes
