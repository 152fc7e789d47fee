"""Assembling the document: the shared components, then each area's paths and schemas."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from inspector.web.jsonapi import MEDIA_TYPE
from inspector.web.openapi.operation import DB_PARAMETER, ERRORS
from inspector.web.openapi.schema import STR, frame_schemas, ref

if TYPE_CHECKING:
    from inspector.web.routing import Area

__all__ = ["openapi_document"]

_INFO_SUMMARY = (
    "Read-only JSON:API over CMS conditions databases: tags, IOVs, "
    "payloads, drawers, plots, global tags and runs"
)


def openapi_document(version: str, areas: Sequence[Area] | None = None) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document of ``areas`` (default: the app's ``AREAS``).

    A fresh dict each call: callers may change it.
    """
    if areas is None:  # here, not at import: the areas' routes import this package
        from inspector.web.app import AREAS

        areas = AREAS
    paths: dict[str, dict[str, Any]] = {}
    schemas = frame_schemas()
    security: dict[str, Any] = {}
    for area in areas:
        schemas.update(area.schemas())
        security.update(area.security())
        for route in area.all_routes():
            if route.operation is not None:
                item = paths.setdefault(route.template, {})
                for method in route.methods:
                    item[method.lower()] = route.operation.openapi(route.view.__name__)
    document = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": _info(version),
        "paths": paths,
        "components": {**_components(schemas), "securitySchemes": security},
    }
    return copy.deepcopy(document)


def _info(version: str) -> dict[str, str]:
    return {
        "title": "Payload Inspector API",
        "version": version,
        "summary": _INFO_SUMMARY,
        "description": "Every answer is a JSON:API 1.1 document "
        f"({MEDIA_TYPE}); lists are paged and state their total in meta; errors "
        "carry status, title, detail and, for a bad parameter, source.parameter. "
        "Every GET answers If-None-Match with 304 and is gzipped on request. "
        "See docs/api.md.",
    }


def _components(schemas: dict[str, Any]) -> dict[str, Any]:
    error_content = {MEDIA_TYPE: {"schema": ref("ErrorDocument")}}
    responses: dict[str, Any] = {
        name: {"description": description, "content": error_content}
        for name, description in ERRORS.values()
    }
    responses["NotModified"] = {"description": "Not modified: the If-None-Match ETag matches"}
    return {
        "schemas": schemas,
        "responses": responses,
        "parameters": {"db": DB_PARAMETER.openapi()},
        "headers": {
            "ETag": {"description": "fingerprint of the body, for If-None-Match", "schema": STR},
            "CacheControl": {
                "description": "public, max-age=31536000, immutable when "
                "pinned to a past snapshot; otherwise public, max-age=30",
                "schema": STR,
            },
        },
    }
