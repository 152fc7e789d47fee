"""What the web layer shares between requests: engine, renderers, caches.

Rendered plots are cached as *bytes* (never Bokeh models), keyed by the
pinned request, together with their gzip form and ETag, so a popular
permalink costs one dictionary lookup.  Unpinned plots ("latest") are cached
for a short time only, since new IOVs may arrive.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from flask import Flask, current_app

from inspector.annotations import AnnotationStore, Authenticator
from inspector.config import Config
from inspector.engine import CacheStats, Engine, EngineSettings, SingleFlight, byte_cache, ttl_cache
from inspector.engine.fills import fill_view_options
from inspector.engine.shared_cache import SharedTier
from inspector.geometry import GeometryRegistry
from inspector.jobs import JobManager, JobSettings
from inspector.plots import PlotObject
from inspector.plugin import Plugins
from inspector.render import RendererRegistry, json_item_bytes, standalone_html
from inspector.render.geometry_json import EncodedGeometry, encode_geometry
from inspector.render.png import PngRenderer, PngSettings, png_html, png_size
from inspector.web.permalinks import PlotQuery

__all__ = ["Rendered", "RenderedCodec", "WebState", "state"]

EXTENSION = "payload_inspector"


#: Media types that are compressed already: gzip would cost time and gain nothing.
COMPRESSED: Final = frozenset({"image/png"})


@dataclass(frozen=True)
class Rendered:
    """A response body ready to serve, with its compressed form and ETag.

    ``gzipped`` is empty for media that are compressed already (PNG).
    """

    body: bytes
    gzipped: bytes
    etag: str
    mimetype: str

    @classmethod
    def of(cls, body: bytes, mimetype: str) -> Rendered:
        """Compress once (unless the media type is compressed) and fingerprint the bytes."""
        etag = hashlib.sha256(body).hexdigest()[:32]
        zipped = b"" if mimetype in COMPRESSED else gzip.compress(body, 6, mtime=0)
        return cls(body, zipped, etag, mimetype)

    @property
    def nbytes(self) -> int:
        """Memory held (for the byte-bounded cache)."""
        return len(self.body) + len(self.gzipped)


class RenderedCodec:
    """:class:`Rendered` as bytes for the shared cache: a JSON header line, then the bodies.

    No pickle: the header holds the MIME type, ETag and the two lengths, and
    :meth:`decode` checks them all, so a truncated or foreign value is a miss.
    """

    def encode(self, value: Rendered) -> bytes:
        """``{"mimetype", "etag", "body", "gzipped"}`` + newline + body + gzipped body."""
        header = {
            "mimetype": value.mimetype,
            "etag": value.etag,
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
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"bad rendered-plot header: {exc}") from None
        if size < 0 or zipped < 0 or size + zipped != len(rest):
            raise ValueError("rendered-plot lengths do not match the value")
        return Rendered(rest[:size], rest[size:], etag, mimetype)


class WebState:
    """Engine, renderers and the rendered-output caches of one app."""

    def __init__(
        self,
        config: Config,
        plugins: Plugins,
        settings: EngineSettings,
        rendered_cache_bytes: int = 256 << 20,
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.engine = Engine(config, plugins, settings)
        self.renderers = RendererRegistry(plugins.renderers)
        self.pinned: SingleFlight[Rendered] = byte_cache("rendered_pinned", rendered_cache_bytes)
        if self.engine.shared is not None:  # pinned plots never change: share them
            self.pinned.attach(SharedTier(self.engine.shared, self.pinned.name, RenderedCodec()))
        # Latest data may change within the IOV lifetime: short-lived, and
        # bounded by bytes (a quarter of the pinned budget), not by count.
        self.latest: SingleFlight[Rendered] = ttl_cache(
            "rendered_latest", 0, settings.iov_cache_seconds, max_bytes=rendered_cache_bytes // 4
        )
        self.plots: SingleFlight[PlotObject] = ttl_cache("plots", 256, 5.0)
        self.geometry = GeometryRegistry.from_plugins(plugins)
        self._geometry_json: dict[str, EncodedGeometry] = {}
        self._geometry_lock = threading.Lock()
        where = str(config.source) if config.source else "configuration"
        self.jobs = JobManager(JobSettings.from_table(config.extra.get("jobs"), where))
        self.png = PngRenderer(PngSettings.from_table(config.extra.get("png"), where))
        # Notes: the app's own database (never a conditions database) and who may write.
        notes_url = config.annotations.url if config.annotations else "sqlite://"
        self.annotations = AnnotationStore(notes_url)
        self.auth = Authenticator(config.auth)

    def geometry_json(self, name: str) -> EncodedGeometry:
        """A layout's compact JSON, encoded once per app (layouts never change)."""
        with self._geometry_lock:
            encoded = self._geometry_json.get(name)
        if encoded is None:
            layout = self.geometry.get(name)
            encoded = encode_geometry(layout, self.geometry.module_names(name))
            with self._geometry_lock:
                self._geometry_json[name] = encoded
        return encoded

    def geometry_url(self, name: str) -> str:
        """Content-addressed URL of a layout: cacheable by browsers for good."""
        return f"/geometry/{name}.{self.geometry_json(name).digest}.json"

    def close(self) -> None:
        """Stop the engine's workers and close databases."""
        self.jobs.close()
        self.png.close()
        self.engine.close()
        self.annotations.close()

    def plot(self, query: PlotQuery) -> PlotObject:
        """The plot object of a query (briefly cached: one page load, several formats)."""
        return self.plots.get_or_compute(
            query.cache_key, lambda: self.engine.plot(query.to_request())
        )

    def rendered(
        self, query: PlotQuery, fmt: str, now: dt.datetime, markers: tuple[Any, ...] = ()
    ) -> Rendered:
        """The bytes of a plot in ``fmt`` (``item``, ``json``, ``csv``, ``html``, ``png``).

        ``markers`` (annotation markers, a view option) are part of the key.
        """
        cache = self.pinned if query.is_pinned(now) else self.latest
        key = (fmt, query.cache_key, query.view, markers)
        return cache.get_or_compute(key, lambda: self._render(query, fmt, markers))

    def _render(self, query: PlotQuery, fmt: str, markers: tuple[Any, ...] = ()) -> Rendered:
        plot = self.plot(query)
        inline: dict[str, Any] = {
            **query.view_options(),
            "geometry_registry": self.geometry,
            **fill_view_options(self.engine.database(query.db), plot),
        }
        if markers:
            inline["annotations"] = markers
        paged = {**inline, "geometry_url": self.geometry_url}
        makers: dict[str, Callable[[], tuple[bytes, str]]] = {
            "item": lambda: (json_item_bytes(plot, self.renderers, paged), "application/json"),
            "json": lambda: (plot.to_json(), "application/json"),
            "csv": lambda: (plot.to_csv().encode("utf-8"), "text/csv"),
            "html": lambda: (
                standalone_html(plot, self.renderers, inline).encode("utf-8"),
                "text/html",
            ),
        }
        makers["png"] = lambda: (self._png(plot, query, inline), "image/png")
        body, mimetype = makers[fmt]()
        return Rendered.of(body, mimetype)

    def _png(self, plot: PlotObject, query: PlotQuery, options: dict[str, Any]) -> bytes:
        """The HTML export drawn by the shared headless browser."""
        size = png_size(dict(query.view))
        return self.png.render(png_html(plot, self.renderers, options, size), size)

    def cache_stats(self) -> list[CacheStats]:
        """Every cache's counters (engine and web)."""
        return [
            *self.engine.cache_stats(),
            self.pinned.stats(),
            self.latest.stats(),
            self.plots.stats(),
        ]


def state(app: Flask | None = None) -> WebState:
    """The :class:`WebState` of ``app`` (default: the current app)."""
    target: Any = app or current_app
    value: WebState = target.extensions[EXTENSION]
    return value
