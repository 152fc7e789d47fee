"""Heavy plots as background jobs: the web edge of :mod:`inspector.jobs`.

A plot request is answered directly unless it is *heavy* (a history whose
uncached payloads add up to more than ``[jobs] heavy_mb``, see
:mod:`inspector.jobs.cost`) or the client asks for a job
(``Prefer: respond-async``).  A heavy request starts a job, or joins the one
computing the same pinned request, and the client polls
``/api/v1/jobs/{id}?drawer=...&<pinned query>``.

With ``[cache] redis_url`` jobs are queued in Redis (:mod:`inspector.jobs.queue`)
and computed by ``inspector worker`` processes (:mod:`inspector.web.jobs.worker`):
every web process reads the same job state, so a poll reaching any of them
is answered from it, never restarts the job and never counts against that
process's own pool.  When Redis is away (or was not configured) jobs run in
this process's :class:`~inspector.jobs.JobManager`, as they always did.

The job URL carries the whole pinned request, so any server process can
answer it: a process that never heard of the job (without Redis several
``gunicorn`` workers share no memory) checks that the id is the digest of
that request, serves it as done if its result is already in this process's
rendered cache, and otherwise starts or joins the same computation itself.
The job id, derived from the request, is the same in every process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Final
from urllib.parse import parse_qsl

from flask import Response, request, url_for
from werkzeug.datastructures import MultiDict

from inspector.engine import Progress
from inspector.engine.engine import Reducing
from inspector.errors import InvalidParameter, NotFound
from inspector.jobs import Cost, JobError, JobStatus, is_heavy, job_id
from inspector.jobs.model import JobView
from inspector.request import PlotRequest, PlotView
from inspector.web.jobs.models import JobAttributes, JobFailure
from inspector.web.jsonapi import JSONAPI, MEDIA_TYPE, dumps, iso, resource, url
from inspector.web.responses import serve
from inspector.web.state import Rendered, WebState, request_time, state

__all__ = [
    "compute_job",
    "find_job",
    "job_document",
    "job_response",
    "job_url",
    "pinned_of_key",
    "plot_job",
    "prefers_async",
]

#: Seconds between polls suggested to clients (``Retry-After``).
POLL_SECONDS: Final = 1


def prefers_async() -> bool | None:
    """``Prefer: respond-async`` → always a job; ``respond-sync`` → never; else decide."""
    tokens = {t.strip().lower() for t in request.headers.get("Prefer", "").split(",")}
    if "respond-async" in tokens:
        return True
    if "respond-sync" in tokens:
        return False
    return None


def plot_job(query: PlotRequest, now: dt.datetime, force: bool | None = None) -> JobView | None:
    """The job answering ``query`` when it is heavy (started or joined), else ``None``.

    ``None`` means: answer directly, as for any cheap or cached plot.
    """
    web = state()
    if force is False:
        return None
    if force is None and query.is_pinned(now) and web.has_pinned(query, "json"):
        return None  # a cached permalink: answered at once, without asking Redis
    running = _unfinished(web, query.cache_key)
    if running is not None:
        return running
    pinned = query.pinned_at(now)
    if _result_cached(web, pinned):
        return None if force is None else _start(web, pinned, query, 0)
    payloads, sizes = web.engine.unreduced_payloads(query)
    cost = Cost.of(payloads, sizes)
    if force is None and not is_heavy(cost, web.jobs.settings.heavy_bytes):
        return None
    return _start(web, pinned, query, cost.payloads)


def _data_of(pinned: PlotRequest) -> PlotRequest:
    """The data a job computes: one job whatever the drawing (view options dropped)."""
    return dataclasses.replace(pinned, view=PlotView())


def _known(web: WebState, ident: str) -> JobView | None:
    """The job of ``ident``: in Redis (whoever started it), else in this process."""
    shared = web.queue.get(ident) if web.queue is not None else None
    return shared or web.jobs.get(ident)


def _unfinished(web: WebState, key: str) -> JobView | None:
    """A queued or running job computing ``key``: in Redis, else in this process."""
    shared = web.queue.unfinished(key) if web.queue is not None else None
    return shared or web.jobs.unfinished(key)


def _result_cached(web: WebState, pinned: PlotRequest) -> bool:
    """Whether the result is at hand: in this process, or a queued job of it is done.

    A queued job is marked done only once its result is in the shared cache.
    """
    if web.has_pinned(pinned, "json"):
        return True
    if web.queue is None:
        return False
    done = web.queue.get(job_id(_data_of(pinned).cache_key))
    return done is not None and done.status is JobStatus.DONE


def compute_job(
    web: WebState, data: PlotRequest, progress: Progress, reducing: Reducing | None = None
) -> None:
    """Compute a job's plot and render it, in whichever process runs the job.

    The finished result lands in the rendered cache (and, with Redis, in the
    shared tier): polls and the result link are then answered from there.
    """
    limit = web.jobs.settings.time_limit
    # The job pool (or the queue's workers) bounds jobs: they pass no request gate.
    with web.engine.admission.exempt():
        web.plots.get_or_compute(
            data.cache_key,
            lambda: web.engine.plot(data, progress, time_limit=limit, reducing=reducing),
        )
        web.rendered(data, "json", request_time())


def _start(web: WebState, pinned: PlotRequest, asked: PlotRequest, total: int) -> JobView:
    """Queue (or, without Redis, run here) the computation of ``pinned``, joining one there."""
    data = _data_of(pinned)
    alias = asked.cache_key if asked.cache_key != data.cache_key else None
    if web.queue is not None:
        queued = web.queue.submit(data.cache_key, data.drawer, total=total, alias=alias)
        if queued is not None:
            return queued
    view, _ = web.jobs.submit(
        data.cache_key,
        data.drawer,
        lambda progress: compute_job(web, data, progress),
        total=total,
        alias=alias,
    )
    return view


def pinned_of_key(key: str) -> PlotRequest:
    """The pinned query a job computes, read back from its key (``drawer?query``)."""
    drawer, _, query_string = key.partition("?")
    return PlotRequest.from_query(drawer, _pairs(query_string), "")


def _pinned_of(view: JobView) -> PlotRequest:
    return pinned_of_key(view.key)


def _pairs(query_string: str) -> list[tuple[str, str]]:
    return parse_qsl(query_string, keep_blank_values=True)


def job_url(view: JobView) -> str:
    """Where to poll a job: its id plus the pinned request (any process can answer)."""
    pinned = _pinned_of(view)
    return url(
        url_for("api.get_job", ident=view.id),
        [("drawer", pinned.drawer), *_pairs(pinned.query_string(view=False))],
    )


def _failure(error: JobError | None) -> JobFailure | None:
    if error is None:
        return None
    return {
        "status": error.status,
        "title": error.title,
        "detail": error.detail,
        "drawer": error.drawer,
        "payload": error.payload,
    }


def job_document(view: JobView) -> dict[str, Any]:
    """The JSON:API document of a job."""
    pinned = _pinned_of(view)
    data_query = pinned.query_string(view=False)
    links = {
        "self": job_url(view),
        "html": f"{url_for('pages.plot_page', drawer=pinned.drawer)}?{data_query}",
    }
    if view.status is JobStatus.DONE:
        links["result"] = f"{url_for('api.plot_resource', drawer=pinned.drawer)}?{data_query}"
    attributes: JobAttributes = {
        "status": view.status.value,
        "drawer": view.drawer,
        "request": view.key,
        "progress": {"done": view.done, "total": view.total, "unit": "payloads"},
        "created": iso(view.created),
        "started": iso(view.started) if view.started else None,
        "finished": iso(view.finished) if view.finished else None,
        "error": _failure(view.error),
    }
    meta = {"poll_after_seconds": 0 if view.status.finished else POLL_SECONDS}
    return {
        "data": resource("jobs", view.id, attributes, links=links),
        "links": {"self": links["self"]},
        "meta": meta,
        "jsonapi": JSONAPI,
    }


def job_response(view: JobView, status: int = 200) -> Response:
    """A job document; 202 with ``Location`` when a plot request started or joined it."""
    response = serve(Rendered.of(dumps(job_document(view)), MEDIA_TYPE), pinned=False)
    response.headers["Cache-Control"] = "no-store"
    if not view.status.finished:
        response.headers["Retry-After"] = str(POLL_SECONDS)
    if status == 202 and response.status_code == 200:
        response.status_code = 202
        response.headers["Location"] = job_url(view)
        response.headers["Preference-Applied"] = "respond-async"
    return response


def find_job(ident: str, args: MultiDict[str, str], default_db: str) -> JobView:
    """The job of a job URL, in whichever process the poll reached.

    With the pinned request in the URL (as every job link has), the request
    must digest to ``ident``; a process that does not know the job then
    rejoins it (see the module docstring).  A bare id is looked up only.
    """
    drawer = args.get("drawer", "").strip()
    if not drawer:
        view = _known(state(), ident)
        if view is None:
            raise NotFound(
                f"no job {ident!r} here (finished jobs are forgotten after a while); "
                "its URL with drawer and the pinned query finds or restarts it"
            )
        return view
    pairs = [(k, v) for k, v in args.items(multi=True) if k != "drawer"]
    web = state()
    web.plugins.drawers.get(drawer)
    query = PlotRequest.from_query(drawer, pairs, default_db)
    if query.snapshot is None:
        raise InvalidParameter("snapshot", "a job URL pins a snapshot time")
    if job_id(query.cache_key) != ident:
        raise NotFound(f"job {ident!r} does not compute this request (the id is its digest)")
    known = _known(web, ident)
    if known is not None:  # whoever started it: never restarted, never counted here
        return known
    if _result_cached(web, query):
        return _finished_elsewhere(query, ident)
    return _start(web, query, query, 0)


def _finished_elsewhere(query: PlotRequest, ident: str) -> JobView:
    """A job whose result is already cached: done, whoever computed it."""
    now = request_time()
    return JobView(
        id=ident,
        key=query.cache_key,
        drawer=query.drawer,
        status=JobStatus.DONE,
        done=0,
        total=0,
        created=now,
        started=now,
        finished=now,
        error=None,
    )
