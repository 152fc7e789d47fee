"""What a plot is asked for: one request shape shared by web, API and CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from inspector.conddb.timetypes import format_snapshot

__all__ = ["PlotRequest"]


@dataclass(frozen=True)
class PlotRequest:
    """A drawer applied to IOVs of one or two tags.

    ``iov``/``iov2``/``since``/``until`` are user-written ``since`` values
    (run, ``run:ls``, ISO time or raw integers), parsed with the tag's time
    type.  ``snapshot`` pins the tag contents; ``params`` are the drawer's
    parameters as given (validated by the engine).  ``cert`` names a
    configured certification file: a history keeps only the IOVs that
    overlap certified data (docs/certification.md).
    """

    drawer: str
    tag: str
    db: str | None = None
    iov: str | None = None
    tag2: str | None = None
    iov2: str | None = None
    since: str | None = None
    until: str | None = None
    snapshot: dt.datetime | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    cert: str | None = None

    def query_items(self, db: str) -> list[tuple[str, str]]:
        """The canonical data query of this request, ``db`` being its resolved alias.

        Data-pinning arguments in a fixed order, then the drawer parameters
        sorted by name: the query string of the plot page's permalink, and
        what every export states in its provenance.
        """
        items = [("db", db), ("tag", self.tag)]
        for key in ("iov", "tag2", "iov2", "since", "until", "cert"):
            value = getattr(self, key)
            if value:
                items.append((key, value))
        if self.snapshot is not None:
            items.append(("snapshot", format_snapshot(self.snapshot)))
        return items + sorted((k, str(v)) for k, v in self.params.items())

    def query_string(self, db: str) -> str:
        """:meth:`query_items` URL-encoded, ``:`` and ``*`` left readable."""
        return urlencode(self.query_items(db), safe=":*")
