"""Small archive layouts that reach what no shipped CMSSW class does (yet).

Every member type of the layout language, classes holding themselves through
containers, class-version branches, empty classes and bases, and a vector
nested fifty deep.  The round-trip tests and the fuzz suite run them beside
every layout discovered in the registry (``strategies.archive_layouts``).
"""

from __future__ import annotations

from typing import Final

from inspector.payload import ArchiveLayout, SchemaRegistry

__all__ = ["DEEP", "EDGE_DOCUMENTS", "edge_archive_layouts"]

#: How deep ``Edge.Deep`` nests its vectors.
DEEP: Final = 50

EDGE_DOCUMENTS: Final = {
    "Edge.Everything": """
encoding = "cmssw-archive"
object_type = "Edge::Everything"

[typedefs]
"Edge::Id" = "uint32_t"
"Edge::Ids" = "std::vector<Edge::Id>"

[enums."Edge::Kind"]
type = "short"
values = { Unknown = -1, Fake = 0, Real = 7 }

[classes."Edge::Point"]
members = [{ name = "x", type = "float" }, { name = "y", type = "float" }]

[classes."Edge::Named"]
members = [{ name = "name", type = "std::string" }, { name = "value", type = "double" }]

[classes."Edge::Base"]
members = [{ name = "base_id", type = "Edge::Id" }]

[classes."Edge::Everything"]
bases = ["Edge::Base"]
members = [
  { name = "b", type = "bool" },
  { name = "c", type = "char" },
  { name = "uc", type = "unsigned char" },
  { name = "s", type = "short" },
  { name = "us", type = "unsigned short" },
  { name = "i", type = "int" },
  { name = "ui", type = "unsigned int" },
  { name = "l", type = "long" },
  { name = "ul", type = "unsigned long long" },
  { name = "f", type = "float" },
  { name = "d", type = "double" },
  { name = "text", type = "std::string" },
  { name = "kind", type = "Edge::Kind" },
  { name = "ids", type = "Edge::Ids" },
  { name = "flags", type = "std::vector<bool>" },
  { name = "doubles", type = "std::vector<double>" },
  { name = "bytes", type = "std::vector<signed char>" },
  { name = "kinds", type = "std::vector<Edge::Kind>" },
  { name = "int_set", type = "std::set<int>" },
  { name = "names", type = "std::vector<std::string>" },
  { name = "name_set", type = "std::set<std::string>" },
  { name = "points", type = "std::vector<Edge::Point>" },
  { name = "more_points", type = "std::vector<Edge::Point>" },
  { name = "named", type = "std::vector<Edge::Named>" },
  { name = "by_id", type = "std::map<int, std::string>" },
  { name = "by_name", type = "std::map<std::string, Edge::Point>" },
  { name = "by_pair", type = "std::map<std::pair<short, std::string>, std::vector<float>>" },
  { name = "pair", type = "std::pair<int, double>" },
  { name = "pairs", type = "std::vector<std::pair<unsigned short, std::string>>" },
  { name = "nested", type = "std::vector<std::vector<float>>" },
  { name = "triples", type = "std::vector<float[3]>" },
  { name = "three", type = "int[3]" },
  { name = "grid", type = "double[2][3]" },
  { name = "corners", type = "Edge::Point[2]" },
  { name = "named_grid", type = "Edge::Named[2][2]" },
  { name = "where", type = "Edge::Point" },
]
""",
    "Edge.Tree": """
encoding = "cmssw-archive"
object_type = "Edge::Tree"

[classes."Edge::Tree"]
members = [
  { name = "label", type = "std::string" },
  { name = "children", type = "std::vector<Edge::Tree>" },
  { name = "by_id", type = "std::map<unsigned int, Edge::Tree>" },
]
""",
    "Edge.Versions": """
encoding = "cmssw-archive"
object_type = "Edge::Versioned"

[classes."Edge::Old"]
versions = [3]
members = [{ name = "legacy", type = "int" }]

[classes."Edge::Versioned"]
bases = ["Edge::Old"]
versions = [0, 1, 2]
members = [
  { name = "always", type = "int" },
  { name = "until_one", type = "float", max_version = 1 },
  { name = "since_one", type = "std::string", min_version = 1 },
  { name = "only_one", type = "double", min_version = 1, max_version = 1 },
]
""",
    "Edge.Empty": """
encoding = "cmssw-archive"
object_type = "Edge::HoldsEmpty"

[classes."Edge::Empty"]
members = []

[classes."Edge::AlsoEmpty"]
bases = ["Edge::Empty"]
members = []

[classes."Edge::HoldsEmpty"]
bases = ["Edge::AlsoEmpty"]
members = [
  { name = "items", type = "std::vector<Edge::Empty>" },
  { name = "pairs", type = "std::vector<std::pair<Edge::Empty, int>>" },
  { name = "n", type = "int" },
]
""",
    "Edge.Flat": """
encoding = "cmssw-archive"
object_type = "Edge::Flat"

[enums."Edge::Side"]
type = "unsigned char"

[classes."Edge::Inner"]
members = [{ name = "on", type = "bool" }, { name = "side", type = "Edge::Side" }]

[classes."Edge::Cell"]
members = [
  { name = "id", type = "uint32_t" },
  { name = "inner", type = "Edge::Inner" },
  { name = "cov", type = "double[2][2]" },
  { name = "codes", type = "short[3]" },
]

[classes."Edge::Flat"]
members = [
  { name = "cells", type = "std::vector<Edge::Cell>" },
  { name = "more", type = "std::vector<Edge::Cell>" },
  { name = "fixed", type = "Edge::Cell[2]" },
  { name = "cubes", type = "std::vector<unsigned char[2][2]>" },
]
""",
    "Edge.Deep": f"""
encoding = "cmssw-archive"
object_type = "Edge::Deep"

[classes."Edge::Deep"]
members = [{{ name = "v", type = "{"std::vector<" * DEEP}int{">" * DEEP}" }}]
""",
}


def edge_archive_layouts() -> list[ArchiveLayout]:
    """The layouts above, parsed."""
    registry = SchemaRegistry()
    out = []
    for name, text in EDGE_DOCUMENTS.items():
        layout = registry.add_document(text, source=name)
        assert isinstance(layout, ArchiveLayout)
        out.append(layout)
    return out
