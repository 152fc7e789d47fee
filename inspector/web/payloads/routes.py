"""A payload: its JSON:API resource and its page."""

from __future__ import annotations

import numpy as np
from flask import Response, render_template, url_for

from inspector.conddb import PayloadInfo
from inspector.errors import NotFound, PayloadDecodeError, UndecodablePayload
from inspector.payload import ArchiveLayout, FieldSummary, Layout, parse_streamer_info
from inspector.web.args import api_args, page_args
from inspector.web.jsonapi import document, finite, iso, relationship, resource, url
from inspector.web.payloads import models
from inspector.web.payloads.openapi import GET_PAYLOAD
from inspector.web.responses import send_document
from inspector.web.routing import Routes
from inspector.web.state import state

__all__ = ["api", "pages"]

api = Routes("api")
pages = Routes("pages")


def _extreme(value: float | None, dtype: str) -> float | None:
    """A min or max as its field stores it: float32 ``228.975``, not ``228.97500610351562``."""
    number = finite(value)
    if number is None or dtype[1:] != "f4":
        return number
    return float(str(np.float32(number)))


def _field(summary: FieldSummary) -> models.FieldSummary:
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


@api.get("/payloads/<payload_hash>", GET_PAYLOAD)
def get_payload(payload_hash: str) -> Response:
    """A payload's metadata and a summary of every decoded field, with units."""
    db = api_args().database()
    info = db.payload_info(payload_hash)
    summaries = _summaries(db.alias, info)
    drawers = state().plugins.drawers.for_payload_type(info.object_type)
    attributes: models.PayloadAttributes = {
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


@pages.get("/payloads/<payload_hash>")
def payload_page(payload_hash: str) -> str:
    """What wrote a payload (STREAMER_INFO), its layout and every decoded member, summarised.

    A payload whose bytes do not match its layout still gets its page: the
    metadata, and the decoder's message naming the member and byte offset.
    """
    db = page_args().database()
    info = db.payload_info(payload_hash)
    summaries: list[FieldSummary] = []
    error = ""
    layout: Layout | None = None
    try:
        layout = state().plugins.schemas.get(info.object_type, info.version)
        summaries = state().engine.decoded_payload(db.alias, info.hash).summaries()
    except (NotFound, PayloadDecodeError) as exc:
        error = exc.message
    return render_template(
        "payload.html",
        db=db,
        info=info,
        streamer=parse_streamer_info(info.streamer_info),
        layout=layout,
        archive=isinstance(layout, ArchiveLayout),
        summaries=summaries,
        error=error,
        drawers=state().plugins.drawers.for_payload_type(info.object_type),
        api=url(url_for("api.get_payload", payload_hash=info.hash), [("db", db.alias)]),
    )
