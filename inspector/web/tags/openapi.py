"""The tag and IOV schemas and the operations of ``/api/v1/tags``."""

from __future__ import annotations

from typing import Final

from inspector.conddb.database import TAG_SORT_KEYS
from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, paging, responses, since_param, snapshot_param
from inspector.web.openapi.schema import (
    STR,
    Schema,
    listing,
    model_schema,
    resource,
    single,
    time_types,
)
from inspector.web.tags.models import IovAttributes, IovListMeta, TagAttributes

__all__ = ["GET_TAG", "LIST_IOVS", "LIST_TAGS", "schemas"]


def schemas() -> dict[str, Schema]:
    """``Tag``, ``Iov`` and their documents."""
    attributes = model_schema(TagAttributes)
    tag = resource("tags", attributes, relationships=["iovs", "drawers"], links={"self": STR})
    return {
        "Tag": tag,
        "TagDocument": single("Tag"),
        "TagListDocument": listing("Tag"),
        **_iov_schemas(),
    }


def _iov_schemas() -> dict[str, Schema]:
    attributes = model_schema(IovAttributes)
    meta = model_schema(IovListMeta)
    iov = resource("iovs", attributes, relationships=["payload"])
    iov["properties"]["id"] = {"type": "string", "description": "{tag}@{since}, since exact"}
    return {"Iov": iov, "IovListDocument": listing("Iov", meta)}


_SORTS: Final = [s for key in TAG_SORT_KEYS for s in (key, f"-{key}")]
#: The filters of the tag search (also kept in its page links).
TAG_FILTERS: Final = ("filter[name]", "filter[object_type]", "filter[time_type]")
_NAME: Final = Param(
    "name",
    where="path",
    description="tag name, percent-encoded; a / in it may be written as it is (tags/A/B/iovs is "
    "the IOV list of tag A/B)",
)

LIST_TAGS: Final = Operation(
    "Search tags",
    "tags",
    [
        DB,
        Param("filter[name]", description="glob (* and ?) or substring of the name, any case"),
        Param("filter[object_type]", description="payload type, e.g. BeamSpotObjects"),
        Param("filter[time_type]", time_types(), "time type (any capitalisation)"),
        Param(
            "sort",
            {"enum": _SORTS, "default": "name"},
            "sort key, - first for descending; ties are broken by name",
        ),
        *paging("tags"),
    ],
    responses("TagListDocument", 400, 404, 503),
)
GET_TAG: Final = Operation("One tag", "tags", [DB, _NAME], responses("TagDocument", 400, 404, 503))
LIST_IOVS: Final = Operation(
    "IOVs of a tag in a range, at a snapshot",
    "tags",
    [
        DB,
        _NAME,
        since_param("since", "first IOV: the one valid here"),
        since_param("until", "last IOV: the one valid here"),
        snapshot_param(),
        *paging("iovs"),
    ],
    responses("IovListDocument", 400, 404, 503),
)
