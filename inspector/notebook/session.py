"""``inspector.open``: one conditions database in a Python session (a notebook).

Physicists work in Jupyter; this is the command line's vocabulary as
Python calls, over the very engine the server and ``inspector plot`` use::

    db = inspector.open("demo")                  # a configured alias or a SQLite file
    db.tags("BeamSpot*")                         # TagList of Tag
    db.iovs("BeamSpotObjects_PCL_byLumi_v1", since="380000:1", until="380010:1")
    db.payload(hash)                             # DecodedPayload: named numpy arrays
    plot = db.plot("beamspot.position_x", tag="BeamSpotObjects_Realistic_byRun_v1")
    plot                                         # drawn by Bokeh, offline, in the notebook
    plot.to_pandas()                             # the CSV columns as a DataFrame

Nothing here is a second implementation: the configuration, plugins and
engine come from :class:`inspector.context.Context` (what the CLI runs on),
requests are :class:`~inspector.engine.PlotRequest`, ``since`` strings are
parsed as the CLI parses them, and errors are the ones the CLI prints.  The
session keeps one engine, so payloads decoded and history reductions
computed in one cell are reused by the next.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from inspector.conddb import ConditionsDB, IovList, RangeResolver, Tag
from inspector.conddb.timetypes import parse_snapshot
from inspector.config import Config, load_config
from inspector.context import Context, resolve_database
from inspector.engine import Engine, PlotRequest, Progress
from inspector.errors import InvalidParameter
from inspector.frames import tag_frame
from inspector.notebook.display import Drawing, use_plugins
from inspector.payload import DecodedPayload
from inspector.plots import PlotObject
from inspector.render.exports import RenderContext, RenderTools, export, render_context
from inspector.render.png import PngRenderer

__all__ = ["Session", "TagList", "open"]

#: What ``since``/``until``/``iov`` accept: the CLI's text forms, or a raw integer.
Since = str | int
#: A snapshot: an ISO 8601 text (UTC unless it says otherwise) or a datetime.
Snapshot = str | dt.datetime

#: Tags per query while :meth:`Session.tags` collects every match.
_TAG_PAGE = 500


class TagList(list[Tag]):
    """Tags found by :meth:`Session.tags`: a list, plus names and a DataFrame."""

    @property
    def names(self) -> list[str]:
        """The tag names, in order."""
        return [t.name for t in self]

    def to_pandas(self) -> Any:
        """One row per tag with its metadata (needs pandas)."""
        return tag_frame(self)


def open(
    source: str | os.PathLike[str] | None = None,
    *,
    config: str | os.PathLike[str] | Config | None = None,
) -> Session:
    """Open a conditions database for reading: a configured alias or a SQLite file.

    ``source`` is an alias of the configuration (``None``: its default
    database) or the path of a SQLite file.  ``config`` is a configuration
    file or a :class:`~inspector.config.Config`; by default it is found as
    the command line finds it (``INSPECTOR_CONFIG``, ``./inspector.toml``,
    else the built-in ``demo`` alias).  The database is opened now, so an
    unknown alias (:class:`~inspector.errors.NotFound`, listing the known
    ones) or an unreachable database
    (:class:`~inspector.errors.DatabaseUnavailable`) fails here, not at the
    first plot.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    if source is None:
        alias = cfg.database(None).alias
    else:
        cfg, db_config = resolve_database(cfg, source)
        alias = db_config.alias
    session = Session(Context(_config=cfg), alias)
    try:
        session.database.tables()  # connect now: a missing or broken database fails here
    except BaseException:
        session.close()
        raise
    return session


