"""What a route of the JSON API declares: its parameters and responses.

A route's :class:`Operation` is both its OpenAPI operation and the list of
query arguments the parser lets it read (:mod:`inspector.web.args`): a name
the operation does not declare is a 400, so the published document names
every argument a route reads.  Page-size limits come from
:data:`~inspector.web.jsonapi.LIMITS`, which the paging parser enforces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from inspector.web.jsonapi import LIMITS, MEDIA_TYPE, PAGE_NUMBER, PAGE_SIZE
from inspector.web.openapi.schema import STR, Schema, ref

__all__ = [
    "DB",
    "DB_PARAMETER",
    "ERRORS",
    "Operation",
    "Param",
    "error_responses",
    "paging",
    "responses",
    "since_param",
    "snapshot_param",
]


@dataclass(frozen=True)
class Param:
    """One parameter of an operation, as it is documented and as the parser admits it."""

    name: str
    schema: Schema = field(default_factory=lambda: dict(STR))
    description: str = ""
    where: Literal["query", "path"] = "query"
    required: bool = False
    #: Documented once under ``components/parameters`` and referred to.
    shared: bool = False
    #: Stands for any other name (drawer parameters): ``style: form``, ``explode``.
    free_form: bool = False

    def openapi(self) -> dict[str, Any]:
        """The parameter object (or the reference to the shared one)."""
        if self.shared:
            return {"$ref": f"#/components/parameters/{self.name}"}
        if self.free_form:
            return {
                "name": self.name,
                "in": self.where,
                "style": "form",
                "explode": True,
                "description": self.description,
                "schema": self.schema,
            }
        return {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "description": self.description,
            "schema": self.schema,
        }


@dataclass(frozen=True)
class Operation:
    """An operation of the API: summary, tag, parameters, responses (and any other member)."""

    summary: str
    tag: str
    parameters: Sequence[Param]
    responses: Mapping[str, Any]
    #: Further members of the operation object (``security``, ``requestBody``).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def query_names(self) -> tuple[str, ...] | None:
        """The query arguments the route may read; ``None``: any (a free-form parameter)."""
        query = [p for p in self.parameters if p.where == "query"]
        if any(p.free_form for p in query):
            return None
        return tuple(p.name for p in query)

    def openapi(self, operation_id: str) -> dict[str, Any]:
        """The operation object, named ``operation_id`` (the view's name)."""
        body = {k: v for k, v in self.extra.items() if k == "requestBody"}
        return {
            "operationId": operation_id,
            "summary": self.summary,
            "tags": [self.tag],
            **{k: v for k, v in self.extra.items() if k != "requestBody"},
            "parameters": [p.openapi() for p in self.parameters],
            **body,
            "responses": dict(self.responses),
        }


DB_PARAMETER: Final = Param(
    "db", description="database alias (default: the configured default database)"
)
#: The ``db`` argument every route over a database takes (documented once).
DB: Final = replace(DB_PARAMETER, shared=True)


def paging(listing: str) -> list[Param]:
    """``page[number]`` and ``page[size]`` with the limits of ``listing``."""
    default, maximum = LIMITS[listing]
    return [
        Param(
            PAGE_NUMBER,
            {"type": "integer", "minimum": 1, "default": 1},
            "page to return (1-based); past the last page is a 404",
        ),
        Param(
            PAGE_SIZE,
            {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
            "items per page",
        ),
    ]


def since_param(name: str, what: str) -> Param:
    """A since-like argument, read with the tag's time type."""
    return Param(
        name,
        dict(STR),
        f"{what}: run, run:lumisection, ISO date-time or raw integer, "
        "read with the tag's time type",
    )


def snapshot_param() -> Param:
    """``snapshot``: ignore rows inserted later."""
    return Param(
        "snapshot",
        {"type": "string", "examples": ["2024-06-01T12:00:00Z"]},
        "ignore rows inserted after this UTC time; in the past, the answer is "
        "final and cached for a year",
    )


#: Error status → (component response name, description).
ERRORS: Final = {
    400: ("BadRequest", "a query parameter is wrong (named in source.parameter)"),
    404: (
        "NotFound",
        "unknown database alias, tag, payload, drawer, global tag, IOV, or a page past the last",
    ),
    422: ("Unprocessable", "the payload cannot be decoded"),
    500: ("DrawerFailed", "the drawer failed (the detail names it and the cause)"),
    503: ("Unavailable", "the database cannot be reached (Retry-After is set)"),
    401: ("Unauthorized", "writing needs an identified user (WWW-Authenticate is set)"),
    403: ("Forbidden", "a cross-site request from a signed-in browser"),
    415: ("UnsupportedMediaType", "the body is not application/vnd.api+json"),
}


def error_responses(*statuses: int) -> dict[str, Any]:
    """References to the shared error responses, by status."""
    return {
        str(status): {"$ref": f"#/components/responses/{ERRORS[status][0]}"} for status in statuses
    }


def responses(document: str, *errors: int, media: str = MEDIA_TYPE) -> dict[str, Any]:
    """200 with ``document`` (ETag, Cache-Control), 304, and the given error statuses."""
    return {
        "200": {
            "description": "OK",
            "headers": {
                "ETag": {"$ref": "#/components/headers/ETag"},
                "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
            },
            "content": {media: {"schema": ref(document)}},
        },
        "304": {"$ref": "#/components/responses/NotModified"},
        **error_responses(*sorted(errors)),
    }
