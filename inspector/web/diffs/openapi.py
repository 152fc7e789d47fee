"""The diff schemas and the operations of ``/api/v1/diff/tags`` and ``/diff/globaltags``."""

from __future__ import annotations

from typing import Any, Final

from inspector.web.diffs.models import (
    STATUSES,
    GlobalTagDiffAttributes,
    StatusName,
    TagDiffAttributes,
)
from inspector.web.jsonapi import PageMeta
from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import (
    DB,
    paging,
    responses,
    since_param,
    snapshot_param,
)
from inspector.web.openapi.schema import (
    STR,
    Schema,
    array,
    model_schema,
    obj,
    ref,
    resource,
    time_types,
    units,
)

__all__ = ["DIFF_GLOBAL_TAGS", "DIFF_TAGS", "STATUS_FILTER", "schemas"]

#: Comma-separated statuses to keep (default: every row).
STATUS_FILTER: Final = "filter[status]"
_STATUS: Final[Schema] = model_schema(StatusName)


def _diff_meta(extra: dict[str, Any]) -> Schema:
    counts = obj({name: {"type": "integer", "minimum": 0} for name in STATUSES})
    rows = {
        "type": "integer",
        "minimum": 0,
        "description": "rows before the status filter (total counts the kept ones)",
    }
    page = model_schema(PageMeta)["properties"]  # the counts, beside what a diff adds
    return obj(
        {
            **page,
            "rows": rows,
            "counts": {**counts, "description": "rows of each status, before the filter"},
            "statuses": {**array(_STATUS), "description": "the statuses kept"},
            **extra,
        },
        closed=False,
    )


def _diff_list(resource_name: str, meta: Schema) -> Schema:
    links = obj(
        {
            "self": STR,
            "first": STR,
            "prev": {"type": ["string", "null"]},
            "next": {"type": ["string", "null"]},
            "last": STR,
            "html": {"type": "string", "description": "the same view as a page"},
        }
    )
    return obj(
        {
            "data": array(ref(resource_name)),
            "links": links,
            "meta": meta,
            "jsonapi": ref("JsonApi"),
        }
    )


def schemas() -> dict[str, Schema]:
    """The rows of both diffs and their paged lists."""
    gt_row = resource("globaltagdiffrows", model_schema(GlobalTagDiffAttributes))
    gt_row["properties"]["links"] = obj(
        {"tag_diff": STR, "html": {"type": "string", "description": "the tag diff page"}}
    )
    return {
        "TagDiffRow": _tag_row(),
        "TagDiffListDocument": _diff_list("TagDiffRow", _tag_meta()),
        "GlobalTagDiffRow": gt_row,
        "GlobalTagDiffListDocument": _diff_list("GlobalTagDiffRow", _diff_meta({})),
    }


def _tag_row() -> Schema:
    row = model_schema(TagDiffAttributes)
    tag_row = resource("tagdiffrows", row)
    tag_row["properties"]["links"] = obj(
        {"compare": {"type": "string", "description": "plot page of a compare drawer"}}
    )
    return tag_row


def _tag_meta() -> Schema:
    side = obj({"tag": STR, "object_type": STR})
    return _diff_meta(
        {
            "a": side,
            "b": side,
            "time_type": time_types(),
            "snapshot": {"type": ["string", "null"], "format": "date-time"},
            "compare_drawers": {
                **array(STR),
                "description": "compare drawers reading both payload types",
            },
            "compare_note": {
                "type": ["string", "null"],
                "description": "why no row has a compare link, when none applies",
            },
            "units": units({"since": STR, "until": STR}),
        }
    )


_STATUSES: Final = Param(
    STATUS_FILTER,
    {"type": "string", "examples": ["differs,only_a,only_b"]},
    "comma-separated statuses to keep (same, differs, only_a, only_b); default: all",
)

DIFF_TAGS: Final = Operation(
    "Two tags aligned on since: which payload each has valid at every boundary",
    "diffs",
    [
        DB,
        Param("a", description="the first tag (A)", required=True),
        Param("b", description="the second tag (B), of the same time type", required=True),
        since_param("since", "first row: the IOVs valid here"),
        since_param("until", "last boundary"),
        snapshot_param(),
        _STATUSES,
        *paging("tagdiff"),
    ],
    responses("TagDiffListDocument", 400, 404, 503),
)
DIFF_GLOBAL_TAGS: Final = Operation(
    "Records of two global tags with the tag each one names",
    "diffs",
    [
        DB,
        Param("a", description="the first global tag (A)", required=True),
        Param("b", description="the second global tag (B)", required=True),
        _STATUSES,
        *paging("globaltagdiff"),
    ],
    responses("GlobalTagDiffListDocument", 400, 404, 503),
)
