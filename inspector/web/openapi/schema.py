"""Building blocks of the OpenAPI schemas: JSON Schema 2020-12 as plain data.

Every area builds its component schemas from these, so resources, single
documents and paged lists have one shape everywhere; ``closed`` objects
forbid undocumented members, so a response that drifts from its schema
fails the tests that validate every response against the document.

The members of a resource are declared once, as a ``TypedDict`` beside the
serializer that fills it (mypy checks the serializer fills exactly those);
:func:`model_schema` derives the published schema from that declaration.
Constraints and descriptions ride along as ``Annotated[..., Field(...)]``;
the members every area shares (:data:`Since`, :data:`DateTime`,
:data:`TimeTypeName`, ...) are declared here once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Annotated, Any, Final

from pydantic import Field, TypeAdapter

from inspector.conddb.timetypes import TimeType
from inspector.web.jsonapi import PageMeta

__all__ = [
    "INT",
    "STR",
    "DateTime",
    "Hash",
    "Schema",
    "Since",
    "TimeTypeName",
    "array",
    "frame_schemas",
    "listing",
    "model_schema",
    "obj",
    "one_of",
    "ref",
    "resource",
    "single",
    "time_types",
    "units",
]

Schema = dict[str, Any]
STR: Final[Schema] = {"type": "string"}
INT: Final[Schema] = {"type": "integer"}

#: A raw since (or until): an unsigned 64-bit integer.
Since = Annotated[
    int,
    Field(
        ge=0,
        le=2**64 - 1,
        description="The raw 64-bit value. Beyond 2^53 a JavaScript number loses digits: "
        "use the *_text form, or the since in the resource id.",
    ),
]
#: A moment as the API writes it (:func:`inspector.web.jsonapi.iso`).
DateTime = Annotated[
    str,
    Field(
        description="UTC, ISO 8601 with Z; microseconds only when non-zero",
        json_schema_extra={"format": "date-time"},
    ),
]


def one_of(names: Iterable[str]) -> Any:
    """``Annotated`` metadata: the text member is one of ``names`` (an enum's values).

    The member stays a ``str`` for mypy (serializers write ``x.value``);
    only the published schema lists the names.
    """
    return Field(json_schema_extra={"enum": list(names)})


#: The name of a CondDB time type (``TimeType.value``).
TimeTypeName = Annotated[str, one_of(t.value for t in TimeType)]
#: A payload hash: SHA-1, lower-case hex.
Hash = Annotated[str, Field(pattern="^[0-9a-f]{40}$")]

#: Keywords that constrain one JSON type only (or only describe), so a branch
#: holding them can share a ``type`` list with other branches without
#: changing what is valid.
_MERGEABLE: Final = frozenset(
    {
        "type",
        "description",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "pattern",
        "minLength",
        "maxLength",
        "format",
    }
)
_SUBSCHEMA_LISTS: Final = ("anyOf", "oneOf", "allOf", "prefixItems")


def model_schema(model: Any, *, components: Collection[str] = ()) -> Schema:
    """The published schema of ``model`` (a TypedDict or an ``Annotated`` type).

    Pydantic writes the JSON Schema; this brings it to the document's
    conventions: no ``title``, nested TypedDicts inlined (or, when their class
    name is in ``components``, referred to as that component), objects closed
    unless their declaration allows extra members, and ``X | None`` written
    as a ``type`` list where that means the same.
    """
    raw = TypeAdapter(model).json_schema(ref_template="#/$defs/{model}")
    definitions: dict[str, Schema] = raw.pop("$defs", {})
    return _convert(raw, definitions, frozenset(components))


def _convert(node: Schema, definitions: dict[str, Schema], components: frozenset[str]) -> Schema:
    """One schema node (and everything under it) in the document's conventions."""
    target = node.get("$ref", "")
    if target.startswith("#/$defs/"):
        # a nested TypedDict, with what the member adds (a description, say)
        name = target.removeprefix("#/$defs/")
        rest = _convert({k: v for k, v in node.items() if k != "$ref"}, definitions, components)
        if name in components:
            return {**ref(name), **rest}
        return {**_convert(definitions[name], definitions, components), **rest}
    out: Schema = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key == "properties":
            out[key] = {k: _convert(v, definitions, components) for k, v in value.items()}
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [_convert(v, definitions, components) for v in value]
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _convert(value, definitions, components)
        else:
            out[key] = value
    if "properties" in out:
        out.setdefault("required", [])
        out.setdefault("additionalProperties", False)  # closed unless declared open
    if out.get("additionalProperties") is True:
        del out["additionalProperties"]  # the default: said once, by leaving it out
    return _type_list(out)


def _type_list(node: Schema) -> Schema:
    """``anyOf`` of plain typed branches (``int | None``) as one ``type`` list."""
    branches = node.get("anyOf")
    if not branches or not all(
        isinstance(b.get("type"), str) and set(b) <= _MERGEABLE for b in branches
    ):
        return node
    merged: Schema = {}
    for branch in branches:
        for key, value in branch.items():
            if key != "type" and merged.get(key, value) != value:
                return node  # two branches constrain the same keyword differently
            merged[key] = value
    merged["type"] = [b["type"] for b in branches]
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    return {**merged, **rest}


def time_types() -> Schema:
    """The time types of CondDB tags (Run, Lumi, Time, Hash, UserId)."""
    return model_schema(TimeTypeName)


def ref(name: str) -> Schema:
    """A reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(
    properties: dict[str, Any],
    *,
    required: list[str] | None = None,
    closed: bool = True,
    **extra: Any,
) -> Schema:
    """An object schema; ``closed`` forbids undocumented members (catches drift)."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }
    if closed:
        schema["additionalProperties"] = False
    schema.update(extra)
    return schema


def array(items: Schema) -> Schema:
    """An array of ``items``."""
    return {"type": "array", "items": items}


def units(properties: dict[str, Any]) -> Schema:
    """``meta.units``: the unit of each numeric attribute."""
    return obj(properties, description="units of numeric attributes")


def resource(
    type_name: str,
    attributes: Schema,
    *,
    relationships: Sequence[str] = (),
    links: dict[str, Schema] | None = None,
) -> Schema:
    """A resource object schema of ``type_name``."""
    props: dict[str, Any] = {"type": {"const": type_name}, "id": STR, "attributes": attributes}
    required = ["type", "id", "attributes"]
    if relationships:
        props["relationships"] = obj({r: ref("Relationship") for r in relationships})
        required.append("relationships")
    if links:
        props["links"] = obj(links)
        required.append("links")
    return obj(props, required=required)


def single(resource_name: str, meta: Schema | None = None) -> Schema:
    """A document whose primary data is one resource."""
    props = {"data": ref(resource_name), "links": ref("SelfLinks"), "jsonapi": ref("JsonApi")}
    if meta is not None:
        props["meta"] = meta
    return obj(props)


def listing(resource_name: str, meta: Schema | None = None) -> Schema:
    """A paged list of resources (``meta`` defaults to the page counts)."""
    return obj(
        {
            "data": array(ref(resource_name)),
            "links": ref("PageLinks"),
            "meta": meta or ref("PageMeta"),
            "jsonapi": ref("JsonApi"),
        }
    )


def frame_schemas() -> dict[str, Schema]:
    """The JSON:API frame every document shares: links, paging, relationships, errors."""
    nullable_link: Schema = {"type": ["string", "null"]}
    linkage: Schema = {
        "oneOf": [ref("ResourceIdentifier"), array(ref("ResourceIdentifier")), {"type": "null"}]
    }
    return {
        "JsonApi": obj({"version": {"const": "1.1"}}),
        "SelfLinks": obj({"self": STR}, closed=False),
        "PageLinks": obj(
            {"self": STR, "first": STR, "prev": nullable_link, "next": nullable_link, "last": STR}
        ),
        "PageMeta": model_schema(PageMeta),
        "ResourceIdentifier": obj({"type": STR, "id": STR}),
        "Relationship": obj(
            {"links": obj({"related": STR}), "data": linkage, "meta": {"type": "object"}},
            required=[],
            minProperties=1,
        ),
        "Error": obj(
            {
                "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
                "title": STR,
                "detail": STR,
                "source": obj(
                    {"parameter": {"type": "string", "description": "the query parameter at fault"}}
                ),
            },
            required=["status", "title", "detail"],
        ),
        "ErrorDocument": obj(
            {"errors": {**array(ref("Error")), "minItems": 1}, "jsonapi": ref("JsonApi")},
            required=["errors"],
        ),
    }
