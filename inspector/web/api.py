"""The read-only JSON:API under /api/v1 (see docs/api.md and /api/v1/openapi.json).

Each route is a thin edge: it reads and checks its query arguments (a bad
one is a 400 naming it in ``source.parameter``), asks
:class:`~inspector.conddb.ConditionsDB` or the engine, and shapes the answer
with :mod:`inspector.web.jsonapi`.  Errors are not handled here: every
:class:`~inspector.errors.InspectorError` already becomes a JSON:API error
object with its status (:mod:`inspector.web.errors`).

Every answer goes through :func:`~inspector.web.responses.serve`, so each
carries an ETag, honours ``If-None-Match`` with a 304 and is gzipped when
the client accepts it.  Answers pinned to a snapshot in the past (plots,
IOV lists) never change and are cacheable for a year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final

import numpy as np
from flask import Blueprint, Response, current_app, request, url_for
from flask.blueprints import BlueprintSetupState

from inspector import __version__
from inspector.conddb import ConditionsDB, GlobalTag, IovList, PayloadInfo, Tag
from inspector.conddb.timetypes import TimeType, parse_since, parse_snapshot, since_texts
from inspector.drawers import KINDS, Drawer
from inspector.engine import SingleFlight, byte_cache
from inspector.errors import InspectorError, InvalidParameter, NotFound
from inspector.payload import parse_streamer_info
from inspector.payload.decoded import FieldSummary
from inspector.request import MAX_VALUE, PlotRequest
from inspector.web.jsonapi import (
    JSONAPI,
    MEDIA_TYPE,
    PAGE_NUMBER,
    PAGE_SIZE,
    Paging,
    document,
    dumps,
    finite,
    iso,
    iso_many,
    page_links,
    page_meta,
    relationship,
    resource,
    url,
)
from inspector.web.openapi import LIMITS, openapi_document
from inspector.web.plot_jobs import find_job, job_response, plot_job, prefers_async
from inspector.web.responses import serve
from inspector.web.state import Rendered, state

__all__ = [
    "SINCE_UNITS",
    "UndecodablePayload",
    "api",
    "api_args",
    "api_database",
    "api_paging",
    "link_arguments",
    "request_time",
    "send_document",
]

api = Blueprint("api", __name__)

#: What a raw ``since``/``until`` counts, by time type (for ``meta.units``).
SINCE_UNITS: Final = {
    TimeType.RUN: "run number",
    TimeType.LUMI: "run << 32 | lumisection",
    TimeType.TIME: "unix seconds << 32 | nanoseconds (UTC)",
    TimeType.HASH: "opaque number",
    TimeType.USER: "opaque number",
}

_PAGING: Final = (PAGE_NUMBER, PAGE_SIZE)
_ENVELOPES: Final = "payload_inspector.api_plot_documents"


class UndecodablePayload(InspectorError):
    """A stored payload whose type or version has no declared schema here.

    The hash exists, so 404 would mislead; like a blob that does not match
    its layout, the server cannot decode it: 422.
    """

    http_status = 422
    title = "Payload cannot be decoded"


@api.record_once
def _setup(setup: BlueprintSetupState) -> None:
    """Each app gets its own cache of plot documents (bytes, bounded)."""
    setup.app.extensions[_ENVELOPES] = byte_cache("api_plot_documents", 64 << 20)


# -- request helpers --------------------------------------------------------------------------


def request_time() -> dt.datetime:
    """Naive UTC now, as snapshots are compared (whole seconds, like the pages)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def api_args(*allowed: str) -> dict[str, str]:
    """The query arguments, each once; an unknown name is a 400 rather than ignored.

    A typo such as ``filter[nmae]`` would otherwise return the unfiltered
    list and look like an answer.
    """
    out: dict[str, str] = {}
    for key in request.args:
        if key not in allowed:
            raise InvalidParameter(
                key, f"is not a parameter of this endpoint (known: {', '.join(allowed)})"
            )
        values = request.args.getlist(key)
        if len(values) > 1:
            raise InvalidParameter(key, "is given more than once")
        if len(values[0]) > MAX_VALUE:
            raise InvalidParameter(key, f"longer than {MAX_VALUE} characters")
        out[key] = values[0].strip()
    return out


