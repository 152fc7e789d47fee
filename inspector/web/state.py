"""What the web layer shares between requests: engine, renderers, caches.

Rendered plots are cached as *bytes* (never Bokeh models), keyed by the
pinned request, together with their gzip form and ETag, so a popular
permalink costs one dictionary lookup.  Unpinned plots ("latest") are cached
for a short time only, since new IOVs may arrive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from flask import Flask, current_app

from inspector.admission import Admission
from inspector.annotations import AnnotationStore, Authenticator
from inspector.config import Config
from inspector.engine import CacheStats, Engine, EngineSettings, SingleFlight, byte_cache, ttl_cache
from inspector.engine.shared_cache import SharedTier
from inspector.jobs import JobManager
from inspector.jobs.queue import JobQueue
from inspector.plots import PlotObject
from inspector.plugin import Plugins
from inspector.render import json_item_bytes
from inspector.render.export import history_values_bytes
from inspector.render.exports import RenderTools, export, render_context
from inspector.render.geometry_json import EncodedGeometry, encode_geometry
from inspector.render.png import PngRenderer
from inspector.request import PlotRequest

__all__ = ["Rendered", "RenderedCodec", "WebState", "request_time", "state"]

EXTENSION = "payload_inspector"
#: The plot page's drawing (``bokeh.embed.json_item``), cached beside the exports.
ITEM: Final = "item"
#: A history drawing's data alone, for a range the user zoomed to (no new document).
VALUES: Final = "values"
#: What only the plot page draws: not export formats.
DRAWINGS: Final = frozenset({ITEM, VALUES})
JSON: Final = "application/json"


#: Media types that are compressed already: gzip would cost time and gain nothing.
COMPRESSED: Final = frozenset({"image/png"})


@dataclass(frozen=True)
class Rendered:
    """A response body ready to serve, with its compressed form and ETag.

    ``gzipped`` is empty for media that are compressed already (PNG).
    ``filename`` is an export's download name, made with the bytes (it says
    which tags, IOVs and snapshot they hold, which only the plot knows), so
    a cached export is served without its plot; empty for drawings.
    """

    body: bytes
    gzipped: bytes
    etag: str
    mimetype: str
    filename: str = ""

    @classmethod
    def of(cls, body: bytes, mimetype: str, filename: str = "") -> Rendered:
        """Compress once (unless the media type is compressed) and fingerprint the bytes."""
        etag = hashlib.sha256(body).hexdigest()[:32]
        zipped = b"" if mimetype in COMPRESSED else gzip.compress(body, 6, mtime=0)
        return cls(body, zipped, etag, mimetype, filename)

    @property
    def nbytes(self) -> int:
        """Memory held (for the byte-bounded cache)."""
        return len(self.body) + len(self.gzipped)


class RenderedCodec:
    """:class:`Rendered` as bytes for the shared cache: a JSON header line, then the bodies.

    No pickle: the header holds the MIME type, ETag, download name and the
    two lengths, and :meth:`decode` checks them all, so a truncated or
    foreign value is a miss.
    """

    def encode(self, value: Rendered) -> bytes:
        """``{"mimetype", "etag", "filename", "body", "gzipped"}`` + newline + the bodies."""
        header = {
            "mimetype": value.mimetype,
            "etag": value.etag,
            "filename": value.filename,
            "body": len(value.body),
            "gzipped": len(value.gzipped),
        }
        return json.dumps(header).encode("ascii") + b"\n" + value.body + value.gzipped

    def decode(self, data: bytes) -> Rendered:
        """The response again (``ValueError`` if anything does not add up)."""
        line, _, rest = data.partition(b"\n")
        try:
            header = json.loads(line)
            mimetype, etag = str(header["mimetype"]), str(header["etag"])
            size, zipped = int(header["body"]), int(header["gzipped"])
            filename = header.get("filename", "")  # absent in values of an older process
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"bad rendered-plot header: {exc}") from None
        if not isinstance(filename, str):
            raise ValueError("rendered-plot filename is not a string")
        if size < 0 or zipped < 0 or size + zipped != len(rest):
            raise ValueError("rendered-plot lengths do not match the value")
        return Rendered(rest[:size], rest[size:], etag, mimetype, filename)


class WebState:
    """Engine, renderers and the rendered-output caches of one app."""

    def __init__(self, config: Config, plugins: Plugins, settings: EngineSettings) -> None:
        self.config = config
        self.plugins = plugins
        self.engine = Engine(config, plugins, settings)
        budgets = config.cache  # the web's byte budgets ([cache] rendered_mb, plots_mb)
        self.pinned: SingleFlight[Rendered] = byte_cache("rendered_pinned", budgets.rendered_bytes)
        if self.engine.shared is not None:  # pinned plots never change: share them
            # and compute each once across processes: a second waits for the first's bytes
            self.pinned.attach(
                SharedTier(
                    self.engine.shared,
                    self.pinned.name,
                    RenderedCodec(),
                    lock_seconds=budgets.lock_seconds,
                )
            )
        # Latest data may change within the IOV lifetime: short-lived, and
        # bounded by bytes (a quarter of the pinned budget), not by count.
        self.latest: SingleFlight[Rendered] = ttl_cache(
            "rendered_latest", budgets.rendered_bytes // 4, settings.iov_cache_seconds
        )
        # Plot objects live for one page load (several formats of one plot).
        self.plots: SingleFlight[PlotObject] = ttl_cache("plots", budgets.plots_bytes, 5.0)
        self._geometry_json: dict[str, EncodedGeometry] = {}
        self._geometry_lock = threading.Lock()
        self.jobs = JobManager(config.jobs)
        #: with Redis, jobs are queued for ``inspector worker`` (else, or while away: ``jobs``)
        self.queue = JobQueue(self.engine.shared, config.jobs) if self.engine.shared else None
        png = PngRenderer(config.png)
        #: renderers, geometry, export formats and the PNG browser of the plugins
        self.tools = RenderTools.from_plugins(plugins, png)
        # Notes: the app's own database (never a conditions database) and who may write.
        notes_url = config.annotations.url if config.annotations else "sqlite://"
        self.annotations = AnnotationStore(notes_url)
        self.auth = Authenticator(config.auth)

    @property
    def gates(self) -> tuple[Admission, ...]:
        """Every admission gate of the app (counted by ``/metrics``): plots, then PNGs."""
        return (self.engine.admission, self.tools.png.admission)

    def geometry_json(self, name: str) -> EncodedGeometry:
        """A layout's compact JSON, encoded once per app (layouts never change)."""
        with self._geometry_lock:
            encoded = self._geometry_json.get(name)
        if encoded is None:
            geometry = self.tools.geometry
            encoded = encode_geometry(geometry.get(name), geometry.module_names(name))
            with self._geometry_lock:
                self._geometry_json[name] = encoded
        return encoded

    def geometry_url(self, name: str) -> str:
        """Content-addressed URL of a layout: cacheable by browsers for good."""
        return f"/geometry/{name}.{self.geometry_json(name).digest}.json"

    def close(self) -> None:
        """Stop the engine's workers and close databases."""
        self.jobs.close()
        self.tools.close()
        self.engine.close()
        self.annotations.close()

    def plot(self, query: PlotRequest) -> PlotObject:
        """The plot object of a query (briefly cached: one page load, several formats).

        A miss passes the engine's admission (:class:`Overloaded` when every
        slot is taken), except on a job's thread: the job pool bounds those
        already (:meth:`inspector.admission.Admission.exempt`).
        """
        with self.plots.lookup(query.cache_key) as slot:
            if slot.missing:
                with self._admitted():  # a cold plot: admitted, or a fast 503
                    slot.value = self.engine.plot(query)
        return slot.value

    @contextlib.contextmanager
    def _admitted(self, fmt: str = ITEM) -> Iterator[None]:
        """The admission of expensive work in ``fmt``.

        A PNG passes the browser's gate first (refused before its page is
        built), then the engine's, as every cold plot and render does.
        """
        browser = self.tools.admitted(fmt) if fmt not in DRAWINGS else contextlib.nullcontext()
        with browser, self.engine.admission.enter():
            yield

    def rendered(
        self,
        query: PlotRequest,
        fmt: str,
        now: dt.datetime,
        markers: tuple[Any, ...] = (),
    ) -> Rendered:
        """The bytes of a plot in ``fmt``: an export format, ``item`` (the page's drawing) or
        ``values`` (that drawing's data, for a zoom).

        ``markers`` (annotation markers, a view option) are part of the key.
        A miss passes the admission (:class:`Overloaded` when every slot is
        taken), except on a job's thread, as for :meth:`plot`.
        """
        if fmt not in DRAWINGS:
            self.tools.usable(fmt)  # unknown: 404; no browser for it: 503, before any work
        cache = self.pinned if query.is_pinned(now) else self.latest
        key = _rendered_key(query, fmt, markers)
        with cache.lookup(key) as slot:
            if slot.missing:
                with self._admitted(fmt):  # a miss is expensive work
                    slot.value = self._render(query, fmt, markers)
        return slot.value

    def has_pinned(self, query: PlotRequest, fmt: str) -> bool:
        """Whether the pinned cache holds ``query`` in ``fmt`` already (no notes drawn)."""
        return _rendered_key(query, fmt, ()) in self.pinned

    def _render(self, query: PlotRequest, fmt: str, markers: tuple[Any, ...] = ()) -> Rendered:
        plot = self.plot(query)
        database = self.engine.database(query.db)
        context = render_context(self.tools, database, plot, query, annotations=markers)
        if fmt == ITEM:  # the page fetches layouts by URL instead of inlining them
            options = context.drawing_options(geometry_url=self.geometry_url)
            return Rendered.of(json_item_bytes(plot, self.tools.renderers, options), JSON)
        if fmt == VALUES:
            options = context.drawing_options()
            return Rendered.of(history_values_bytes(plot, self.tools.renderers, options), JSON)
        chosen = self.tools.exports.get(fmt)
        body = export(plot, fmt, context)
        return Rendered.of(body, chosen.media_type, chosen.file_name(plot, query.view))

    def cache_stats(self) -> list[CacheStats]:
        """Every cache's counters (engine and web)."""
        return [
            *self.engine.cache_stats(),
            self.pinned.stats(),
            self.latest.stats(),
            self.plots.stats(),
        ]


def _rendered_key(query: PlotRequest, fmt: str, markers: tuple[Any, ...]) -> tuple[Any, ...]:
    """The one key of rendered bytes: format, data, view and the notes drawn."""
    return (fmt, query.cache_key, query.view.items(), markers)


def state(app: Flask | None = None) -> WebState:
    """The :class:`WebState` of ``app`` (default: the current app)."""
    target: Any = app or current_app
    value: WebState = target.extensions[EXTENSION]
    return value


def request_time() -> dt.datetime:
    """Naive UTC now, as snapshots are compared (whole seconds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
