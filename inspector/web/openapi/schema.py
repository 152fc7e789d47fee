"""Building blocks of the OpenAPI schemas: JSON Schema 2020-12 as plain data.

Every area builds its component schemas from these, so resources, single
documents and paged lists have one shape everywhere; ``closed`` objects
forbid undocumented members, so a response that drifts from its schema
fails the tests that validate every response against the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from inspector.conddb.timetypes import TimeType

__all__ = [
    "DATE_TIME",
    "INT",
    "NUM_OR_NULL",
    "SINCE",
    "STR",
    "Schema",
    "array",
    "frame_schemas",
    "listing",
    "obj",
    "ref",
    "resource",
    "single",
    "time_types",
    "units",
]

Schema = dict[str, Any]
STR: Final[Schema] = {"type": "string"}
INT: Final[Schema] = {"type": "integer"}
NUM_OR_NULL: Final[Schema] = {"type": ["number", "null"]}
DATE_TIME: Final[Schema] = {
    "type": "string",
    "format": "date-time",
    "description": "UTC, ISO 8601 with Z; microseconds only when non-zero",
}
SINCE: Final[Schema] = {
    "type": "integer",
    "minimum": 0,
    "maximum": 2**64 - 1,
    "description": "The raw 64-bit value. Beyond 2^53 a JavaScript number loses digits: "
    "use the *_text form, or the since in the resource id.",
}


def time_types() -> Schema:
    """The time types of CondDB tags (Run, Lumi, Time, Hash, UserId)."""
    return {"enum": [t.value for t in TimeType]}


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
    count: Schema = {"type": "integer", "minimum": 1}
    return {
        "JsonApi": obj({"version": {"const": "1.1"}}),
        "SelfLinks": obj({"self": STR}, closed=False),
        "PageLinks": obj(
            {"self": STR, "first": STR, "prev": nullable_link, "next": nullable_link, "last": STR}
        ),
        "PageMeta": obj(
            {
                "total": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "items in the whole list",
                },
                "page": count,
                "page_size": count,
                "pages": count,
            },
            closed=False,
        ),
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
