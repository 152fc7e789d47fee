"""C++ type spellings of archive layouts: parsed, canonicalised, and refused with clear messages."""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pytest

from inspector.errors import SchemaError
from inspector.payload import decode, encode, parse_archive_layout
from inspector.payload.archive.types import (
    MAX_NESTING,
    PRIMITIVES,
    ArrayType,
    ClassType,
    EnumType,
    MapType,
    Named,
    PairType,
    Primitive,
    SeqType,
    StringType,
    has_header,
    nesting,
    parse_type,
)

#: every accepted spelling → (canonical spelling, numpy type code); LP64: long is 8 bytes
SPELLINGS = {
    "bool": ("bool", "?"),
    "char": ("char", "b"),
    "signed char": ("char", "b"),
    "int8_t": ("char", "b"),
    "std::int8_t": ("char", "b"),
    "unsigned char": ("unsigned char", "B"),
    "uint8_t": ("unsigned char", "B"),
    "std::uint8_t": ("unsigned char", "B"),
    "short": ("short", "h"),
    "short int": ("short", "h"),
    "signed short": ("short", "h"),
    "int16_t": ("short", "h"),
    "std::int16_t": ("short", "h"),
    "unsigned short": ("unsigned short", "H"),
    "unsigned short int": ("unsigned short", "H"),
    "uint16_t": ("unsigned short", "H"),
    "std::uint16_t": ("unsigned short", "H"),
    "int": ("int", "i"),
    "signed int": ("int", "i"),
    "signed": ("int", "i"),
    "int32_t": ("int", "i"),
    "std::int32_t": ("int", "i"),
    "unsigned int": ("unsigned int", "I"),
    "unsigned": ("unsigned int", "I"),
    "uint32_t": ("unsigned int", "I"),
    "std::uint32_t": ("unsigned int", "I"),
    "long": ("long", "q"),
    "long int": ("long", "q"),
    "signed long": ("long", "q"),
    "long long": ("long", "q"),
    "long long int": ("long", "q"),
    "signed long long": ("long", "q"),
    "int64_t": ("long", "q"),
    "std::int64_t": ("long", "q"),
    "unsigned long": ("unsigned long", "Q"),
    "unsigned long int": ("unsigned long", "Q"),
    "unsigned long long": ("unsigned long", "Q"),
    "unsigned long long int": ("unsigned long", "Q"),
    "uint64_t": ("unsigned long", "Q"),
    "std::uint64_t": ("unsigned long", "Q"),
    "size_t": ("unsigned long", "Q"),
    "std::size_t": ("unsigned long", "Q"),
    "float": ("float", "f"),
    "double": ("double", "d"),
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_every_primitive_spelling(spelling: str) -> None:
    canonical, code = SPELLINGS[spelling]
    node = parse_type(spelling)
    assert node == Primitive(canonical, code)
    assert node.spelling == canonical
    assert node.dtype == np.dtype(code)
    # extra blanks change nothing
    assert parse_type(f"  {spelling.replace(' ', '   ')} ") == node


def test_the_table_above_is_every_spelling_the_parser_knows() -> None:
    assert set(PRIMITIVES) == set(SPELLINGS)


def test_widths_are_those_of_linux_lp64() -> None:
    widths = {s: PRIMITIVES[s].dtype.itemsize for s in ("char", "short", "int", "long", "size_t")}
    assert widths == {"char": 1, "short": 2, "int": 4, "long": 8, "size_t": 8}
    assert PRIMITIVES["char"].dtype.kind == "i"  # char is signed


def test_std_string() -> None:
    assert parse_type("std::string") == StringType()
    assert parse_type("std::string").spelling == "std::string"


@pytest.mark.parametrize(
    ("text", "node", "spelling"),
    [
        ("std::vector<float>", SeqType("vector", PRIMITIVES["float"]), "std::vector<float>"),
        ("std::set<std::string>", SeqType("set", StringType()), "std::set<std::string>"),
        (
            "std::map<unsigned int, double>",
            MapType(PRIMITIVES["unsigned int"], PRIMITIVES["double"]),
            "std::map<unsigned int,double>",
        ),
        (
            "std::pair<int, std::string>",
            PairType(PRIMITIVES["int"], StringType()),
            "std::pair<int,std::string>",
        ),
        ("Foo", Named("Foo"), "Foo"),
        ("ns::Foo::Bar", Named("ns::Foo::Bar"), "ns::Foo::Bar"),
        ("Container< int , float >", Named("Container<int,float>"), "Container<int,float>"),
    ],
)
def test_std_containers_and_names(text: str, node: object, spelling: str) -> None:
    parsed = parse_type(text)
    assert parsed == node
    assert parsed.spelling == spelling


def test_nested_templates_close_with_double_angle_brackets() -> None:
    node = parse_type("std::vector<std::map<std::string,std::vector<std::pair<int,float>>>>")
    pair = PairType(PRIMITIVES["int"], PRIMITIVES["float"])
    assert node == SeqType("vector", MapType(StringType(), SeqType("vector", pair)))
    assert node.spelling == "std::vector<std::map<std::string,std::vector<std::pair<int,float>>>>"


def test_a_map_element_is_a_pair_with_a_const_key() -> None:
    node = parse_type("std::map<int, float>")
    assert isinstance(node, MapType)
    assert node.item == PairType(PRIMITIVES["int"], PRIMITIVES["float"], const_first=True)
    assert node.item.spelling == "std::pair<const int,float>"


def test_c_arrays_nest_outermost_first() -> None:
    node = parse_type("double[7][5]")
    assert node == ArrayType(ArrayType(PRIMITIVES["double"], 5), 7)
    assert node.spelling == "double[7][5]"
    three = parse_type("unsigned short[2][3][4]")
    assert isinstance(three, ArrayType) and three.length == 2
    assert three.spelling == "unsigned short[2][3][4]"
    assert parse_type("std::vector<float[3]>") == SeqType(
        "vector", ArrayType(PRIMITIVES["float"], 3)
    )
    assert parse_type("std::vector<float>[2]") == ArrayType(
        SeqType("vector", PRIMITIVES["float"]), 2
    )
    assert parse_type("Foo[4]") == ArrayType(Named("Foo"), 4)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("std::vector<uint32_t>", "std::vector<unsigned int>"),
        ("std::vector<std::uint32_t>", "std::vector<unsigned>"),
        ("std::map<size_t,int32_t>", "std::map<unsigned long long, int>"),
        ("std::pair<short int, signed char>", "std::pair<int16_t,char>"),
        ("std::set<int64_t>", "std::set<long>"),
        ("std::vector< std::vector< float > >", "std::vector<std::vector<float>>"),
        ("uint8_t[3][2]", "unsigned char [3] [2]"),
    ],
)
def test_canonical_spellings_name_one_class(a: str, b: str) -> None:
    assert parse_type(a) == parse_type(b)
    assert parse_type(a).spelling == parse_type(b).spelling


