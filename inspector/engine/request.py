"""What a plot is asked for: one request shape shared by web, API and CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
