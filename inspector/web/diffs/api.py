"""The diff routes of /api/v1: ``/diff/tags`` and ``/diff/globaltags``.

They answer in the JSON:API shape of the rest of the API: rows are
resources, lists are paged and state their total in ``meta`` with
first/prev/next/last links, and ``meta.counts`` gives the number of rows of
each status before the ``filter[status]`` filter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from flask import Response, url_for

from inspector.conddb.diff import DIFF_STATUSES, parse_statuses
from inspector.conddb.timetypes import since_texts
from inspector.web.args import api_args
from inspector.web.diffs.models import GlobalTagDiffAttributes, TagDiffAttributes
from inspector.web.diffs.openapi import DIFF_GLOBAL_TAGS, DIFF_TAGS, STATUS_FILTER
from inspector.web.diffs.views import TagDiffView, global_tag_diff_view, tag_diff_view
from inspector.web.jsonapi import (
    SINCE_UNITS,
    document,
    iso,
    page_links,
    page_meta,
    resource,
    url,
)
from inspector.web.responses import send_document
from inspector.web.routing import Routes
from inspector.web.state import request_time

__all__ = ["api"]

api = Routes("api")


@api.get("/diff/tags", DIFF_TAGS)
def diff_tags() -> Response:
    """Two tags' IOVs aligned on since: same, differs, only in A, only in B; paged."""
    args = api_args()
    paging = args.paging("tagdiff")
    statuses = parse_statuses(args.get(STATUS_FILTER), STATUS_FILTER)
    view = tag_diff_view(args)
    diff = view.diff
    rows = diff.select(statuses)
    total = int(rows.size)
    paging.require_exists(total, f"diff of {view.a.name!r} and {view.b.name!r}")
    data = _tag_rows(view, rows[paging.offset : paging.offset + paging.size])
    pinned = view.pinned_args()
    kept = [*pinned, *([(STATUS_FILTER, args[STATUS_FILTER])] if args.get(STATUS_FILTER) else [])]
    unit = SINCE_UNITS[diff.time_type]
    meta = {
        **page_meta(paging, total),
        "rows": len(diff),
        "counts": diff.counts(),
        "statuses": [s for s in DIFF_STATUSES if s in statuses],
        "a": _side(view.a.name, view.a.object_type),
        "b": _side(view.b.name, view.b.object_type),
        "time_type": diff.time_type.value,
        "snapshot": iso(view.snapshot) if view.snapshot is not None else None,
        "compare_drawers": [d.name for d in view.compare],
        "compare_note": view.compare_note,
        "units": {"since": unit, "until": unit},
    }
    doc_links = {
        **page_links(url_for("api.diff_tags"), kept, paging, total),
        "html": url(url_for("diffs.tag_diff_page"), pinned),
    }
    pinned_now = view.snapshot is not None and view.snapshot <= request_time()
    return send_document(document(data, links=doc_links, meta=meta), pinned=pinned_now)


def _tag_rows(view: TagDiffView, page: npt.NDArray[np.intp]) -> list[dict[str, Any]]:
    """One page of a tag diff's rows as resources (a differing row links a compare plot)."""
    diff = view.diff
    since, until = diff.since[page], diff.until[page]
    since_text = since_texts(since, diff.time_type)
    links = view.compare_links(page, since_text)
    return [
        resource(
            "tagdiffrows",
            str(s),
            TagDiffAttributes(
                since=s,
                since_text=st,
                until=u,
                until_text=ut,
                status=status,
                payload_hash_a=ha or None,
                payload_hash_b=hb or None,
            ),
            links={"compare": link[0][1]} if link else None,
        )
        for s, st, u, ut, status, ha, hb, link in zip(
            since.tolist(),
            since_text,
            until.tolist(),
            since_texts(until, diff.time_type),
            diff.status_names(page),
            *diff.hashes(page),
            links,
            strict=True,
        )
    ]


def _side(name: str, object_type: str) -> dict[str, str]:
    return {"tag": name, "object_type": object_type}


@api.get("/diff/globaltags", DIFF_GLOBAL_TAGS)
def diff_global_tags() -> Response:
    """Records (record, label) whose tag differs between two global tags; paged."""
    args = api_args()
    paging = args.paging("globaltagdiff")
    statuses = parse_statuses(args.get(STATUS_FILTER), STATUS_FILTER)
    view = global_tag_diff_view(args)
    rows = view.diff.select(statuses)
    total = len(rows)
    paging.require_exists(total, f"diff of {view.diff.a!r} and {view.diff.b!r}")
    data: list[dict[str, Any]] = []
    for row in rows[paging.offset : paging.offset + paging.size]:
        links: dict[str, str] = {}
        if row.status == "differs" and row.tag_a and row.tag_b:
            pair = view.tag_diff_args(row.tag_a, row.tag_b)
            links = {
                "tag_diff": url(url_for("api.diff_tags"), pair),
                "html": url(url_for("diffs.tag_diff_page"), pair),
            }
        data.append(
            resource(
                "globaltagdiffrows",
                f"{row.record}/{row.label}",
                GlobalTagDiffAttributes(
                    record=row.record,
                    label=row.label,
                    tag_a=row.tag_a,
                    tag_b=row.tag_b,
                    status=row.status,
                ),
                links=links or None,
            )
        )
    pinned = [("db", view.db.alias), ("a", view.diff.a), ("b", view.diff.b)]
    kept = [*pinned, *([(STATUS_FILTER, args[STATUS_FILTER])] if args.get(STATUS_FILTER) else [])]
    meta = {
        **page_meta(paging, total),
        "rows": len(view.diff.rows),
        "counts": view.diff.counts(),
        "statuses": [s for s in DIFF_STATUSES if s in statuses],
    }
    doc_links = {
        **page_links(url_for("api.diff_global_tags"), kept, paging, total),
        "html": url(url_for("diffs.global_tag_diff_page"), pinned),
    }
    return send_document(document(data, links=doc_links, meta=meta))