def api_paging(args: dict[str, str], listing: str) -> Paging:
    """``page[number]`` and ``page[size]`` within the documented limits of ``listing``."""
    default, maximum = LIMITS[listing]
    return Paging.parse(
        args.get(PAGE_NUMBER), args.get(PAGE_SIZE), default_size=default, max_size=maximum
    )


def api_database(args: dict[str, str]) -> ConditionsDB:
    """The database named by ``db`` (default: the configured one); 404 names an unknown alias."""
    return state().engine.database(args.get("db") or None)


def link_arguments(args: dict[str, str], alias: str, keys: Sequence[str]) -> list[tuple[str, str]]:
    """``db`` (always, so links stand on their own) and the given non-empty arguments."""
    return [("db", alias), *((k, args[k]) for k in keys if args.get(k))]


def _api_root() -> str:
    return url_for("api.index")


def send_document(doc: dict[str, Any], *, pinned: bool = False) -> Response:
    """A JSON:API document as a response (ETag, gzip, cache lifetime by ``pinned``)."""
    return serve(Rendered.of(dumps(doc), MEDIA_TYPE), pinned=pinned)


# -- index and OpenAPI --------------------------------------------------------------------


@api.get("")
def index() -> Response:
    """Where everything is: the collections, the OpenAPI document, the databases."""
    config = state().config
    databases = [
        {"alias": alias, "description": db.description} for alias, db in config.databases.items()
    ]
    root = _api_root()
    data = resource(
        "api",
        "v1",
        {
            "version": __version__,
            "default_database": config.default_database,
            "databases": databases,
        },
        links={"self": root},
    )
    links = {
        "self": root,
        "describedby": url_for("api.openapi_json"),
        "tags": url_for("api.list_tags"),
        "drawers": url_for("api.list_drawers"),
        "globaltags": url_for("api.list_global_tags"),
        "runs": url_for("api.list_runs"),
        "watch": url_for("api.watch"),
    }
    return send_document(document(data, links=links))


@api.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 description of these routes."""
    api_args()
    body = dumps(openapi_document(__version__))
    return serve(Rendered.of(body, "application/json"), pinned=False)


# -- tags -----------------------------------------------------------------------------------


def _tag_resource(tag: Tag, alias: str) -> dict[str, Any]:
    drawers = state().plugins.drawers.for_payload_type(tag.object_type)
    db_arg = [("db", alias)]
    drawer_list = url(url_for("api.list_drawers"), [("filter[payload_type]", tag.object_type)])
    return resource(
        "tags",
        tag.name,
        {
            "time_type": tag.time_type.value,
            "object_type": tag.object_type,
            "synchronization": tag.synchronization,
            "description": tag.description,
            "end_of_validity": tag.end_of_validity,
            "insertion_time": iso(tag.insertion_time),
            "modification_time": iso(tag.modification_time),
        },
        links={"self": url(url_for("api.get_tag", name=tag.name), db_arg)},
        relationships={
            "iovs": relationship(url(url_for("api.list_iovs", name=tag.name), db_arg)),
            "drawers": relationship(
                drawer_list, [{"type": "drawers", "id": d.name} for d in drawers]
            ),
        },
    )


def _time_type_filter(args: dict[str, str]) -> TimeType | None:
    raw = args.get("filter[time_type]")
    if not raw:
        return None
    try:
        return TimeType.parse(raw)
    except InvalidParameter as exc:
        raise InvalidParameter("filter[time_type]", exc.reason) from None


@api.get("/tags")
def list_tags() -> Response:
    """Tags by name (glob or substring), payload type and time type, sorted and paged."""
    filters = ("filter[name]", "filter[object_type]", "filter[time_type]")
    args = api_args("db", *filters, "sort", *_PAGING)
    paging = api_paging(args, "tags")
    db = api_database(args)
    result = db.search_tags(
        args.get("filter[name]") or None,
        object_type=args.get("filter[object_type]") or None,
        time_type=_time_type_filter(args),
        page=paging.number,
        page_size=paging.size,
        sort=args.get("sort") or "name",
    )
    paging.require_exists(result.total, "tags")
    data = [_tag_resource(t, db.alias) for t in result.items]
    links = page_links(
        url_for("api.list_tags"),
        link_arguments(args, db.alias, (*filters, "sort")),
        paging,
        result.total,
    )
    return send_document(document(data, links=links, meta=page_meta(paging, result.total)))


# Tag names may hold "/" (and any other character): the name is a ``path``
# segment, since servers decode %2F before routing; ``/iovs`` after it still
# routes to the IOV list.  Slashes are not merged, so "a//b" stays itself.
@api.get("/tags/<path:name>", merge_slashes=False)
def get_tag(name: str) -> Response:
    """One tag's metadata, with links to its IOVs and to the drawers that read it."""
    args = api_args("db")
    db = api_database(args)
    data = _tag_resource(db.tag(name), db.alias)
    return send_document(document(data, links={"self": data["links"]["self"]}))


