"""What the diff page and the diff API share: reading the request, running the diff, links.

The diff itself is :mod:`inspector.conddb.diff` (pure numpy); here the two
tags (or global tags) named in a request are fetched through the engine's
IOV cache, the range and snapshot are parsed with the first tag's time type,
and each differing row gets a link to the plot page of a ``compare`` drawer
that reads both payload types (two-tag form: ``tag``/``iov``/``tag2``/``iov2``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from flask import url_for

from inspector.conddb import ConditionsDB, Tag
from inspector.conddb.diff import DIFF_STATUSES, GlobalTagDiff, TagDiff, diff_global_tags, diff_tags
from inspector.conddb.ranges import RangeResolver
from inspector.conddb.timetypes import format_snapshot, parse_snapshot
from inspector.drawers import Drawer
from inspector.errors import InvalidParameter
from inspector.request import PlotRequest
from inspector.web.state import state

__all__ = ["GlobalTagDiffView", "TagDiffView", "global_tag_diff_view", "tag_diff_view"]


@dataclass(frozen=True)
class TagDiffView:
    """A tag diff with what its request pinned and the drawers that can compare its rows."""

    db: ConditionsDB
    a: Tag
    b: Tag
    since: str | None
    until: str | None
    snapshot: dt.datetime | None
    diff: TagDiff
    compare: tuple[Drawer, ...]

    @property
    def compare_note(self) -> str | None:
        """Why rows have no compare link, when no drawer reads both payload types."""
        if self.compare:
            return None
        if self.a.object_type == self.b.object_type:
            return f"no compare drawer reads {self.a.object_type} payloads"
        return (
            f"no compare drawer reads both {self.a.object_type} ({self.a.name}) and "
            f"{self.b.object_type} ({self.b.name}) payloads"
        )

    def pinned_args(self) -> list[tuple[str, str]]:
        """``db``, ``a``, ``b`` and the range and snapshot as given: what every link keeps."""
        items = [("db", self.db.alias), ("a", self.a.name), ("b", self.b.name)]
        items += [(k, v) for k, v in (("since", self.since), ("until", self.until)) if v]
        if self.snapshot is not None:
            items.append(("snapshot", format_snapshot(self.snapshot)))
        return items

    def compare_links(
        self, rows: npt.NDArray[np.intp], texts: list[str]
    ) -> list[list[tuple[str, str]]]:
        """Per row, (drawer, plot page) of every compare drawer; empty unless ``differs``."""
        differs = (self.diff.status[rows] == DIFF_STATUSES.index("differs")).tolist()
        return [
            [(d.name, compare_url(self, d, text)) for d in self.compare] if is_diff else []
            for text, is_diff in zip(texts, differs, strict=True)
        ]


def compare_url(view: TagDiffView, drawer: Drawer, since_text: str) -> str:
    """The plot page comparing the payloads of A and B valid at ``since_text``."""
    query = PlotRequest(
        drawer=drawer.name,
        db=view.db.alias,
        tag=view.a.name,
        iov=since_text,
        tag2=view.b.name,
        iov2=since_text,
        snapshot=view.snapshot,
    )
    return f"{url_for('pages.plot_page', drawer=drawer.name)}?{query.query_string()}"


def _required(args: Mapping[str, str], name: str, what: str) -> str:
    value = (args.get(name) or "").strip()
    if not value:
        raise InvalidParameter(name, f"is required ({what})")
    return value


def tag_diff_view(args: Mapping[str, str]) -> TagDiffView:
    """Read ``db``, ``a``, ``b``, ``since``, ``until``, ``snapshot`` and diff the two tags."""
    web = state()
    db = web.engine.database(args.get("db") or None)
    a = db.tag(_required(args, "a", "the first tag"))
    b = db.tag(_required(args, "b", "the second tag"))
    since_text = (args.get("since") or "").strip() or None
    until_text = (args.get("until") or "").strip() or None
    snapshot = parse_snapshot(args.get("snapshot") or None)
    since, until = RangeResolver(db, a, snapshot).range(since_text, until_text)
    with web.engine.admission.enter():  # two IOV lists of up to 200,000 IOVs, compared
        iovs_a = web.engine.iovs(db.alias, a.name, since=since, until=until, snapshot=snapshot)
        iovs_b = web.engine.iovs(db.alias, b.name, since=since, until=until, snapshot=snapshot)
        diff = diff_tags(iovs_a, iovs_b, since=since, until=until)
    compare = tuple(
        d
        for d in web.plugins.drawers
        if d.kind == "compare" and d.applies_to(a.object_type) and d.applies_to(b.object_type)
    )
    return TagDiffView(db, a, b, since_text, until_text, snapshot, diff, compare)


@dataclass(frozen=True)
class GlobalTagDiffView:
    """A global-tag diff and the database it came from."""

    db: ConditionsDB
    diff: GlobalTagDiff

    def tag_diff_args(self, tag_a: str, tag_b: str) -> list[tuple[str, str]]:
        """The query of the tag diff of one row's two tags."""
        return [("db", self.db.alias), ("a", tag_a), ("b", tag_b)]


def global_tag_diff_view(args: Mapping[str, Any]) -> GlobalTagDiffView:
    """Read ``db``, ``a``, ``b`` and pair the records of the two global tags."""
    db = state().engine.database(args.get("db") or None)
    a = _required(args, "a", "the first global tag")
    b = _required(args, "b", "the second global tag")
    diff = diff_global_tags(a, db.global_tag_map(a), b, db.global_tag_map(b))
    return GlobalTagDiffView(db, diff)
