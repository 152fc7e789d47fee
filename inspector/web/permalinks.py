"""Plot URLs: parse them into requests and write canonical, readable permalinks.

A plot is addressed by a readable query string::

    /plot/beamspot.position_x?db=demo&tag=BeamSpotObjects_PCL_byLumi_v1
        &since=379100&until=380000&snapshot=2024-10-01T12:00:00Z&xaxis=time

``db``, ``tag``, ``iov``, ``tag2``, ``iov2``, ``since``, ``until``,
``snapshot`` and ``cert`` (a certification file: history plots keep only
certified IOVs) pin the data; every other name is a drawer parameter, except the
view options ``xaxis``, ``width`` and ``height``, which change only the drawing,
and ``notes``, a fingerprint of the annotation markers that the plot page
adds to its drawing's URL so browsers refetch it when notes change.
A link with a ``snapshot`` in the past always shows the same plot.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from inspector.conddb.timetypes import parse_snapshot
from inspector.engine import PlotRequest
from inspector.errors import InvalidParameter

__all__ = ["DATA_KEYS", "VIEW_KEYS", "PlotQuery"]

DATA_KEYS: Final = ("db", "tag", "iov", "tag2", "iov2", "since", "until", "snapshot", "cert")
VIEW_KEYS: Final = ("xaxis", "width", "height", "notes")
MAX_VALUE: Final = 500


@dataclass(frozen=True)
class PlotQuery:
    """One plot, fully described by its URL (see the module docstring)."""

    drawer: str
    db: str
    tag: str
    iov: str | None = None
    tag2: str | None = None
    iov2: str | None = None
    since: str | None = None
    until: str | None = None
    snapshot: dt.datetime | None = None
    params: tuple[tuple[str, str], ...] = ()
    view: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    cert: str | None = None

    @classmethod
    def from_args(cls, drawer: str, args: MultiDict[str, str], default_db: str) -> PlotQuery:
        """Parse a request's query arguments; bad or repeated values are named."""
        single: dict[str, str] = {}
        for key in args:
            values = args.getlist(key)
            if len(values) > 1:
                raise InvalidParameter(key, "is given more than once")
            value = values[0].strip()
            if len(value) > MAX_VALUE:
                raise InvalidParameter(key, f"longer than {MAX_VALUE} characters")
            single[key] = value
        tag = single.get("tag", "")
        if not tag:
            raise InvalidParameter("tag", "is required (the tag to plot)")
        view = tuple(sorted((k, v) for k, v in single.items() if k in VIEW_KEYS))
        _check_view(dict(view))
        params = tuple(
            sorted(
                (k, v)
                for k, v in single.items()
                if k not in DATA_KEYS and k not in VIEW_KEYS and k != "format"
            )
        )
        return cls(
            drawer=drawer,
            db=single.get("db") or default_db,
            tag=tag,
            iov=single.get("iov") or None,
            tag2=single.get("tag2") or None,
            iov2=single.get("iov2") or None,
            since=single.get("since") or None,
            until=single.get("until") or None,
            snapshot=parse_snapshot(single.get("snapshot")),
            params=params,
            view=view,
            cert=single.get("cert") or None,
        )

    def to_request(self) -> PlotRequest:
        """The engine request of this plot."""
        return PlotRequest(
            drawer=self.drawer,
            db=self.db,
            tag=self.tag,
            iov=self.iov,
            tag2=self.tag2,
            iov2=self.iov2,
            since=self.since,
            until=self.until,
            snapshot=self.snapshot,
            params=dict(self.params),
            cert=self.cert,
        )

    def data_items(self) -> list[tuple[str, str]]:
        """The data-pinning arguments in canonical order, then the parameters."""
        return self.to_request().query_items(self.db)

    def query_string(self, *, view: bool = True, **overrides: str | None) -> str:
        """Canonical query string; ``overrides`` replace or (with ``None``) drop keys."""
        items = self.data_items() + (list(self.view) if view else [])
        merged: dict[str, str] = dict(items)
        for key, value in overrides.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        # ":" and "*" stay readable (times, run:lumisection, globs).
        return urlencode(list(merged.items()), safe=":*")

    @property
    def cache_key(self) -> str:
        """Identity of the data (view options excluded)."""
        return f"{self.drawer}?{self.query_string(view=False)}"

    def view_options(self) -> dict[str, str | int]:
        """Rendering options: x axis and size."""
        opts: dict[str, str | int] = {}
        for key, value in self.view:
            if key == "notes":  # fingerprints the annotation markers: a cache key, no option
                continue
            opts["x_axis" if key == "xaxis" else key] = int(value) if key != "xaxis" else value
        return opts

    def is_pinned(self, now: dt.datetime) -> bool:
        """A snapshot in the past fixes the data for good."""
        return self.snapshot is not None and self.snapshot <= now

    def pinned_at(self, when: dt.datetime) -> PlotQuery:
        """The same plot with the snapshot set (kept if already set)."""
        return (
            self
            if self.snapshot is not None
            else replace(self, snapshot=when.replace(microsecond=0))
        )

    def with_params(self, params: Mapping[str, str]) -> PlotQuery:
        """The same plot with other drawer parameters."""
        return replace(self, params=tuple(sorted(params.items())))


def _check_view(view: Mapping[str, str]) -> None:
    if "xaxis" in view and view["xaxis"] not in ("since", "time"):
        raise InvalidParameter("xaxis", f"{view['xaxis']!r} is not 'since' or 'time'")
    if "notes" in view and not re.fullmatch(r"[0-9a-f]{1,16}", view["notes"]):
        raise InvalidParameter("notes", f"{view['notes']!r} is not a notes fingerprint")
    for key in ("width", "height"):
        if key in view:
            try:
                size = int(view[key])
            except ValueError:
                raise InvalidParameter(key, f"{view[key]!r} is not a whole number") from None
            if not 100 <= size <= 4000:
                raise InvalidParameter(key, f"{size} is not within 100..4000 pixels")
