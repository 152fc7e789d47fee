"""``/plot/<drawer>/export.cmspi``: the plot in the CMS Payload Inspector JSON shape.

Same query string as the plot page, plus ``series=NAME`` to pick one series
of a multi-series History (the CMSSW form holds one y per point).  The plot
object comes from the web state's plot cache; the conversion
(:mod:`inspector.plots.cmspi`) is a vectorised pass over its arrays.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from flask import Response, request

from inspector.plots.cmspi import to_cmspi_bytes
from inspector.web.permalinks import MAX_VALUE, PlotQuery
from inspector.web.responses import serve
from inspector.web.state import Rendered, state

__all__ = ["CMSPI", "SERIES", "cmspi_export"]

#: The export name (``export.cmspi``).
CMSPI: Final = "cmspi"
#: The export-only argument naming the History series to write.
SERIES: Final = "series"


def cmspi_export(drawer: str) -> Response:
    """The CMS Payload Inspector document of the plot the query string names."""
    web = state()
    args = request.args.copy()
    series = args.pop(SERIES, None)
    if series is not None:
        series = series.strip()[:MAX_VALUE] or None
    query = PlotQuery.from_args(drawer, args, web.config.default_database)
    plot = web.plot(query)
    payload_type = web.engine.database(query.db).tag(query.tag).object_type
    body = to_cmspi_bytes(plot, payload_type, series=series)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    suffix = "." + re.sub(r"[^A-Za-z0-9_.-]", "_", series) if series else ""
    name = f"{drawer}{suffix}.cmspi.json"
    rendered = Rendered.of(body, "application/json")
    return serve(rendered, pinned=query.is_pinned(now), download=name)