def test_has_header_rules() -> None:
    header = [
        "std::vector<std::string>",
        "std::vector<Foo>",
        "std::vector<std::pair<int,int>>",
        "std::vector<std::vector<int>>",
        "std::vector<int[3]>",
        "std::set<int>",
        "std::set<std::string>",
        "std::map<int,int>",
        "std::pair<int,int>",
    ]
    none = [
        "int",
        "bool",
        "double",
        "std::string",
        "std::vector<int>",
        "std::vector<bool>",
        "std::vector<double>",
        "std::vector<unsigned char>",
        "int[3]",
        "Foo[3]",
        "std::vector<int>[2]",
    ]
    for text in header:
        assert has_header(parse_type(text)), text
    for text in none:
        assert not has_header(parse_type(text)), text
    # resolved names: a class has one, an enum is its underlying integer
    assert has_header(ClassType("Foo"))
    enum = EnumType("E", PRIMITIVES["int"])
    assert not has_header(enum)
    # a vector of enums is a class (boost's collection traits cover numbers only)
    assert has_header(SeqType("vector", enum))


def test_nesting_counts_container_levels() -> None:
    assert nesting(parse_type("int")) == 0
    assert nesting(parse_type("Foo")) == 0
    assert nesting(parse_type("std::vector<int>")) == 1
    assert nesting(parse_type("double[7][7]")) == 2
    assert nesting(parse_type("std::pair<int, std::vector<int>>")) == 2
    assert nesting(parse_type("std::map<int, int>")) == 2  # map, then its pairs


def test_nesting_up_to_the_limit_parses() -> None:
    text = "std::vector<" * MAX_NESTING + "int" + ">" * MAX_NESTING
    assert nesting(parse_type(text)) == MAX_NESTING
    assert nesting(parse_type("int" + "[1]" * MAX_NESTING)) == MAX_NESTING


