"""The engine: one straight path from a request to a plot object.

    resolve IOVs → fetch blobs (batched) → decode once per hash (cached)
    → run the drawer (isolated, time-limited) → plot object with provenance

History drawers are evaluated once per *distinct payload hash*; their small
results are cached by (drawer, parameters, hash) and joined with the IOV
timeline in one vectorised step, so a 10,000-IOV history over 1,000 payloads
costs 1,000 reductions cold and none warm.  The web layer and the CLI are
thin edges over :meth:`Engine.plot`.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.admission import Admission
from inspector.conddb import (
    ConditionsDB,
    IovList,
    Payload,
    RangeResolver,
    Tag,
    format_since,
    open_database,
)
from inspector.conddb.runs import RunTimeline
from inspector.conddb.timetypes import TimeType
from inspector.config import Config
from inspector.drawers import DrawContext, Drawer, ParamValue, validate_params
from inspector.engine.cache import CacheStats, SingleFlight, byte_cache, ttl_cache
from inspector.engine.certified import CertifiedIovs, keep_certified
from inspector.engine.observe import PlotObserver, observed
from inspector.engine.reductions import (
    check_applies,
    history_range,
    history_title,
    join_series,
    labels_of,
    normalise,
    reduction_params,
)
from inspector.engine.runner import DrawerRunner
from inspector.engine.settings import EngineSettings
from inspector.engine.shared_cache import attach_shared_reductions
from inspector.errors import (
    BadRequest,
    DrawerError,
    InvalidParameter,
    NotFound,
    PayloadDecodeError,
)
from inspector.geometry import GeometryRegistry
from inspector.payload import DecodedPayload, decode
from inspector.plots import History, PlotObject, Provenance
from inspector.plugin import Plugins
from inspector.request import PlotRequest

__all__ = ["Engine", "EngineSettings", "Progress", "Reducing"]

#: ``progress(done, total)``: distinct payloads reduced so far, out of how many.
Progress = Callable[[int, int], None]
#: ``reducing(payload_hash)``: a history starts reducing this payload (not cached).
Reducing = Callable[[str], None]

#: Blobs fetched per database round trip when a history reduces many payloads.
_FETCH_BATCH: Final = 200


class Engine:
    """Resolves requests into plot objects (see the module docstring)."""

    def __init__(
        self, config: Config, plugins: Plugins, settings: EngineSettings | None = None
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.settings = settings or config.engine
        s = self.settings
        self.decoded: SingleFlight[DecodedPayload] = byte_cache("decoded", s.decoded_cache_bytes)
        self.reductions: SingleFlight[Any] = byte_cache("reductions", s.reduction_cache_bytes)
        # Optional Redis tier shared with other processes ([cache] in the configuration).
        self.shared = attach_shared_reductions(self.reductions, config, plugins)
        self.plot_observers: list[PlotObserver] = []  # told each plot's duration (metrics)
        self.iov_lists: SingleFlight[IovList] = ttl_cache(
            "iovs", s.iov_cache_bytes, s.iov_cache_seconds
        )
        self._databases: dict[str, ConditionsDB] = {}
        self._db_lock = threading.Lock()
        #: payloads this engine decoded (cached or not): what "decoded once" counts
        self.decodes = 0
        self._decodes_lock = threading.Lock()
        #: drawer code runs here: on worker threads, time-limited, failures wrapped
        self.runner = DrawerRunner(s.workers, s.drawer_timeout)
        #: what an edge passes before expensive work: beyond its slots, a fast 503
        self.admission = Admission("plots", s.admission_slots, "expensive requests")

    def close(self) -> None:
        """Stop the worker pool and release database connections."""
        self.runner.close()
        if self.shared is not None:
            self.shared.close()
        for db in self._databases.values():
            db.close()

    # -- data access ----------------------------------------------------------

    def database(self, alias: str | None) -> ConditionsDB:
        """The database of a configured alias, opened once."""
        cfg = self.config.database(alias)
        with self._db_lock:
            if cfg.alias not in self._databases:
                self._databases[cfg.alias] = open_database(cfg)
            return self._databases[cfg.alias]

    def iovs(
        self,
        alias: str | None,
        tag: str,
        *,
        since: int | None = None,
        until: int | None = None,
        snapshot: Any = None,
    ) -> IovList:
        """IOVs of a tag (cached for a short time; pinned snapshots alike).

        Reading a list is expensive work (a 10,000-IOV list is tens of
        milliseconds, a distinct ``snapshot`` per request misses every time):
        a miss passes :attr:`admission`, or is refused at once.
        """
        db = self.database(alias)
        key = (db.alias, tag, since, until, snapshot)
        with self.iov_lists.lookup(key) as slot:
            if slot.missing:
                with self.admission.enter():
                    slot.value = db.iovs(tag, since=since, until=until, snapshot=snapshot)
        return slot.value

    def check_history_size(self, iovs: IovList, *, timeline: bool = False) -> None:
        """Refuse a history over more IOVs than ``max_history_iovs`` (400, naming the limit).

        ``timeline``: the tag page's timeline, bounded by ``max_timeline_iovs``.
        """
        s = self.settings
        limit, key = (
            (s.max_timeline_iovs, "max_timeline_iovs")
            if timeline
            else (s.max_history_iovs, "max_history_iovs")
        )
        if len(iovs) > limit:
            what = "the tag timeline draws" if timeline else "one history may hold"
            raise InvalidParameter(
                "since",
                f"tag {iovs.tag!r} has {len(iovs):,} IOVs in this range, more than the "
                f"{limit:,} {what} ([engine] {key}); "
                "narrow the range with since and until",
            )

    def decoded_payload(self, alias: str | None, payload_hash: str) -> DecodedPayload:
        """A payload decoded with its declared schema, once per hash."""
        db = self.database(alias)

        def load() -> DecodedPayload:
            return self._decode(db.payload(payload_hash))

        return self.decoded.get_or_compute((db.alias, payload_hash), load)

    def _decode(self, payload: Payload) -> DecodedPayload:
        """Decode one fetched payload with its declared layout (counted in ``decodes``)."""
        schema = self.plugins.schemas.get(payload.object_type, payload.version)
        decoded = decode(
            payload.data, schema, payload_hash=payload.hash, streamer_info=payload.streamer_info
        )
        with self._decodes_lock:
            self.decodes += 1
        return decoded

    def _fetch_undecoded(self, db: ConditionsDB, hashes: Sequence[str]) -> dict[str, Payload]:
        """Blobs of the ``hashes`` not yet decoded, in one batched fetch."""
        missing = [h for h in hashes if (db.alias, h) not in self.decoded]
        if not missing:
            return {}
        payloads = db.payloads(missing)
        for h in missing:
            if h not in payloads:
                raise NotFound(f"payload {h!r} does not exist in database {db.alias!r}")
        return payloads

    def _decode_fetched(
        self, db: ConditionsDB, h: str, fetched: dict[str, Payload]
    ) -> DecodedPayload:
        """Decode a blob a history fetched in a batch (or load it alone if it was not).

        Not kept in the decoded-payload cache: the history's small results are
        what is cached (by payload hash), and a thousand payloads read once
        would only push out the ones pages come back to.
        """
        payload = fetched.pop(h, None)
        if payload is None:
            return self.decoded_payload(db.alias, h)
        return self._decode(payload)

    def cache_stats(self) -> list[CacheStats]:
        """Counters of every engine cache."""
        return [c.stats() for c in (self.decoded, self.reductions, self.iov_lists)]

    # -- plotting -------------------------------------------------------------

    @observed
    def plot(
        self,
        request: PlotRequest,
        progress: Progress | None = None,
        *,
        time_limit: float | None = None,
        reducing: Reducing | None = None,
    ) -> PlotObject:
        """Run the request's drawer; errors name what was wrong.

        ``time_limit`` replaces the drawer's limit for a history's whole
        reduction (background jobs allow minutes where a request allows seconds).
        ``reducing`` is told each payload a history starts to reduce, so a job
        whose process dies can say which payload it was on.
        """
        drawer, params, db, tag = self._prepare(request)
        if drawer.kind == "history":
            return self._history(drawer, db, tag, request, params, progress, time_limit, reducing)
        if drawer.kind == "compare":
            return self._compare(drawer, db, tag, request, params)
        return self._single(drawer, db, tag, request, params)

    def check(self, request: PlotRequest) -> str:
        """What ``request`` would plot, in words, with every input checked as :meth:`plot`
        checks it, but nothing decoded or drawn.

        The plot form asks this before it leaves the page: a bad range or
        parameter is then said in the form, and the plot drawn stays.  A
        history's IOV list is the one :meth:`plot` reads next (cached).
        """
        drawer, _, db, tag = self._prepare(request)
        if drawer.kind == "history":
            iovs, _ = self._history_iovs(db, tag, request)
            first, last = (format_since(int(s), tag.time_type) for s in iovs.since[[0, -1]])
            return f"{len(iovs):,} IOV{'s' if len(iovs) != 1 else ''}, {first} … {last}"
        if drawer.kind == "compare":
            (tag1, since1, _), (tag2, since2, _) = self._compare_sides(drawer, db, tag, request)
            return " vs ".join(labels_of(tag1, since1, tag2, since2))
        since, _ = self._resolve(db, tag, request.iov, request.snapshot, "iov")
        return f"IOV {format_since(since, tag.time_type)}"

    def _prepare(
        self, request: PlotRequest
    ) -> tuple[Drawer, dict[str, ParamValue], ConditionsDB, Tag]:
        """The drawer, its checked parameters, the database and the tag of ``request``."""
        drawer = self.plugins.drawers.get(request.drawer)
        params = validate_params(drawer.params, request.params)
        db = self.database(request.db)
        tag = db.tag(request.tag)
        check_applies(drawer, tag, "tag")
        if request.cert:
            self.config.certifications.get_named(request.cert)  # unknown: a 400 naming it
            if drawer.kind != "history":
                raise InvalidParameter("cert", "certification filters history plots only")
        return drawer, params, db, tag

    def _resolve(
        self, db: ConditionsDB, tag: Tag, text: str | None, snapshot: Any, parameter: str
    ) -> tuple[int, str]:
        """The (since, payload hash) of the IOV valid at ``text`` (default: latest)."""
        iovs = self.iovs(db.alias, tag.name, snapshot=snapshot)
        if len(iovs) == 0:
            raise NotFound(
                f"tag {tag.name!r} has no IOVs"
                + (" at that snapshot" if snapshot is not None else "")
            )
        if text is None or text == "":
            return int(iovs.since[-1]), iovs.hash_at(-1)
        point = RangeResolver(db, tag, snapshot).point(text, "since", parameter)
        iov = iovs.covering(point)
        return iov.since, iov.payload_hash

    def _single(
        self,
        drawer: Drawer,
        db: ConditionsDB,
        tag: Tag,
        request: PlotRequest,
        params: dict[str, ParamValue],
    ) -> PlotObject:
        since, h = self._resolve(db, tag, request.iov, request.snapshot, "iov")
        payload = self.decoded_payload(db.alias, h)
        context = functools.partial(self._context, db, tag, h)
        plot: PlotObject = self.runner.run(
            drawer, lambda: drawer.call(payload, params, context=context)
        )
        prov = self._provenance(drawer, db, request, params, tag, [tag.name], [since], [h], ())
        return plot.with_provenance(prov)

    def _compare(
        self,
        drawer: Drawer,
        db: ConditionsDB,
        tag: Tag,
        request: PlotRequest,
        params: dict[str, ParamValue],
    ) -> PlotObject:
        (_, since1, h1), (tag2, since2, h2) = self._compare_sides(drawer, db, tag, request)
        first = self.decoded_payload(db.alias, h1)
        second = self.decoded_payload(db.alias, h2)
        labels = labels_of(tag, since1, tag2, since2)
        context = functools.partial(self._context, db, tag, h1, h2)
        plot: PlotObject = self.runner.run(
            drawer, lambda: drawer.call(first, second, params, labels, context=context)
        )
        tags = [tag.name] if tag2 is tag else [tag.name, tag2.name]
        prov = self._provenance(
            drawer, db, request, params, tag, tags, [since1, since2], [h1, h2], labels
        )
        return plot.with_provenance(prov)

    def _compare_sides(
        self, drawer: Drawer, db: ConditionsDB, tag: Tag, request: PlotRequest
    ) -> tuple[tuple[Tag, int, str], tuple[Tag, int, str]]:
        """Side A and side B of a comparison: (tag, since, payload hash) each."""
        if request.tag2:
            tag2 = db.tag(request.tag2)
            check_applies(drawer, tag2, "tag2")
            iov2_text = request.iov2 if request.iov2 else request.iov
        else:
            tag2 = tag
            if not request.iov or not request.iov2:
                raise InvalidParameter(
                    "iov2",
                    "a comparison within one tag needs both iov and iov2 "
                    "(or give tag2 to compare two tags)",
                )
            iov2_text = request.iov2
        since1, h1 = self._resolve(db, tag, request.iov, request.snapshot, "iov")
        since2, h2 = self._resolve(db, tag2, iov2_text, request.snapshot, "iov2")
        return (tag, since1, h1), (tag2, since2, h2)

    def _history(
        self,
        drawer: Drawer,
        db: ConditionsDB,
        tag: Tag,
        request: PlotRequest,
        params: dict[str, ParamValue],
        progress: Progress | None,
        time_limit: float | None = None,
        reducing: Reducing | None = None,
    ) -> PlotObject:
        iovs, certified = self._history_iovs(db, tag, request)
        hashes, inverse = iovs.distinct_hashes()
        results = self.runner.run(
            drawer,
            lambda: self._reduce_all(
                drawer, db, tag, params, list(map(str, hashes)), progress, reducing
            ),
            expect_plot=False,
            limit=time_limit,
        )
        series = join_series(drawer, results, inverse)
        timeline = self._timeline(db, iovs)
        plot = History(
            title=history_title(drawer, params),
            since=iovs.since,
            until=iovs.until,
            time_type=tag.time_type.value,
            series=series,
            payload_hashes=hashes,
            payload_codes=inverse,
            insertion_time=iovs.insertion_time,
            time=timeline,
            y_label=drawer.y_label or drawer.unit,
        )
        prov = self._provenance(
            drawer,
            db,
            request,
            params,
            tag,
            [tag.name],
            [int(iovs.since[0]), int(iovs.since[-1])],
            [],
            (),
        )
        if certified is not None:
            prov = dataclasses.replace(prov, certification=certified.certification.provenance())
            return plot.with_provenance(prov).with_notes(certified.note)
        return plot.with_provenance(prov)

    def _history_iovs(
        self, db: ConditionsDB, tag: Tag, request: PlotRequest
    ) -> tuple[IovList, CertifiedIovs | None]:
        """The IOVs a history draws: of its range (some, and not more than a history may
        hold), and of those the certified ones when ``cert`` asks (with what that kept)."""
        since, until = history_range(db, request, tag)
        iovs = self.iovs(db.alias, tag.name, since=since, until=until, snapshot=request.snapshot)
        if len(iovs) == 0:
            raise NotFound(_empty_range(tag, since, until))
        self.check_history_size(iovs)
        if not request.cert:
            return iovs, None
        certified = keep_certified(self.config.certifications, db, iovs, request.cert)
        return certified.iovs, certified

    def _reduce_all(
        self,
        drawer: Drawer,
        db: ConditionsDB,
        tag: Tag,
        params: dict[str, ParamValue],
        hashes: list[str],
        progress: Progress | None,
        reducing: Reducing | None = None,
    ) -> list[dict[str, Any]]:
        key_params = reduction_params(params)
        total = len(hashes)
        keys = [(drawer.name, key_params, db.alias, h) for h in hashes]
        done = self.reductions.hits(keys)  # a warm history: every reduction at once
        if done is not None:
            if progress is not None:
                progress(total, total)
            return done
        out: list[dict[str, Any]] = []
        # Reductions other processes computed (shared cache) need no payload decoded here.
        self.reductions.warm(keys)
        todo = [h for h in hashes if (drawer.name, key_params, db.alias, h) not in self.reductions]
        # Blobs are fetched 200 at a time (one round trip each), but decoded
        # and reduced one by one, so progress advances payload by payload.
        window = {h: i for i, h in enumerate(todo)}
        fetched: dict[str, Payload] = {}
        for i, h in enumerate(hashes):
            first = window.get(h)
            if first is not None and first % _FETCH_BATCH == 0:
                fetched = self._fetch_undecoded(db, todo[first : first + _FETCH_BATCH])

            def reduce(h: str = h, fetched: dict[str, Payload] = fetched) -> dict[str, Any]:
                if reducing is not None:
                    reducing(h)
                payload = self._decode_fetched(db, h, fetched)
                try:
                    context = functools.partial(self._context, db, tag, h)
                    value = drawer.call(payload, params, context=context)
                except (BadRequest, NotFound, PayloadDecodeError):
                    raise
                except Exception as exc:
                    raise DrawerError(
                        drawer.name,
                        f"on payload {h}: {type(exc).__name__}: {exc}",
                        payload_hash=h,
                    ) from None
                return normalise(drawer, value, h)

            out.append(
                self.reductions.get_or_compute((drawer.name, key_params, db.alias, h), reduce)
            )
            if progress is not None:
                progress(i + 1, total)
        return out

    def unreduced_payloads(self, request: PlotRequest) -> tuple[int, dict[str, int]]:
        """What a history still has to reduce: (distinct payloads, {hash: blob size}).

        Reads IOVs and PAYLOAD metadata only, never a blob, so deciding whether
        a request is heavy costs two small queries.  Other kinds of drawer read
        one or two payloads and answer ``(0, {})``: they are never heavy.
        """
        drawer = self.plugins.drawers.get(request.drawer)
        if drawer.kind != "history":
            return 0, {}
        params = validate_params(drawer.params, request.params)
        db = self.database(request.db)
        tag = db.tag(request.tag)
        check_applies(drawer, tag, "tag")
        since, until = history_range(db, request, tag)
        iovs = self.iovs(db.alias, tag.name, since=since, until=until, snapshot=request.snapshot)
        if len(iovs) == 0:
            return 0, {}
        hashes = [str(h) for h in iovs.distinct_hashes()[0]]
        key_params = reduction_params(params)
        keys = [(drawer.name, key_params, db.alias, h) for h in hashes]
        # Reductions another process computed (a queue worker, a web process) cost nothing.
        self.reductions.warm(keys)
        todo = [key[-1] for key in keys if key not in self.reductions]
        return len(hashes), db.payload_sizes(todo) if todo else {}

    def _timeline(self, db: ConditionsDB, iovs: IovList) -> npt.NDArray[np.datetime64] | None:
        """Wall-clock start of each IOV through RUN_INFO (``None`` if unknown)."""
        if iovs.time_type in (TimeType.HASH, TimeType.USER):
            return None
        runs: RunTimeline | None = None
        if iovs.time_type is not TimeType.TIME:
            first = (
                int(iovs.since[0]) if iovs.time_type is TimeType.RUN else int(iovs.since[0]) >> 32
            )
            runs = db.run_timeline(first=first)
        times = (runs or RunTimeline.from_runs([])).since_to_time(iovs.since, iovs.time_type)
        return None if bool(np.isnat(times).all()) else times

    @functools.cached_property
    def geometry(self) -> GeometryRegistry:
        """Every detector layout of the loaded plugins (built once, on first use)."""
        return GeometryRegistry.from_plugins(self.plugins)

    def _context(self, db: ConditionsDB, tag: Tag, *hashes: str) -> DrawContext:
        return DrawContext(self.geometry, db.alias, tag, hashes)

    def _provenance(
        self,
        drawer: Drawer,
        db: ConditionsDB,
        request: PlotRequest,
        params: dict[str, ParamValue],
        tag: Tag,
        tags: Sequence[str],
        iovs: Sequence[int],
        hashes: Sequence[str],
        labels: Sequence[str],
    ) -> Provenance:
        snapshot = request.snapshot.isoformat() + "Z" if request.snapshot else None
        return Provenance(
            db=db.alias,
            tags=tuple(tags),
            iovs=tuple(iovs),
            payload_hashes=tuple(hashes),
            snapshot=snapshot,
            drawer=drawer.name,
            parameters=dict(params),
            time_type=tag.time_type.value,
            labels=tuple(labels),
            query=request.query_string(view=False, alias=db.alias),
        )


def _empty_range(tag: Tag, since: int | None, until: int | None) -> str:
    """Why a history has nothing to draw, with the range as the tag reads it."""
    if since is None and until is None:
        return f"tag {tag.name!r} has no IOVs"
    bounds = [
        f"{word} {format_since(value, tag.time_type)}"
        for word, value in (("from", since), ("until", until))
        if value is not None
    ]
    return f"tag {tag.name!r} has no IOVs {' '.join(bounds)}"
