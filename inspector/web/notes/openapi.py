"""The annotation schemas, the operations of ``/api/v1/annotations`` and who may write."""

from __future__ import annotations

from typing import Any, Final

from inspector.web.jsonapi import MEDIA_TYPE
from inspector.web.notes.models import TARGETS, NewNoteAttributes, NoteAttributes
from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import error_responses, paging, responses
from inspector.web.openapi.schema import (
    STR,
    Schema,
    listing,
    model_schema,
    obj,
    ref,
    resource,
    single,
)

__all__ = [
    "ADD_ANNOTATION",
    "ANNOTATION_FILTERS",
    "LIST_ANNOTATIONS",
    "schemas",
    "security_schemes",
]


def schemas() -> dict[str, Schema]:
    """``Annotation``, its documents and the document that adds one."""
    attributes = model_schema(NoteAttributes)
    links = {"tag": STR, "html": STR}
    new = obj(
        {
            "data": obj(
                {"type": {"const": "annotations"}, "attributes": model_schema(NewNoteAttributes)}
            )
        }
    )
    return {
        "Annotation": resource("annotations", attributes, links=links),
        "AnnotationDocument": single("Annotation"),
        "AnnotationListDocument": listing("Annotation"),
        "NewAnnotationDocument": new,
    }


def security_schemes() -> dict[str, Any]:
    """How writers identify themselves (reading needs nothing)."""
    return {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "a per-user API token from the server's [auth.tokens]",
        },
        "proxy": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Remote-User",
            "description": "set by a trusted single-sign-on proxy only (the header name is "
            "configurable; from other addresses it is ignored)",
        },
    }


_SINCE_TEXT: Final[Schema] = {"type": "string"}
LIST_ANNOTATIONS: Final = Operation(
    "Notes on tags, IOVs and plots, newest first",
    "annotations",
    [
        Param("filter[db]", description="database alias"),
        Param("filter[tag]", description="tag name"),
        Param("filter[target]", {"enum": list(TARGETS)}, "what the notes are on"),
        Param(
            "filter[since_min]",
            dict(_SINCE_TEXT),
            "IOV notes from this since (raw integer; other forms with filter[tag])",
        ),
        Param("filter[since_max]", dict(_SINCE_TEXT), "IOV notes up to this since, inclusive"),
        *paging("annotations"),
    ],
    responses("AnnotationListDocument", 400, 404, 503),
)
#: The filters of the list (kept in its page links).
ANNOTATION_FILTERS: Final = tuple(
    p.name for p in LIST_ANNOTATIONS.parameters if p.name.startswith("filter[")
)
_CREATED: Final = {
    "description": "Created: the stored note, author set to the signed-in user",
    "headers": {"Location": {"description": "the tag's notes", "schema": STR}},
    "content": {MEDIA_TYPE: {"schema": ref("AnnotationDocument")}},
}
ADD_ANNOTATION: Final = Operation(
    "Add a note (needs a bearer token or single sign-on)",
    "annotations",
    [],
    {"201": _CREATED, **error_responses(400, 401, 403, 404, 415, 503)},
    extra={
        "security": [{"bearer": []}, {"proxy": []}],
        "requestBody": {
            "required": True,
            "content": {MEDIA_TYPE: {"schema": ref("NewAnnotationDocument")}},
        },
    },
)
