"""The OpenAPI 3.1 document of /api/v1, built as plain data.

It is the contract: the page-size limits below are the ones the routes
enforce (:mod:`inspector.web.api` reads them from here), the tests check that
every route is described and nothing else, and every response body the tests
receive is validated against the schema given here for its path and status.
OpenAPI 3.1 schemas are JSON Schema 2020-12, so any validator can use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from inspector.conddb.database import TAG_SORT_KEYS
from inspector.conddb.timetypes import TimeType
from inspector.drawers import KINDS
from inspector.plots import SCHEMA, VERSION
from inspector.request import PlotRequest, request_fields
from inspector.watch import Status
from inspector.web.jsonapi import MEDIA_TYPE, PAGE_NUMBER, PAGE_SIZE

__all__ = ["LIMITS", "MAX_RUN", "openapi_document"]

#: (default, maximum) ``page[size]`` of each list.
LIMITS: Final = {
    "tags": (50, 1000),
    "iovs": (1000, 10_000),
    "drawers": (50, 1000),
    "globaltags": (50, 1000),
    "runs": (50, 1000),
    "tagdiff": (1000, 10_000),
    "globaltagdiff": (100, 1000),
    "annotations": (50, 500),
}
#: The largest run number (CondDB stores runs as unsigned 32-bit numbers).
MAX_RUN: Final = (1 << 32) - 1

_Schema = dict[str, Any]
_STR: Final[_Schema] = {"type": "string"}
_INT: Final[_Schema] = {"type": "integer"}
_NUM_OR_NULL: Final[_Schema] = {"type": ["number", "null"]}
_DATE_TIME: Final[_Schema] = {
    "type": "string",
    "format": "date-time",
    "description": "UTC, ISO 8601 with Z; microseconds only when non-zero",
}
_SINCE: Final[_Schema] = {
    "type": "integer",
    "minimum": 0,
    "maximum": 2**64 - 1,
    "description": "The raw 64-bit value. Beyond 2^53 a JavaScript number loses digits: "
    "use the *_text form, or the since in the resource id.",
}


def _ref(name: str) -> _Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(
    properties: dict[str, Any],
    *,
    required: list[str] | None = None,
    closed: bool = True,
    **extra: Any,
) -> _Schema:
    """An object schema; ``closed`` forbids undocumented members (catches drift)."""
    schema: _Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }
    if closed:
        schema["additionalProperties"] = False
    schema.update(extra)
    return schema


def _array(items: _Schema) -> _Schema:
    return {"type": "array", "items": items}


# -- components: the JSON:API frame -------------------------------------------------------------


def _frame_schemas() -> dict[str, _Schema]:
    link = _STR
    nullable_link: _Schema = {"type": ["string", "null"]}
    identifier = _obj({"type": _STR, "id": _STR})
    linkage: _Schema = {
        "oneOf": [_ref("ResourceIdentifier"), _array(_ref("ResourceIdentifier")), {"type": "null"}]
    }
    return {
        "JsonApi": _obj({"version": {"const": "1.1"}}),
        "SelfLinks": _obj({"self": link}, closed=False),
        "PageLinks": _obj(
            {
                "self": link,
                "first": link,
                "prev": nullable_link,
                "next": nullable_link,
                "last": link,
            }
        ),
        "PageMeta": _obj(
            {
                "total": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "items in the whole list",
                },
                "page": {"type": "integer", "minimum": 1},
                "page_size": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
            },
            closed=False,
        ),
        "ResourceIdentifier": identifier,
        "Relationship": _obj(
            {"links": _obj({"related": link}), "data": linkage, "meta": {"type": "object"}},
            required=[],
            minProperties=1,
        ),
        "Error": _obj(
            {
                "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
                "title": _STR,
                "detail": _STR,
                "source": _obj(
                    {"parameter": {"type": "string", "description": "the query parameter at fault"}}
                ),
            },
            required=["status", "title", "detail"],
        ),
        "ErrorDocument": _obj(
            {"errors": {**_array(_ref("Error")), "minItems": 1}, "jsonapi": _ref("JsonApi")},
            required=["errors"],
        ),
    }


def _resource(
    type_name: str,
    attributes: _Schema,
    *,
    relationships: Sequence[str] = (),
    links: dict[str, _Schema] | None = None,
) -> _Schema:
    """A resource object schema of ``type_name``."""
    props: dict[str, Any] = {"type": {"const": type_name}, "id": _STR, "attributes": attributes}
    required = ["type", "id", "attributes"]
    if relationships:
        props["relationships"] = _obj({r: _ref("Relationship") for r in relationships})
        required.append("relationships")
    if links:
        props["links"] = _obj(links)
        required.append("links")
    return _obj(props, required=required)


def _single(resource: str, meta: _Schema | None = None) -> _Schema:
    props = {"data": _ref(resource), "links": _ref("SelfLinks"), "jsonapi": _ref("JsonApi")}
    if meta is not None:
        props["meta"] = meta
    return _obj(props)


def _list(resource: str, meta: _Schema | None = None) -> _Schema:
    return _obj(
        {
            "data": _array(_ref(resource)),
            "links": _ref("PageLinks"),
            "meta": meta or _ref("PageMeta"),
            "jsonapi": _ref("JsonApi"),
        }
    )


def _units(properties: dict[str, Any]) -> _Schema:
    return _obj(properties, description="units of numeric attributes")


# -- components: the resources ------------------------------------------------------------------


def _tag_schemas() -> dict[str, _Schema]:
    attributes = _obj(
        {
            "time_type": {"enum": [t.value for t in TimeType]},
            "object_type": _STR,
            "synchronization": _STR,
            "description": _STR,
            "end_of_validity": {**_SINCE, "description": "raw since; 0 when none is set"},
            "insertion_time": _DATE_TIME,
            "modification_time": _DATE_TIME,
        }
    )
    self_link = {"self": _STR}
    return {
        "Tag": _resource("tags", attributes, relationships=["iovs", "drawers"], links=self_link),
        "TagDocument": _single("Tag"),
        "TagListDocument": _list("Tag"),
    }


def _iov_schemas() -> dict[str, _Schema]:
    attributes = _obj(
        {
            "since": _SINCE,
            "since_text": {"type": "string", "description": "run, run:lumisection or ISO time"},
            "until": {
                **_SINCE,
                "description": "exclusive end: the next since, or the end of "
                "validity for the last IOV",
            },
            "until_text": _STR,
            "payload_hash": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
            "insertion_time": _DATE_TIME,
        }
    )
    meta = {
        "allOf": [_ref("PageMeta")],
        **_obj(
            {
                "tag": _STR,
                "time_type": {"enum": [t.value for t in TimeType]},
                "snapshot": {"type": ["string", "null"], "format": "date-time"},
                "units": _units({"since": _STR, "until": _STR}),
            },
            required=["tag", "time_type", "snapshot", "units"],
            closed=False,
        ),
    }
    iov = _resource("iovs", attributes, relationships=["payload"])
    iov["properties"]["id"] = {"type": "string", "description": "{tag}@{since}, since exact"}
    return {"Iov": iov, "IovListDocument": _list("Iov", meta)}


def _payload_schemas() -> dict[str, _Schema]:
    field = _obj(
        {
            "name": {"type": "string", "description": "field, or record.member"},
            "kind": _STR,
            "dtype": {"type": "string", "description": "numpy dtype with byte order, e.g. <f4"},
            "shape": _array({"type": "integer", "minimum": 0}),
            "unit": _STR,
            "min": _NUM_OR_NULL,
            "max": _NUM_OR_NULL,
            "mean": _NUM_OR_NULL,
            "std": _NUM_OR_NULL,
        },
        description="statistics in physical units; null when not numeric or empty",
    )
    attributes = _obj(
        {
            "object_type": _STR,
            "version": _STR,
            "size": {"type": "integer", "minimum": 0, "description": "blob size"},
            "insertion_time": _DATE_TIME,
            "streamer_info": _obj(
                {
                    "release": _STR,
                    "architecture": _STR,
                    "technology": _STR,
                    "tech_version": _STR,
                    "boost_version": _STR,
                },
                description="PAYLOAD.STREAMER_INFO: what wrote the blob (empty strings "
                "where it says nothing)",
            ),
            "fields": _array(_ref("FieldSummary")),
        }
    )
    meta = _obj(
        {
            "units": _units(
                {
                    "size": {"const": "byte"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": _STR,
                        "description": "field name → unit, for fields that have one",
                    },
                }
            )
        }
    )
    return {
        "FieldSummary": field,
        "Payload": _resource(
            "payloads", attributes, relationships=["drawers"], links={"self": _STR}
        ),
        "PayloadDocument": _single("Payload", meta),
    }


def _drawer_schemas() -> dict[str, _Schema]:
    scalar: _Schema = {"type": ["integer", "number", "boolean", "string"]}
    param = _obj(
        {
            "name": _STR,
            "type": {"enum": ["int", "float", "bool", "choice", "string"]},
            "default": scalar,
            "help": _STR,
            "minimum": {"type": "number"},
            "maximum": {"type": "number"},
            "choices": _array(_STR),
        },
        required=["name", "type", "default"],
    )
    attributes = _obj(
        {
            "name": _STR,
            "title": _STR,
            "kind": {"enum": list(KINDS)},
            "payload_types": _array(_STR),
            "params": _array(_ref("DrawerParam")),
            "unit": _STR,
            "x_label": _STR,
            "y_label": _STR,
            "series": _array(_STR),
            "description": _STR,
            "plugin": _STR,
        }
    )
    links = {"self": _STR, "html": {"type": "string", "description": "the plot page"}}
    return {
        "DrawerParam": param,
        "Drawer": _resource("drawers", attributes, relationships=["tags"], links=links),
        "DrawerDocument": _single("Drawer"),
        "DrawerListDocument": _list("Drawer"),
    }


def _plot_schemas() -> dict[str, _Schema]:
    provenance = _obj(
        {
            "db": _STR,
            "tags": _array(_STR),
            "iovs": _array({"type": ["integer", "string"]}),
            "payload_hashes": _array(_STR),
            "snapshot": {"type": ["string", "null"]},
            "drawer": _STR,
            "parameters": {"type": "object"},
            "time_type": {"type": ["string", "null"]},
            "labels": _array(_STR),
            "certification": _obj(
                {"name": _STR, "file": _STR, "sha256": _STR},
                description="the certification file that filtered a history (only then)",
            ),
        },
        required=[
            "db",
            "tags",
            "iovs",
            "payload_hashes",
            "snapshot",
            "drawer",
            "parameters",
            "time_type",
            "labels",
        ],
        closed=False,
    )
    plot = _obj(
        {
            "schema": {"const": SCHEMA},
            "version": {"const": VERSION},
            "type": {"type": "string", "description": "History, Histogram1D, DetectorMap, ..."},
            "title": _STR,
            "provenance": provenance,
            "notes": _array(_STR),
            "data": {
                "type": "object",
                "description": "the plot type's own fields (docs/plot-objects.md)",
            },
        },
        closed=False,
        description="the plot object JSON, exactly as the JSON export",
    )
    links = {"self": _STR, "html": _STR, "json": _STR, "csv": _STR, "png": _STR}
    resource = _resource("plots", _ref("PlotObject"), links=links)
    resource["properties"]["id"] = {
        "type": "string",
        "description": "drawer?canonical data query string",
    }
    document = _single(
        "PlotResource",
        _obj(
            {
                "pinned": {
                    "type": "boolean",
                    "description": "snapshot in the past: this answer never changes",
                }
            }
        ),
    )
    return {"PlotObject": plot, "PlotResource": resource, "PlotDocument": document}


def _job_schemas() -> dict[str, _Schema]:
    """A background plot job (docs/jobs.md)."""
    moment: _Schema = {"type": ["string", "null"], "format": "date-time"}
    error = _obj(
        {
            "status": _INT,
            "title": _STR,
            "detail": _STR,
            "drawer": {"type": ["string", "null"], "description": "the drawer that failed"},
            "payload": {"type": ["string", "null"], "description": "hash of the payload to blame"},
        }
    )
    attributes = _obj(
        {
            "status": {"enum": ["queued", "running", "done", "failed"]},
            "drawer": _STR,
            "request": {"type": "string", "description": "drawer?pinned data query string"},
            "progress": _obj(
                {
                    "done": {"type": "integer", "minimum": 0},
                    "total": {"type": "integer", "minimum": 0},
                    "unit": {"const": "payloads"},
                }
            ),
            "created": {"type": "string", "format": "date-time"},
            "started": moment,
            "finished": moment,
            "error": {"oneOf": [error, {"type": "null"}]},
        }
    )
    links = _obj(
        {"self": _STR, "html": _STR, "result": _STR},
        required=["self", "html"],
        description="result: the plot resource, once the job is done",
    )
    resource = _resource("jobs", attributes)
    resource["properties"]["links"] = links
    resource["required"].append("links")
    meta = _obj(
        {"poll_after_seconds": {"type": "integer", "minimum": 0}},
    )
    return {"JobResource": resource, "JobDocument": _single("JobResource", meta)}


def _global_tag_schemas() -> dict[str, _Schema]:
    common = {
        "validity": _INT,
        "description": _STR,
        "release": _STR,
        "insertion_time": _DATE_TIME,
        "snapshot_time": _DATE_TIME,
    }
    record = _obj({"record": _STR, "label": _STR, "tag": _STR})
    records = {**_array(record), "description": "only on the global tag's own document"}
    attributes = _obj({**common, "records": records}, required=list(common))
    resource = _resource("globaltags", attributes, links={"self": _STR})
    resource["properties"]["relationships"] = _obj({"tags": _ref("Relationship")})
    return {
        "GlobalTag": resource,
        "GlobalTagDocument": _single("GlobalTag"),
        "GlobalTagListDocument": _list("GlobalTag"),
    }


def _run_schemas() -> dict[str, _Schema]:
    duration = {"type": "number", "minimum": 0}
    common = {
        "run_number": {"type": "integer", "minimum": 0},
        "start_time": _DATE_TIME,
        "end_time": _DATE_TIME,
        "duration_seconds": duration,
        "fill_number": {
            "type": ["integer", "null"],
            "description": "LHC fill; null without fill information (see meta.fills_available)",
        },
    }
    fill = _obj(
        {
            "fill_number": _INT,
            "start_time": {**_DATE_TIME, "description": "start of the fill's first run"},
            "end_time": {**_DATE_TIME, "description": "end of the fill's last run"},
            "duration_seconds": duration,
            "runs": _array(_INT),
        }
    )
    fill_info = {"type": "boolean", "description": "whether the database has fill information"}
    runs_info = {
        "type": "boolean",
        "description": "whether the database has run information (a RUN_INFO table); "
        "without it the list is empty",
    }
    note = {"type": "string", "description": "why the list is empty, when there is no RUN_INFO"}
    units = _units({"duration_seconds": {"const": "s"}})
    list_meta = {
        "allOf": [_ref("PageMeta")],
        **_obj(
            {
                "units": units,
                "runs_available": runs_info,
                "fills_available": fill_info,
                "note": note,
            },
            required=["units", "runs_available", "fills_available"],
            closed=False,
        ),
    }
    run_links = {"self": _STR, "html": {"type": "string", "description": "the run page"}}
    run = _resource("runs", _obj(common), links=run_links)
    detail = _resource(
        "runs",
        _obj({**common, "fill": {"oneOf": [fill, {"type": "null"}]}}),
        links=run_links,
    )
    nullable_link: _Schema = {"type": ["string", "null"]}
    detail_document = _obj(
        {
            "data": detail,
            "links": _obj({"self": _STR, "prev": nullable_link, "next": nullable_link}),
            "meta": _obj({"units": units, "fills_available": fill_info}),
            "jsonapi": _ref("JsonApi"),
        }
    )
    return {
        "Run": run,
        "RunListDocument": _list("Run", list_meta),
        "RunDocument": detail_document,
        "FoundIov": _obj(
            {
                "since": _SINCE,
                "since_text": _STR,
                "payload_hash": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
                "insertion_time": _DATE_TIME,
            }
        ),
        **_readiness_schemas(),
        **_watch_schemas(),
    }


def _readiness_schemas() -> dict[str, _Schema]:
    found: _Schema = {"oneOf": [_ref("FoundIov"), {"type": "null"}]}
    record = _obj(
        {
            "record": _STR,
            "label": _STR,
            "tag": _STR,
            "time_type": {"enum": [t.value for t in TimeType]},
            "at": {
                **_SINCE,
                "type": ["integer", "null"],
                "description": "the since looked up: the run, its first lumisection or its "
                "start time; null for Hash/User tags (their newest IOV counts)",
            },
            "at_text": {"type": ["string", "null"]},
            "covered": {"type": "boolean"},
            "iov": found,
        }
    )
    attributes = _obj(
        {
            "run_number": _INT,
            "global_tag": _STR,
            "snapshot_time": {
                **_DATE_TIME,
                "description": "the global tag's snapshot: later insertions are ignored",
            },
            "ready": {"type": "boolean", "description": "every record has an IOV for the run"},
            "missing": {**_array(_STR), "description": "record or record/label without one"},
            "records": _array(record),
        }
    )
    return {
        "Readiness": _resource("readiness", attributes, links={"self": _STR}),
        "ReadinessDocument": _single("Readiness"),
    }


def _watch_schemas() -> dict[str, _Schema]:
    hours: _Schema = {"type": ["number", "null"], "minimum": 0}
    attributes = _obj(
        {
            "db": _STR,
            "tag": _STR,
            "status": {"enum": [s.value for s in Status]},
            "reason": _STR,
            "now": {**_DATE_TIME, "description": "the moment the status refers to"},
            "max_latency_hours": {"type": "number"},
            "stale_after_hours": hours,
            "time_type": {"enum": [*(t.value for t in TimeType), None]},
            "newest_iov": {"oneOf": [_ref("FoundIov"), {"type": "null"}]},
            "newest_run": {
                "oneOf": [_obj({"run_number": _INT, "end_time": _DATE_TIME}), {"type": "null"}]
            },
            "lag_runs": {"type": ["integer", "null"], "minimum": 0},
            "lag_hours": {
                **hours,
                "description": "how long the oldest waiting run has waited since its end",
            },
            "first_waiting_run": {"type": ["integer", "null"]},
        }
    )
    meta = _obj(
        {
            "total": {"type": "integer", "minimum": 0},
            "statuses": _obj({s.value: {"type": "integer", "minimum": 0} for s in Status}),
            "clock_after_newest_run_hours": {"type": ["number", "null"]},
            "units": _units({k: {"const": "h"} for k in _HOUR_ATTRIBUTES}),
        }
    )
    return {
        "WatchedTag": _resource("watch", attributes, links={"tag": _STR}),
        "WatchDocument": _obj(
            {
                "data": _array(_ref("WatchedTag")),
                "links": _ref("SelfLinks"),
                "meta": meta,
                "jsonapi": _ref("JsonApi"),
            }
        ),
    }


_HOUR_ATTRIBUTES: Final = ("max_latency_hours", "stale_after_hours", "lag_hours")


def _annotation_schemas() -> dict[str, _Schema]:
    nullable: _Schema = {"type": ["string", "null"]}
    attributes = _obj(
        {
            "db": _STR,
            "tag": _STR,
            "target": {"enum": ["tag", "iov", "plot"]},
            "since": {**_SINCE, "type": ["integer", "null"], "description": "IOV notes only"},
            "since_text": nullable,
            "plot": {"type": ["string", "null"], "description": "plot notes: /plot/... link"},
            "text": {"type": "string", "minLength": 1, "maxLength": 1000},
            "author": {"type": "string", "description": "the authenticated writer"},
            "created": _DATE_TIME,
        }
    )
    links = {"tag": _STR, "html": _STR}
    new_attributes = _obj(
        {
            "db": {"type": "string", "description": "alias (default: the default database)"},
            "tag": _STR,
            "target": {
                "enum": ["tag", "iov", "plot"],
                "description": "default: iov with since, plot with plot, else tag",
            },
            "since": {
                "type": ["string", "integer"],
                "description": "the IOV valid here: run, run:lumisection, ISO time or integer",
            },
            "plot": {"type": "string", "description": "a plot link of this server, /plot/..."},
            "text": {
                "type": "string",
                "minLength": 1,
                "maxLength": 1000,
                "description": "one line of plain text",
            },
            "author": {"type": "string", "description": "ignored: the author is who signed in"},
        },
        required=["tag", "text"],
    )
    new = _obj(
        {"data": _obj({"type": {"const": "annotations"}, "attributes": new_attributes})},
    )
    return {
        "Annotation": _resource("annotations", attributes, links=links),
        "AnnotationDocument": _single("Annotation"),
        "AnnotationListDocument": _list("Annotation"),
        "NewAnnotationDocument": new,
    }


def _index_schemas() -> dict[str, _Schema]:
    database = _obj({"alias": _STR, "description": _STR})
    attributes = _obj({"version": _STR, "default_database": _STR, "databases": _array(database)})
    links = _obj(
        {
            name: _STR
            for name in ("self", "describedby", "tags", "drawers", "globaltags", "runs", "watch")
        }
    )
    return {
        "Index": _resource("api", attributes, links={"self": _STR}),
        "IndexDocument": _obj({"data": _ref("Index"), "links": links, "jsonapi": _ref("JsonApi")}),
    }


# -- parameters and responses -------------------------------------------------------------------


def _query(
    name: str, schema: _Schema, description: str, *, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": _STR,
    }


def _db() -> dict[str, Any]:
    return {"$ref": "#/components/parameters/db"}


def _paging(listing: str) -> list[dict[str, Any]]:
    default, maximum = LIMITS[listing]
    return [
        _query(
            PAGE_NUMBER,
            {"type": "integer", "minimum": 1, "default": 1},
            "page to return (1-based); past the last page is a 404",
        ),
        _query(
            PAGE_SIZE,
            {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
            "items per page",
        ),
    ]


def _since_param(name: str, what: str) -> dict[str, Any]:
    return _query(
        name,
        _STR,
        f"{what}: run, run:lumisection, ISO date-time or raw integer, "
        "read with the tag's time type",
    )


def _snapshot_param() -> dict[str, Any]:
    return _query(
        "snapshot",
        {"type": "string", "examples": ["2024-06-01T12:00:00Z"]},
        "ignore rows inserted after this UTC time; in the past, the answer is "
        "final and cached for a year",
    )


def _responses(document: str, *errors: int, media: str = MEDIA_TYPE) -> dict[str, Any]:
    out: dict[str, Any] = {
        "200": {
            "description": "OK",
            "headers": {
                "ETag": {"$ref": "#/components/headers/ETag"},
                "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
            },
            "content": {media: {"schema": _ref(document)}},
        },
        "304": {"$ref": "#/components/responses/NotModified"},
    }
    for status in sorted(errors):
        out[str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    return out


_ERRORS: Final = {
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


def _components() -> dict[str, Any]:
    schemas: dict[str, _Schema] = {}
    for part in (
        _frame_schemas,
        _index_schemas,
        _tag_schemas,
        _iov_schemas,
        _payload_schemas,
        _drawer_schemas,
        _plot_schemas,
        _job_schemas,
        _global_tag_schemas,
        _run_schemas,
        _diff_schemas,
        _annotation_schemas,
    ):
        schemas.update(part())
    error_content = {MEDIA_TYPE: {"schema": _ref("ErrorDocument")}}
    responses: dict[str, Any] = {
        name: {"description": description, "content": error_content}
        for name, description in _ERRORS.values()
    }
    responses["NotModified"] = {"description": "Not modified: the If-None-Match ETag matches"}
    return {
        "schemas": schemas,
        "responses": responses,
        "parameters": {
            "db": _query("db", _STR, "database alias (default: the configured default database)")
        },
        "headers": {
            "ETag": {"description": "fingerprint of the body, for If-None-Match", "schema": _STR},
            "CacheControl": {
                "description": "public, max-age=31536000, immutable when "
                "pinned to a past snapshot; otherwise public, max-age=30",
                "schema": _STR,
            },
        },
    }


# -- paths --------------------------------------------------------------------------------------


def _get(
    operation_id: str,
    summary: str,
    parameters: list[dict[str, Any]],
    responses: dict[str, Any],
    tag: str,
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "parameters": parameters,
            "responses": responses,
        }
    }


def _tag_paths() -> dict[str, Any]:
    sorts = [s for key in TAG_SORT_KEYS for s in (key, f"-{key}")]
    list_params = [
        _db(),
        _query("filter[name]", _STR, "glob (* and ?) or substring of the name, any case"),
        _query("filter[object_type]", _STR, "payload type, e.g. BeamSpotObjects"),
        _query(
            "filter[time_type]",
            {"enum": [t.value for t in TimeType]},
            "time type (any capitalisation)",
        ),
        _query(
            "sort",
            {"enum": sorts, "default": "name"},
            "sort key, - first for descending; ties are broken by name",
        ),
        *_paging("tags"),
    ]
    name = _path(
        "name",
        "tag name, percent-encoded; a / in it may be written as it is (tags/A/B/iovs is "
        "the IOV list of tag A/B)",
    )
    iov_params = [
        _db(),
        name,
        _since_param("since", "first IOV: the one valid here"),
        _since_param("until", "last IOV: the one valid here"),
        _snapshot_param(),
        *_paging("iovs"),
    ]
    return {
        "/api/v1/tags": _get(
            "list_tags",
            "Search tags",
            list_params,
            _responses("TagListDocument", 400, 404, 503),
            "tags",
        ),
        "/api/v1/tags/{name}": _get(
            "get_tag", "One tag", [_db(), name], _responses("TagDocument", 400, 404, 503), "tags"
        ),
        "/api/v1/tags/{name}/iovs": _get(
            "list_iovs",
            "IOVs of a tag in a range, at a snapshot",
            iov_params,
            _responses("IovListDocument", 400, 404, 503),
            "tags",
        ),
    }


def _plot_params(request_type: type[PlotRequest] = PlotRequest) -> list[dict[str, Any]]:
    """Every field of the plot request (inspector/request.py), then the drawer parameters."""
    fields = [
        _db()
        if spec.name == "db"
        else _query(
            spec.name,
            dict(spec.spec.schema),
            spec.spec.help if spec.role == "data" else f"view only: {spec.spec.help}",
            required=spec.spec.required,
        )
        for spec in request_fields(request_type)
    ]
    return [
        _path("drawer", "drawer name, e.g. beamspot.position_x"),
        *fields,
        {
            "name": "drawer_parameters",
            "in": "query",
            "style": "form",
            "explode": True,
            "description": "any other name is a drawer parameter (see /api/v1/drawers/{name}); "
            "unknown names and bad values are 400s",
            "schema": {"type": "object", "additionalProperties": _STR},
        },
    ]


def _plot_responses() -> dict[str, Any]:
    """A plot, or 202 with the job computing it (heavy request, or Prefer: respond-async)."""
    responses = _responses("PlotDocument", 400, 404, 422, 500, 503)
    responses["202"] = {
        "description": "Accepted: a background job computes this plot (a history whose "
        "uncached payloads are heavy, or the request said Prefer: respond-async; "
        "Prefer: respond-sync never gets a 202); poll the job at Location (Retry-After "
        "seconds apart); its links.result is the plot once done (docs/jobs.md)",
        "headers": {
            "Location": {"description": "the job resource", "schema": _STR},
            "Retry-After": {"description": "seconds before the next poll", "schema": _INT},
        },
        "content": {MEDIA_TYPE: {"schema": _ref("JobDocument")}},
    }
    return responses


def _job_params() -> list[dict[str, Any]]:
    """A job URL: its id plus the pinned request (any server process can answer it)."""
    return [
        _path("ident", "job id: digest of the pinned request"),
        _query("drawer", _STR, "the drawer (with the pinned query, lets any process rejoin)"),
        {
            "name": "pinned_query",
            "in": "query",
            "style": "form",
            "explode": True,
            "description": "db, tag, since, until, snapshot and drawer parameters of the "
            "pinned request, exactly as in the job's links.self",
            "schema": {"type": "object", "additionalProperties": _STR},
        },
    ]


def _other_paths() -> dict[str, Any]:
    db_only = [_db()]
    drawer_filters = [
        _db(),
        _query("filter[payload_type]", _STR, "drawers that read this payload type"),
        _query("filter[kind]", {"enum": list(KINDS)}, "drawer kind"),
        *_paging("drawers"),
    ]
    gt_filters = [
        _db(),
        _query("filter[name]", _STR, "glob or substring of the name"),
        *_paging("globaltags"),
    ]
    return {
        "/api/v1": _get(
            "index", "Links to every collection", [], _responses("IndexDocument"), "index"
        ),
        "/api/v1/openapi.json": _get(
            "openapi_json",
            "This document",
            [],
            {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "304": {"$ref": "#/components/responses/NotModified"},
            },
            "index",
        ),
        "/api/v1/payloads/{payload_hash}": _get(
            "get_payload",
            "Payload metadata and decoded field summaries",
            [*db_only, _path("payload_hash", "sha1 hex of the payload")],
            _responses("PayloadDocument", 400, 404, 422, 503),
            "payloads",
        ),
        "/api/v1/drawers": _get(
            "list_drawers",
            "Installed drawers",
            drawer_filters,
            _responses("DrawerListDocument", 400, 404),
            "drawers",
        ),
        "/api/v1/drawers/{name}": _get(
            "get_drawer",
            "One drawer",
            [*db_only, _path("name", "drawer name")],
            _responses("DrawerDocument", 400, 404),
            "drawers",
        ),
        "/api/v1/plots/{drawer}": _get(
            "plot_resource",
            "A plot object (same query string as the plot page)",
            _plot_params(),
            _plot_responses(),
            "plots",
        ),
        "/api/v1/jobs/{ident}": _get(
            "get_job",
            "A background plot job: status, progress, result link",
            _job_params(),
            _responses("JobDocument", 400, 404, 422, 500, 503),
            "plots",
        ),
        "/api/v1/globaltags": _get(
            "list_global_tags",
            "Search global tags",
            gt_filters,
            _responses("GlobalTagListDocument", 400, 404, 503),
            "globaltags",
        ),
        "/api/v1/globaltags/{name}": _get(
            "get_global_tag",
            "A global tag with its records",
            [*db_only, _path("name", "global tag name")],
            _responses("GlobalTagDocument", 400, 404, 503),
            "globaltags",
        ),
    }


def _run_paths() -> dict[str, Any]:
    run: _Schema = {"type": "integer", "minimum": 0, "maximum": MAX_RUN}
    date: _Schema = {"type": "string", "examples": ["2024-06-01", "2024-06-01T12:00:00Z"]}
    run_filters = [
        _db(),
        _query("filter[first]", run, "lowest run number"),
        _query("filter[last]", run, "highest run number"),
        _query("filter[fill]", run, "LHC fill number (no run matches without fill information)"),
        _query("filter[from]", date, "runs that started at or after this UTC date or time"),
        _query(
            "filter[to]", date, "runs that started at or before this UTC time (a date: that day)"
        ),
        *_paging("runs"),
    ]
    number = {**_path("number", "run number"), "schema": run}
    return {
        "/api/v1/runs": _get(
            "list_runs",
            "Runs with start and end times, duration and LHC fill",
            run_filters,
            _responses("RunListDocument", 400, 404, 503),
            "runs",
        ),
        "/api/v1/runs/{number}": _get(
            "get_run",
            "One run with its fill and the fill's runs",
            [_db(), number],
            _responses("RunDocument", 400, 404, 503),
            "runs",
        ),
        "/api/v1/runs/{number}/readiness": _get(
            "run_readiness",
            "Whether every record of a global tag has conditions for the run",
            [
                _db(),
                number,
                _query("globaltag", _STR, "the global tag to check the run against", required=True),
            ],
            _responses("ReadinessDocument", 400, 404, 503),
            "runs",
        ),
        "/api/v1/watch": _get(
            "watch",
            "Calibration watch: each watched tag's newest IOV, lag and status",
            [],
            _responses("WatchDocument", 400),
            "watch",
        ),
    }


def _annotation_paths() -> dict[str, Any]:
    since: _Schema = {"type": "string"}
    list_params = [
        _query("filter[db]", _STR, "database alias"),
        _query("filter[tag]", _STR, "tag name"),
        _query("filter[target]", {"enum": ["tag", "iov", "plot"]}, "what the notes are on"),
        _query(
            "filter[since_min]",
            since,
            "IOV notes from this since (raw integer; other forms with filter[tag])",
        ),
        _query("filter[since_max]", since, "IOV notes up to this since, inclusive"),
        *_paging("annotations"),
    ]
    listing = _get(
        "list_annotations",
        "Notes on tags, IOVs and plots, newest first",
        list_params,
        _responses("AnnotationListDocument", 400, 404, 503),
        "annotations",
    )
    created = {
        "description": "Created: the stored note, author set to the signed-in user",
        "headers": {"Location": {"description": "the tag's notes", "schema": _STR}},
        "content": {MEDIA_TYPE: {"schema": _ref("AnnotationDocument")}},
    }
    errors = {
        str(status): {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
        for status in (400, 401, 403, 404, 415, 503)
    }
    listing["post"] = {
        "operationId": "add_annotation",
        "summary": "Add a note (needs a bearer token or single sign-on)",
        "tags": ["annotations"],
        "security": [{"bearer": []}, {"proxy": []}],
        "parameters": [],
        "requestBody": {
            "required": True,
            "content": {MEDIA_TYPE: {"schema": _ref("NewAnnotationDocument")}},
        },
        "responses": {"201": created, **errors},
    }
    return {"/api/v1/annotations": listing}


def openapi_document(version: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (a fresh dict each call: callers may change it)."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Payload Inspector API",
            "version": version,
            "summary": "Read-only JSON:API over CMS conditions databases: tags, IOVs, "
            "payloads, drawers, plots, global tags and runs",
            "description": "Every answer is a JSON:API 1.1 document "
            f"({MEDIA_TYPE}); lists are paged and state their total in meta; errors "
            "carry status, title, detail and, for a bad parameter, source.parameter. "
            "Every GET answers If-None-Match with 304 and is gzipped on request. "
            "See docs/api.md.",
        },
        "paths": {
            **_other_paths(),
            **_tag_paths(),
            **_diff_paths(),
            **_annotation_paths(),
            **_run_paths(),
        },
        "components": {**_components(), "securitySchemes": _security_schemes()},
    }


def _security_schemes() -> dict[str, Any]:
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


# -- diffs --------------------------------------------------------------------------------------

_STATUS: Final[_Schema] = {"enum": ["same", "differs", "only_a", "only_b"]}


def _diff_meta(extra: dict[str, Any]) -> _Schema:
    counts = _obj({name: {"type": "integer", "minimum": 0} for name in _STATUS["enum"]})
    return {
        "allOf": [_ref("PageMeta")],
        **_obj(
            {
                "rows": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "rows before the status filter (total counts the kept ones)",
                },
                "counts": {**counts, "description": "rows of each status, before the filter"},
                "statuses": {**_array(_STATUS), "description": "the statuses kept"},
                **extra,
            },
            closed=False,
        ),
    }


def _diff_list(resource: str, meta: _Schema) -> _Schema:
    links = _obj(
        {
            "self": _STR,
            "first": _STR,
            "prev": {"type": ["string", "null"]},
            "next": {"type": ["string", "null"]},
            "last": _STR,
            "html": {"type": "string", "description": "the same view as a page"},
        }
    )
    return _obj(
        {
            "data": _array(_ref(resource)),
            "links": links,
            "meta": meta,
            "jsonapi": _ref("JsonApi"),
        }
    )


def _diff_schemas() -> dict[str, _Schema]:
    hash_or_null: _Schema = {"type": ["string", "null"], "pattern": "^[0-9a-f]{40}$"}
    row = _obj(
        {
            "since": _SINCE,
            "since_text": _STR,
            "until": {**_SINCE, "description": "exclusive end: the next boundary of either tag"},
            "until_text": _STR,
            "status": _STATUS,
            "payload_hash_a": {**hash_or_null, "description": "null: A has no IOV valid here"},
            "payload_hash_b": {**hash_or_null, "description": "null: B has no IOV valid here"},
        }
    )
    tag_row = _resource("tagdiffrows", row)
    tag_row["properties"]["links"] = _obj(
        {"compare": {"type": "string", "description": "plot page of a compare drawer"}}
    )
    side = _obj({"tag": _STR, "object_type": _STR})
    tag_meta = _diff_meta(
        {
            "a": side,
            "b": side,
            "time_type": {"enum": [t.value for t in TimeType]},
            "snapshot": {"type": ["string", "null"], "format": "date-time"},
            "compare_drawers": {
                **_array(_STR),
                "description": "compare drawers reading both payload types",
            },
            "compare_note": {
                "type": ["string", "null"],
                "description": "why no row has a compare link, when none applies",
            },
            "units": _units({"since": _STR, "until": _STR}),
        }
    )
    gt_row = _resource(
        "globaltagdiffrows",
        _obj(
            {
                "record": _STR,
                "label": _STR,
                "tag_a": {"type": ["string", "null"]},
                "tag_b": {"type": ["string", "null"]},
                "status": _STATUS,
            }
        ),
    )
    gt_row["properties"]["links"] = _obj(
        {"tag_diff": _STR, "html": {"type": "string", "description": "the tag diff page"}}
    )
    return {
        "TagDiffRow": tag_row,
        "TagDiffListDocument": _diff_list("TagDiffRow", tag_meta),
        "GlobalTagDiffRow": gt_row,
        "GlobalTagDiffListDocument": _diff_list("GlobalTagDiffRow", _diff_meta({})),
    }


def _diff_paths() -> dict[str, Any]:
    statuses = _query(
        "filter[status]",
        {"type": "string", "examples": ["differs,only_a,only_b"]},
        "comma-separated statuses to keep (same, differs, only_a, only_b); default: all",
    )
    tag_params = [
        _db(),
        _query("a", _STR, "the first tag (A)", required=True),
        _query("b", _STR, "the second tag (B), of the same time type", required=True),
        _since_param("since", "first row: the IOVs valid here"),
        _since_param("until", "last boundary"),
        _snapshot_param(),
        statuses,
        *_paging("tagdiff"),
    ]
    gt_params = [
        _db(),
        _query("a", _STR, "the first global tag (A)", required=True),
        _query("b", _STR, "the second global tag (B)", required=True),
        statuses,
        *_paging("globaltagdiff"),
    ]
    return {
        "/api/v1/diff/tags": _get(
            "diff_tags",
            "Two tags aligned on since: which payload each has valid at every boundary",
            tag_params,
            _responses("TagDiffListDocument", 400, 404, 503),
            "diffs",
        ),
        "/api/v1/diff/globaltags": _get(
            "diff_global_tags",
            "Records of two global tags with the tag each one names",
            gt_params,
            _responses("GlobalTagDiffListDocument", 400, 404, 503),
            "diffs",
        ),
    }