class Session:
    """One database of a configuration, with the engine and caches of the server.

    Made by :func:`inspector.open`.  Usable as a context manager; otherwise
    :meth:`close` releases connections (the process ending does too).
    """

    def __init__(self, context: Context, alias: str) -> None:
        self.context = context
        #: The database's alias: what provenance and permalinks name.
        self.alias = alias
        self._tools: RenderTools | None = None
        use_plugins(context.plugins)

    def __repr__(self) -> str:
        return f"<inspector.Session {self.alias!r}: {self.database.location}>"

    # -- resources ----------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine (resolution, decoding once per hash, drawer isolation, caches)."""
        return self.context.engine

    @property
    def database(self) -> ConditionsDB:
        """The conditions database itself, for queries this API does not wrap."""
        return self.engine.database(self.alias)

    def drawers(self, payload_type: str | None = None) -> list[str]:
        """Names of the installed drawers (those reading ``payload_type`` when given)."""
        registry = self.context.plugins.drawers
        return sorted(
            d.name for d in registry if payload_type is None or d.applies_to(payload_type)
        )

    def close(self) -> None:
        """Release database connections, the engine's workers and any PNG browser."""
        if self._tools is not None:
            self._tools.close()
            self._tools = None
        self.context.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- browsing -----------------------------------------------------------------

    def tags(
        self,
        pattern: str | None = None,
        *,
        object_type: str | None = None,
        time_type: str | None = None,
    ) -> TagList:
        """Every tag whose name contains ``pattern``, or matches it with ``*`` and ``?``.

        Any case; ``object_type`` and ``time_type`` (``run``, ``lumi``,
        ``time``, ...) narrow the search as ``inspector list tags`` does.
        All matches are returned, in name order (the CLI pages them).
        """
        found = TagList()
        page = 1
        while True:
            result = self.database.search_tags(
                pattern,
                object_type=object_type,
                time_type=time_type,
                page=page,
                page_size=_TAG_PAGE,
            )
            found.extend(result.items)
            if page >= result.pages:
                return found
            page += 1

    def tag(self, name: str) -> Tag:
        """One tag's metadata (time type, payload type, end of validity, ...)."""
        return self.database.tag(name)

    def iovs(
        self,
        tag: str,
        *,
        since: Since | None = None,
        until: Since | None = None,
        snapshot: Snapshot | None = None,
    ) -> IovList:
        """The IOVs of ``tag`` overlapping ``[since, until]``, as of ``snapshot``.

        ``since``/``until`` take what ``inspector list iovs`` takes: a run (on
        any time type), ``run:lumi``, ``fill N``, an ISO time, ``first``/``last``,
        ``inf`` or the raw integer (:class:`~inspector.conddb.RangeResolver`).
        The list is columnar (numpy arrays) and iterates as
        :class:`~inspector.conddb.Iov`; ``.to_pandas()`` gives a DataFrame.
        Served from the engine's short-lived IOV cache, like the server.
        """
        meta = self.database.tag(tag)
        when = _snapshot(snapshot)
        resolver = RangeResolver(self.database, meta, when)
        lo, hi = resolver.range(_text(since, "since"), _text(until, "until"))
        return self.engine.iovs(self.alias, tag, since=lo, until=hi, snapshot=when)

    def payload(self, payload_hash: str) -> DecodedPayload:
        """The payload ``payload_hash`` decoded with its declared layout (cached by hash).

        CMSSW archives and flat layouts alike: fields by member path
        (``payload["position_"]``) as numpy arrays; ``list(payload)`` names them.
        """
        return self.engine.decoded_payload(self.alias, payload_hash)

    # -- plotting -----------------------------------------------------------------

    def plot(
        self,
        drawer: str,
        *,
        tag: str,
        iov: Since | None = None,
        tag2: str | None = None,
        iov2: Since | None = None,
        since: Since | None = None,
        until: Since | None = None,
        snapshot: Snapshot | None = None,
        cert: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
        **parameters: Any,
    ) -> PlotObject:
        """Run ``drawer`` as ``inspector plot`` does and return its plot object.

        ``iov`` (and ``tag2``/``iov2`` for a comparison) pick the payloads of
        single and compare drawers (latest IOV when left out); ``since`` and
        ``until`` bound a history.  Drawer parameters are keyword arguments
        (``bins=50``), or ``params={...}`` for any name; they are validated
        by the drawer's declaration.  The plot displays itself in Jupyter and
        converts with ``.to_pandas()`` and ``.to_dict()``.
        """
        given = dict(params or {})
        both = sorted(set(given) & set(parameters))
        if both:
            raise InvalidParameter(both[0], "given both in params and as a keyword argument")
        given.update(parameters)
        request = PlotRequest(
            drawer=drawer,
            db=self.alias,
            tag=tag,
            iov=_text(iov, "iov"),
            tag2=tag2,
            iov2=_text(iov2, "iov2"),
            since=_text(since, "since"),
            until=_text(until, "until"),
            snapshot=_snapshot(snapshot),
            params=given,
            cert=cert,
        )
        return self.engine.plot(request, progress=progress)

    # -- drawing and exports --------------------------------------------------------

    def render_context(self, plot: PlotObject, **view: str | int) -> RenderContext:
        """What the CLI and the web draw ``plot`` with: LHC fills of its range, the view.

        The request is read back from the plot's provenance (its canonical
        query), so only plots this database's engine made qualify.  ``view``
        takes the view fields of a plot URL (``xaxis``, ``width``,
        ``height``, ``series``), checked as there.
        """
        prov = plot.provenance
        if not prov.query or prov.db != self.alias:
            raise InvalidParameter(
                "plot", f"was not made by db.plot on database {self.alias!r} (no query to redo)"
            )
        pairs = [*parse_qsl(prov.query), *((k, str(v)) for k, v in view.items())]
        request = PlotRequest.from_query(prov.drawer, pairs, self.alias)
        return render_context(self._render_tools(), self.database, plot, request)

    def export(self, plot: PlotObject, fmt: str = "html", **view: str | int) -> bytes:
        """``plot`` in an export format (json, csv, html, png, cmspi, plugins' formats).

        Byte for byte what ``inspector plot --format FMT`` writes for the same
        request: the one export path, with this database's render context.
        ``png`` needs the configured browser (``[png]``, docs/cli.md).
        """
        return export(plot, fmt, self.render_context(plot, **view))

    def show(self, plot: PlotObject, **view: str | int) -> Drawing:
        """``plot`` to display with this database's run context (a history's LHC fills).

        A plot displays itself without it; ``db.show(plot, xaxis="time")``
        draws it as the web page and the HTML export do.
        """
        return Drawing(plot, self.render_context(plot, **view))

    def _render_tools(self) -> RenderTools:
        """The plugins' registries and this configuration's PNG browser (started on use)."""
        if self._tools is None:
            png = PngRenderer(self.context.config.png)
            self._tools = RenderTools.from_plugins(self.context.plugins, png)
        return self._tools


def _text(value: Since | None, parameter: str) -> str | None:
    """A ``since`` as the request's text (integers as decimal: the raw value)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(parameter, f"{value!r} is neither a text nor an integer since")
    return str(value)


def _snapshot(value: Snapshot | None) -> dt.datetime | None:
    """A snapshot as naive UTC, whether written as text or given as a datetime."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    return parse_snapshot(value)