# -- IOVs -----------------------------------------------------------------------------------


def _since_arg(args: dict[str, str], name: str, tag: Tag) -> int | None:
    text = args.get(name)
    return parse_since(text, tag.time_type, parameter=name) if text else None


def _iov_resources(tag: Tag, iovs: IovList, lo: int, hi: int, alias: str) -> list[dict[str, Any]]:
    """One page of IOVs, column by column (a page holds up to 10,000 of them)."""
    since, until = iovs.since[lo:hi], iovs.until[lo:hi]
    columns = zip(
        since.tolist(),
        since_texts(since, tag.time_type),
        until.tolist(),
        since_texts(until, tag.time_type),
        iovs.payload_hash[lo:hi].tolist(),
        iso_many(iovs.insertion_time[lo:hi]),
        strict=True,
    )
    payloads = f"{_api_root()}/payloads/"
    db_query = url("", [("db", alias)])
    return [
        {
            "type": "iovs",
            "id": f"{tag.name}@{s}",
            "attributes": {
                "since": s,
                "since_text": s_text,
                "until": u,
                "until_text": u_text,
                "payload_hash": h,
                "insertion_time": t,
            },
            "relationships": {
                "payload": {
                    "links": {"related": f"{payloads}{h}{db_query}"},
                    "data": {"type": "payloads", "id": h},
                }
            },
        }
        for s, s_text, u, u_text, h, t in columns
    ]


@api.get("/tags/<path:name>/iovs", merge_slashes=False)
def list_iovs(name: str) -> Response:
    """A tag's IOVs in a range, as seen at a snapshot time, paged."""
    args = api_args("db", "since", "until", "snapshot", *_PAGING)
    paging = api_paging(args, "iovs")
    db = api_database(args)
    tag = db.tag(name)
    since, until = _since_arg(args, "since", tag), _since_arg(args, "until", tag)
    snapshot = parse_snapshot(args.get("snapshot"))
    iovs = state().engine.iovs(db.alias, tag.name, since=since, until=until, snapshot=snapshot)
    total = len(iovs)
    paging.require_exists(total, f"IOVs of tag {tag.name!r}")
    data = _iov_resources(
        tag, iovs, paging.offset, min(paging.offset + paging.size, total), db.alias
    )
    unit = SINCE_UNITS[tag.time_type]
    meta = {
        **page_meta(paging, total),
        "tag": tag.name,
        "time_type": tag.time_type.value,
        "snapshot": iso(snapshot) if snapshot is not None else None,
        "units": {"since": unit, "until": unit},
    }
    link_args = link_arguments(args, db.alias, ("since", "until", "snapshot"))
    links = page_links(url_for("api.list_iovs", name=tag.name), link_args, paging, total)
    pinned = snapshot is not None and snapshot <= request_time()
    return send_document(document(data, links=links, meta=meta), pinned=pinned)


