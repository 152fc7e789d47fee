"""``/api/v1/plots/{drawer}``: a plot object, addressed by the plot page's query string.

The route reads its arguments with :class:`~inspector.request.PlotRequest`
(the field table the OpenAPI parameters are derived from), answers a heavy
request with a background job (:mod:`inspector.web.jobs.service`) and
otherwise wraps the cached plot JSON, byte for byte, in a JSON:API document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from flask import Flask, Response, current_app, request, url_for

from inspector.engine import SingleFlight, byte_cache
from inspector.request import PlotRequest
from inspector.web.jobs.service import job_response, plot_job, prefers_async
from inspector.web.jsonapi import JSONAPI, MEDIA_TYPE, dumps
from inspector.web.plots.openapi import LINKED_EXPORTS, PLOT_RESOURCE
from inspector.web.responses import serve
from inspector.web.routing import Routes
from inspector.web.state import Rendered, request_time, state

__all__ = ["api", "setup"]

api = Routes("api")
_ENVELOPES: Final = "payload_inspector.api_plot_documents"


def setup(app: Flask) -> None:
    """Each app gets its own cache of plot documents (bounded by ``[cache] documents_mb``)."""
    budget = state(app).config.cache.documents_bytes
    app.extensions[_ENVELOPES] = byte_cache("api_plot_documents", budget)


def _envelopes() -> SingleFlight[Rendered]:
    cache: SingleFlight[Rendered] = current_app.extensions[_ENVELOPES]
    return cache


def _plot_links(query: PlotRequest) -> dict[str, str]:
    data_query = query.query_string(view=False)
    with_view = query.query_string()
    offered = {fmt.name for fmt in state().tools.offered()[0]}
    exports = {
        fmt: f"{url_for('pages.plot_export', drawer=query.drawer, fmt=fmt)}?{data_query}"
        for fmt in LINKED_EXPORTS
        if fmt in offered
    }
    return {
        "self": f"{url_for('api.plot_resource', drawer=query.drawer)}?{data_query}",
        "html": f"{url_for('pages.plot_page', drawer=query.drawer)}?{with_view}",
        **exports,
    }


def _plot_document(query: PlotRequest, plot_json: bytes, pinned: bool) -> bytes:
    """The JSON:API document around the plot JSON, which is inserted as it is.

    Splicing the cached bytes in (rather than parsing and re-serialising
    them) keeps a 10,000-IOV history cheap and makes ``attributes`` exactly
    the plot object JSON of the exports, byte for byte.
    """
    links = _plot_links(query)
    head = dumps({"type": "plots", "id": query.cache_key})
    parts: Iterable[bytes] = (
        b'{"data":',
        head[:-1],
        b',"attributes":',
        plot_json,
        b',"links":',
        dumps(links),
        b'},"links":',
        dumps({"self": links["self"]}),
        b',"meta":',
        dumps({"pinned": pinned}),
        b',"jsonapi":',
        dumps(JSONAPI),
        b"}",
    )
    return b"".join(parts)


@api.get("/plots/<drawer>", PLOT_RESOURCE)
def plot_resource(drawer: str) -> Response:
    """A drawer's plot object as JSON, addressed by the plot page's query string."""
    web = state()
    web.plugins.drawers.get(drawer)  # an unknown drawer is a 404 before any argument is read
    query = PlotRequest.from_query(
        drawer, request.args.items(multi=True), web.config.default_database
    )
    now = request_time()
    job = plot_job(query, now, prefers_async())
    if job is not None:  # heavy: computed in the background, polled at /jobs/{id}
        return job_response(job, 202)
    pinned = query.is_pinned(now)
    plot = web.rendered(query, "json", now)
    body = _envelopes().get_or_compute(
        (query.cache_key, plot.etag, pinned),
        lambda: Rendered.of(_plot_document(query, plot.body, pinned), MEDIA_TYPE),
    )
    return serve(body, pinned=pinned)