@pytest.mark.parametrize(
    "text",
    [
        "std::vector<" * (MAX_NESTING + 1) + "int" + ">" * (MAX_NESTING + 1),
        "std::vector<" * 2000 + "int" + ">" * 2000,  # a RecursionError without the limit
        "int" + "[1]" * (MAX_NESTING + 1),
        "int" + "[1]" * 5000,
        "std::vector<" * 40 + "std::map<int," * 20 + "int" + ">" * 60,
    ],
)
def test_deeper_nesting_is_a_schema_error(text: str) -> None:
    with pytest.raises(SchemaError, match=f"nests deeper than {MAX_NESTING} levels"):
        parse_type(text, where="deep.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "type '': ends early"),
        ("   ", "type '   ': ends early"),
        ("int[", "type 'int[': ends early"),
        ("int[3", "type 'int[3': ends early, expected ']'"),
        ("std::vector<int", "type 'std::vector<int': ends early, expected '>'"),
        ("int[0]", "at column 5: an array size must be a positive integer"),
        ("int[x]", "at column 5: an array size must be a positive integer"),
        ("int[2][]", "at column 8: an array size must be a positive integer"),
        ("int[-1]", "at column 5: unexpected character '-'"),
        ("int[1.5]", "at column 6: unexpected character '.'"),
        ("int $", "at column 5: unexpected character '$'"),
        ("int*", "at column 4: unexpected character '*'"),
        ("int&", "at column 4: unexpected character '&'"),
        ("std::vector<>", "at column 13: expected a type name, found '>'"),
        ("3", "at column 1: expected a type name, found '3'"),
        ("<int>", "at column 1: expected a type name, found '<'"),
        ("std::vector<int, float>", "at column 1: std::vector takes 1 type argument(s)"),
        ("std::set<int,int>", "at column 1: std::set takes 1 type argument(s)"),
        ("std::map<int>", "at column 1: std::map takes 2 type argument(s)"),
        ("std::pair<int>", "at column 1: std::pair takes 2 type argument(s)"),
        ("std::vector", "at column 1: std::vector takes 1 type argument(s)"),
        ("std::list<int>", "at column 1: std::list is not supported"),
        ("std::unordered_map<int,int>", "at column 1: std::unordered_map is not supported"),
        ("std::array<int, 3>", "at column 1: std::array is not supported"),
        ("const int", "at column 1: 'const' does not change what is serialised"),
        ("std::pair<const int, int>", "at column 11: 'const' does not change what is serialised"),
        ("unsigned float", "at column 10: unexpected 'float'"),
        ("long double", "at column 6: unexpected 'double'"),
        ("short long", "at column 1: 'short long' is not a C++ number type"),
        ("unsigned signed", "at column 1: 'unsigned signed' is not a C++ number type"),
        ("int int", "at column 1: 'int int' is not a C++ number type"),
        ("int>", "at column 4: unexpected '>'"),
        ("int,", "at column 4: unexpected ','"),
        ("std::vector<int>>", "at column 17: unexpected '>'"),
        ("std::string<int>", "at column 12: unexpected '<'"),
        ("int float", "at column 5: unexpected 'float'"),
    ],
)
def test_parse_errors_name_the_place_the_type_and_the_column(text: str, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        parse_type(text, where="f.toml: class 'X' member 'm'")
    text_of = str(info.value)
    assert text_of.startswith(f"f.toml: class 'X' member 'm': type {text!r}"), text_of
    assert message in text_of, text_of


def test_a_composite_spelling_is_computed_once_per_node() -> None:
    """The reader asks for it at each element's header: recomputing it would walk
    the subtree every time (quadratic in the nesting)."""
    node = parse_type(
        "std::vector<" * 40 + "std::map<int,std::pair<float,double[2][3]>>" + ">" * 40
    )
    first = node.spelling
    assert node.spelling is first
    assert first.count("std::vector<") == 40 and first.endswith("double[2][3]>>" + ">" * 40)
    assert node == parse_type(first)  # equality still by the fields, cache aside
    assert hash(node) == hash(parse_type(first))


def _python_calls(action: Callable[[], object]) -> int:
    """Python function calls made by ``action`` (deterministic, unlike its time)."""
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("depth", [8, 48])
def test_reading_a_deep_type_costs_the_same_per_level_as_a_shallow_one(depth: int) -> None:
    """A vector nested ``depth`` deep, read again and again: no per-element cost in its depth.

    The reader looks a container's class header up by its type's spelling at
    every element; rebuilding that spelling from the nested types each time
    cost O(depth) calls per level, O(depth²) per element: a hostile 37 kB
    blob of ``std::vector`` nested 50 deep took 1.3 s to read.
    """
    spelling = "std::vector<" * depth + "int" + ">" * depth
    doc = {
        "encoding": "cmssw-archive",
        "object_type": "R",
        "classes": {"R": {"members": [{"name": "v", "type": spelling}]}},
    }
    layout = parse_archive_layout(doc, source="test")
    chain: object = np.zeros(0, np.int32)
    for _ in range(depth - 2):
        chain = [chain]
    elements = 200
    blob = encode(layout, {"v": [chain] * elements})
    levels = elements * (depth - 1)  # containers read below the outer vector
    per_level = _python_calls(lambda: decode(blob, layout)) / levels
    assert per_level < 12, f"{per_level:.1f} Python calls per nesting level"