# -- payloads -------------------------------------------------------------------------------


def _extreme(value: float | None, dtype: str) -> float | None:
    """A min or max as its field stores it: float32 ``228.975``, not ``228.97500610351562``."""
    number = finite(value)
    if number is None or dtype[1:] != "f4":
        return number
    return float(str(np.float32(number)))


def _field(summary: FieldSummary) -> dict[str, Any]:
    return {
        "name": summary.name,
        "kind": summary.kind,
        "dtype": summary.dtype,
        "shape": list(summary.shape),
        "unit": summary.unit,
        "min": _extreme(summary.min, summary.dtype),
        "max": _extreme(summary.max, summary.dtype),
        "mean": finite(summary.mean),
        "std": finite(summary.std),
    }


def _summaries(alias: str, info: PayloadInfo) -> list[FieldSummary]:
    try:
        decoded = state().engine.decoded_payload(alias, info.hash)
    except NotFound as exc:  # the hash exists (payload_info said so): the schema does not
        raise UndecodablePayload(
            f"payload {info.hash} ({info.object_type} v{info.version}) cannot be decoded: {exc}"
        ) from None
    return decoded.summaries()


@api.get("/payloads/<payload_hash>")
def get_payload(payload_hash: str) -> Response:
    """A payload's metadata and a summary of every decoded field, with units."""
    args = api_args("db")
    db = api_database(args)
    info = db.payload_info(payload_hash)
    summaries = _summaries(db.alias, info)
    drawers = state().plugins.drawers.for_payload_type(info.object_type)
    attributes = {
        "object_type": info.object_type,
        "version": info.version,
        "size": info.size,
        "insertion_time": iso(info.insertion_time),
        "streamer_info": parse_streamer_info(info.streamer_info).as_dict(),
        "fields": [_field(s) for s in summaries],
    }
    self_link = url(url_for("api.get_payload", payload_hash=info.hash), [("db", db.alias)])
    drawer_list = url(url_for("api.list_drawers"), [("filter[payload_type]", info.object_type)])
    data = resource(
        "payloads",
        info.hash,
        attributes,
        links={"self": self_link},
        relationships={
            "drawers": relationship(
                drawer_list, [{"type": "drawers", "id": d.name} for d in drawers]
            )
        },
    )
    units = {"size": "byte", "fields": {s.name: s.unit for s in summaries if s.unit}}
    return send_document(document(data, links={"self": self_link}, meta={"units": units}))


# -- drawers --------------------------------------------------------------------------------


def _drawer_resource(drawer: Drawer) -> dict[str, Any]:
    tag_lists = {
        t: url(url_for("api.list_tags"), [("filter[object_type]", t)]) for t in drawer.payload_types
    }
    extra = {"by_payload_type": tag_lists} if len(tag_lists) > 1 else {}
    return resource(
        "drawers",
        drawer.name,
        drawer.describe(),
        links={
            "self": url_for("api.get_drawer", name=drawer.name),
            "html": url_for("pages.plot_page", drawer=drawer.name),
        },
        relationships={"tags": relationship(tag_lists[drawer.payload_types[0]], **extra)},
    )


@api.get("/drawers")
def list_drawers() -> Response:
    """The installed drawers, by payload type and kind, paged."""
    filters = ("filter[payload_type]", "filter[kind]")
    args = api_args("db", *filters, *_PAGING)
    paging = api_paging(args, "drawers")
    state().config.database(args.get("db") or None)  # drawers are the same for every alias
    kind = args.get("filter[kind]")
    if kind and kind not in KINDS:
        raise InvalidParameter("filter[kind]", f"{kind!r} is not one of {', '.join(KINDS)}")
    payload_type = args.get("filter[payload_type]")
    matches = [
        d
        for d in state().plugins.drawers
        if (not payload_type or d.applies_to(payload_type)) and (not kind or d.kind == kind)
    ]
    paging.require_exists(len(matches), "drawers")
    page = matches[paging.offset : paging.offset + paging.size]
    links = page_links(
        url_for("api.list_drawers"),
        [(k, args[k]) for k in filters if args.get(k)],
        paging,
        len(matches),
    )
    data = [_drawer_resource(d) for d in page]
    return send_document(document(data, links=links, meta=page_meta(paging, len(matches))))


