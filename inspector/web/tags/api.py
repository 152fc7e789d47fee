"""``/api/v1/tags``: tag search, one tag, a tag's IOVs."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from inspector.conddb import IovList, Tag
from inspector.conddb.ranges import RangeResolver
from inspector.conddb.timetypes import TimeType, parse_snapshot, since_texts
from inspector.errors import InvalidParameter
from inspector.web.args import QueryArgs, api_args
from inspector.web.jsonapi import (
    SINCE_UNITS,
    document,
    iso,
    iso_many,
    link_arguments,
    page_links,
    page_meta,
    relationship,
    resource,
    url,
)
from inspector.web.responses import send_document
from inspector.web.routing import Routes
from inspector.web.state import request_time, state
from inspector.web.tags.models import IovAttributes, IovListMeta, TagAttributes
from inspector.web.tags.openapi import GET_TAG, LIST_IOVS, LIST_TAGS, TAG_FILTERS

__all__ = ["api"]

api = Routes("api")


def _tag_attributes(tag: Tag) -> TagAttributes:
    return {
        "time_type": tag.time_type.value,
        "object_type": tag.object_type,
        "synchronization": tag.synchronization,
        "description": tag.description,
        "end_of_validity": tag.end_of_validity,
        "insertion_time": iso(tag.insertion_time),
        "modification_time": iso(tag.modification_time),
    }


def _tag_resource(tag: Tag, alias: str) -> dict[str, Any]:
    drawers = state().plugins.drawers.for_payload_type(tag.object_type)
    db_arg = [("db", alias)]
    drawer_list = url(url_for("api.list_drawers"), [("filter[payload_type]", tag.object_type)])
    return resource(
        "tags",
        tag.name,
        _tag_attributes(tag),
        links={"self": url(url_for("api.get_tag", name=tag.name), db_arg)},
        relationships={
            "iovs": relationship(url(url_for("api.list_iovs", name=tag.name), db_arg)),
            "drawers": relationship(
                drawer_list, [{"type": "drawers", "id": d.name} for d in drawers]
            ),
        },
    )


def _time_type_filter(args: QueryArgs) -> TimeType | None:
    raw = args.get("filter[time_type]")
    if not raw:
        return None
    try:
        return TimeType.parse(raw)
    except InvalidParameter as exc:
        raise InvalidParameter("filter[time_type]", exc.reason) from None


@api.get("/tags", LIST_TAGS)
def list_tags() -> Response:
    """Tags by name (glob or substring), payload type and time type, sorted and paged."""
    args = api_args()
    paging = args.paging("tags")
    db = args.database()
    result = db.search_tags(
        args.get("filter[name]") or None,
        object_type=args.get("filter[object_type]") or None,
        time_type=_time_type_filter(args),
        page=paging.number,
        page_size=paging.size,
        sort=args.get("sort") or "name",
    )
    paging.require_exists(result.total, "tags")
    data = [_tag_resource(t, db.alias) for t in result.items]
    links = page_links(
        url_for("api.list_tags"),
        link_arguments(args, db.alias, (*TAG_FILTERS, "sort")),
        paging,
        result.total,
    )
    return send_document(document(data, links=links, meta=page_meta(paging, result.total)))


# Tag names may hold "/" (and any other character): the name is a ``path``
# segment, since servers decode %2F before routing; ``/iovs`` after it still
# routes to the IOV list.  Slashes are not merged, so "a//b" stays itself.
@api.get("/tags/<path:name>", GET_TAG, merge_slashes=False)
def get_tag(name: str) -> Response:
    """One tag's metadata, with links to its IOVs and to the drawers that read it."""
    db = api_args().database()
    data = _tag_resource(db.tag(name), db.alias)
    return send_document(document(data, links={"self": data["links"]["self"]}))


def _iov_resources(tag: Tag, iovs: IovList, lo: int, hi: int, alias: str) -> list[dict[str, Any]]:
    """One page of IOVs, column by column (a page holds up to 10,000 of them)."""
    since, until = iovs.since[lo:hi], iovs.until[lo:hi]
    columns = zip(
        since.tolist(),
        since_texts(since, tag.time_type),
        until.tolist(),
        since_texts(until, tag.time_type),
        iovs.hashes[iovs.codes[lo:hi]].tolist(),
        iso_many(iovs.insertion_time[lo:hi]),
        strict=True,
    )
    payloads = f"{url_for('api.index')}/payloads/"
    db_query = url("", [("db", alias)])
    return [
        {
            "type": "iovs",
            "id": f"{tag.name}@{s}",
            "attributes": IovAttributes(
                since=s,
                since_text=s_text,
                until=u,
                until_text=u_text,
                payload_hash=h,
                insertion_time=t,
            ),
            "relationships": {
                "payload": {
                    "links": {"related": f"{payloads}{h}{db_query}"},
                    "data": {"type": "payloads", "id": h},
                }
            },
        }
        for s, s_text, u, u_text, h, t in columns
    ]


@api.get("/tags/<path:name>/iovs", LIST_IOVS, merge_slashes=False)
def list_iovs(name: str) -> Response:
    """A tag's IOVs in a range, as seen at a snapshot time, paged."""
    args = api_args()
    paging = args.paging("iovs")
    db = args.database()
    tag = db.tag(name)
    snapshot = parse_snapshot(args.get("snapshot"))
    since, until = RangeResolver(db, tag, snapshot).range(args.get("since"), args.get("until"))
    iovs = state().engine.iovs(db.alias, tag.name, since=since, until=until, snapshot=snapshot)
    total = len(iovs)
    paging.require_exists(total, f"IOVs of tag {tag.name!r}")
    data = _iov_resources(
        tag, iovs, paging.offset, min(paging.offset + paging.size, total), db.alias
    )
    unit = SINCE_UNITS[tag.time_type]
    meta: IovListMeta = {
        **page_meta(paging, total),
        "tag": tag.name,
        "time_type": tag.time_type.value,
        "snapshot": iso(snapshot) if snapshot is not None else None,
        "units": {"since": unit, "until": unit},
    }
    link_args = link_arguments(args, db.alias, ("since", "until", "snapshot"))
    links = page_links(url_for("api.list_iovs", name=tag.name), link_args, paging, total)
    pinned = snapshot is not None and snapshot <= request_time()
    return send_document(document(data, links=links, meta=meta), pinned=pinned)
