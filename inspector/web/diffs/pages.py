"""The diff pages: ``/diff/tags`` and ``/diff/globaltags``.

Both show a form when a side is missing (so the tag and global-tag pages
can link to them with one side filled in), then the summary counts, the
rows (differing rows only unless ``all=1``; a page states which) and a
pager that states the total.  The JSON form of the same view is linked.
"""

from __future__ import annotations

from typing import Any, Final

from flask import render_template, url_for

from inspector.conddb.diff import CHANGED, DIFF_STATUSES
from inspector.conddb.timetypes import since_texts
from inspector.errors import NotFound
from inspector.web.args import QueryArgs
from inspector.web.diffs.views import global_tag_diff_view, tag_diff_view
from inspector.web.jsonapi import url
from inspector.web.routing import Routes

__all__ = ["DIFF_PAGE_ROWS", "pages"]

pages = Routes("diffs")

#: Rows per page of the diff tables (the pager states the total).
DIFF_PAGE_ROWS: Final = 100
_PINNING: Final = ("db", "a", "b", "since", "until", "snapshot")


def _window(args: QueryArgs, total: int) -> tuple[int, int, int]:
    """(page, number of pages, offset of the first row) for ``total`` rows."""
    page = args.whole("page", 1, hi=10**9)
    pages = max(1, -(-total // DIFF_PAGE_ROWS))
    if page > pages:
        raise NotFound(f"diff page {page} is past the last page ({pages})")
    return page, pages, (page - 1) * DIFF_PAGE_ROWS


def _args() -> QueryArgs:
    """The arguments of a diff page: what pins the diff, ``all`` and ``page``.

    An unknown name is a 400 rather than ignored: a mistyped ``snaphot``
    would otherwise show the latest contents as if pinned.
    """
    return QueryArgs.checked((*_PINNING, "all", "page"), what="page")


@pages.get("/diff/tags")
def tag_diff_page() -> str:
    """Two tags aligned on since; a form when a side is missing."""
    args = _args()
    db = args.database()
    if not args.get("a") or not args.get("b"):
        return render_template("diff_tags.html", db=db, view=None, form=args)
    view = tag_diff_view(args)
    show_all = args.flag("all")
    statuses = frozenset(DIFF_STATUSES) if show_all else CHANGED
    selected = view.diff.select(statuses)
    page, pages, first = _window(args, int(selected.size))
    rows_index = selected[first : first + DIFF_PAGE_ROWS]
    diff = view.diff
    texts = since_texts(diff.since[rows_index], diff.time_type)
    rows = [
        {"since": s, "until": u, "a": ha, "b": hb, "status": st, "compare": link}
        for s, u, ha, hb, st, link in zip(
            texts,
            since_texts(diff.until[rows_index], diff.time_type),
            *diff.hashes(rows_index),
            diff.status_names(rows_index),
            view.compare_links(rows_index, texts),
            strict=True,
        )
    ]
    pinned = view.pinned_args()
    return render_template(
        "diff_tags.html",
        db=db,
        view=view,
        form=args,
        rows=rows,
        counts=diff.counts(),
        total=int(selected.size),
        show_all=show_all,
        page=page,
        pages=pages,
        first_row=first + 1,
        link=lambda **extra: _link("diffs.tag_diff_page", pinned, show_all, extra),
        api_url=url(url_for("api.diff_tags"), _api_args(pinned, show_all)),
    )


def _link(endpoint: str, pinned: list[tuple[str, str]], show_all: bool, extra: Any) -> str:
    merged = dict([*pinned, *([("all", "1")] if show_all else [])])
    for key, value in extra.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return url(url_for(endpoint), list(merged.items()))


def _api_args(pinned: list[tuple[str, str]], show_all: bool) -> list[tuple[str, str]]:
    if show_all:
        return pinned
    return [*pinned, ("filter[status]", ",".join(s for s in DIFF_STATUSES if s in CHANGED))]


@pages.get("/diff/globaltags")
def global_tag_diff_page() -> str:
    """Records whose tag differs between two global tags; a form when a side is missing."""
    args = _args()
    db = args.database()
    if not args.get("a") or not args.get("b"):
        return render_template("diff_globaltags.html", db=db, view=None, form=args)
    view = global_tag_diff_view(args)
    show_all = args.flag("all")
    selected = view.diff.select(frozenset(DIFF_STATUSES) if show_all else CHANGED)
    page, pages, first = _window(args, len(selected))
    pinned = [("db", db.alias), ("a", view.diff.a), ("b", view.diff.b)]
    return render_template(
        "diff_globaltags.html",
        db=db,
        view=view,
        form=args,
        rows=selected[first : first + DIFF_PAGE_ROWS],
        counts=view.diff.counts(),
        total=len(selected),
        show_all=show_all,
        page=page,
        pages=pages,
        first_row=first + 1,
        link=lambda **extra: _link("diffs.global_tag_diff_page", pinned, show_all, extra),
        tag_diff=lambda a, b: url(url_for("diffs.tag_diff_page"), view.tag_diff_args(a, b)),
        api_url=url(url_for("api.diff_global_tags"), _api_args(pinned, show_all)),
    )