@api.get("/drawers/<name>")
def get_drawer(name: str) -> Response:
    """One drawer: kind, payload types, typed parameters with defaults."""
    args = api_args("db")
    state().config.database(args.get("db") or None)
    data = _drawer_resource(state().plugins.drawers.get(name))
    return send_document(document(data, links={"self": data["links"]["self"]}))


# -- plots ----------------------------------------------------------------------------------


def _envelopes() -> SingleFlight[Rendered]:
    cache: SingleFlight[Rendered] = current_app.extensions[_ENVELOPES]
    return cache


def _plot_links(query: PlotRequest) -> dict[str, str]:
    data_query = query.query_string(view=False)
    with_view = query.query_string()
    exports = {
        fmt: f"{url_for('pages.plot_export', drawer=query.drawer, fmt=fmt)}?{data_query}"
        for fmt in ("json", "csv", "png")
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


@api.get("/plots/<drawer>")
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


@api.get("/jobs/<ident>")
def get_job(ident: str) -> Response:
    """A background plot job: status, progress, and its result link once done."""
    return job_response(find_job(ident, request.args, state().config.default_database))


# -- global tags ----------------------------------------------------------------------------


def _global_tag_attributes(gt: GlobalTag) -> dict[str, Any]:
    return {
        "validity": gt.validity,
        "description": gt.description,
        "release": gt.release,
        "insertion_time": iso(gt.insertion_time),
        "snapshot_time": iso(gt.snapshot_time),
    }


def _global_tag_link(name: str, alias: str) -> str:
    return url(url_for("api.get_global_tag", name=name), [("db", alias)])


@api.get("/globaltags")
def list_global_tags() -> Response:
    """Global tags by name (glob or substring), paged; records are on each one's own page."""
    args = api_args("db", "filter[name]", *_PAGING)
    paging = api_paging(args, "globaltags")
    db = api_database(args)
    result = db.global_tags(
        args.get("filter[name]") or None, page=paging.number, page_size=paging.size
    )
    paging.require_exists(result.total, "global tags")
    data = [
        resource(
            "globaltags",
            gt.name,
            _global_tag_attributes(gt),
            links={"self": _global_tag_link(gt.name, db.alias)},
        )
        for gt in result.items
    ]
    links = page_links(
        url_for("api.list_global_tags"),
        link_arguments(args, db.alias, ("filter[name]",)),
        paging,
        result.total,
    )
    return send_document(document(data, links=links, meta=page_meta(paging, result.total)))


@api.get("/globaltags/<path:name>", merge_slashes=False)
def get_global_tag(name: str) -> Response:
    """A global tag with every (record, label) → tag line, related to those tags."""
    args = api_args("db")
    db = api_database(args)
    gt = db.global_tag(name)
    entries = db.global_tag_map(name)
    records = [{"record": e.record, "label": e.label, "tag": e.tag_name} for e in entries]
    tags = [{"type": "tags", "id": t} for t in sorted({e.tag_name for e in entries})]
    self_link = _global_tag_link(gt.name, db.alias)
    data = resource(
        "globaltags",
        gt.name,
        {**_global_tag_attributes(gt), "records": records},
        links={"self": self_link},
        relationships={"tags": relationship(data=tags)},
    )
    return send_document(document(data, links={"self": self_link}))


# -- runs and watch ------------------------------------------------------------------------
# The run context and calibration watch routes live in their own module, on this blueprint.
from inspector.web import runs_api as _runs_api  # noqa: E402, F401
