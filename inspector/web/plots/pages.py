"""The plot page, its drawing (``item.json``) and its exports.

A plot page computes its plot while answering, so a bad link gets a 404/400
page that says what is wrong; the browser then fetches the already cached
Bokeh document (``item.json``) and draws it.
"""

from __future__ import annotations

from typing import Any, Final

from flask import Response, render_template, request, url_for

from inspector.conddb import ConditionsDB, Tag, format_since
from inspector.conddb.ranges import RANGE_FORMS
from inspector.conddb.timetypes import format_snapshot
from inspector.drawers import Drawer
from inspector.engine.fills import FillChoices, tag_fills
from inspector.errors import BadRequest, InspectorError, InvalidParameter, NotFound
from inspector.plots import DetectorMap, PlotObject
from inspector.request import PlotRequest
from inspector.web.jobs.service import job_url, plot_job
from inspector.web.jsonapi import document, resource
from inspector.web.notes.auth import current_writer
from inspector.web.notes.views import markers_fingerprint, plot_markers
from inspector.web.plots.modules import module_history, module_list
from inspector.web.responses import send_document, serve
from inspector.web.routing import Routes
from inspector.web.state import VALUES, request_time, state

__all__ = ["pages"]

pages = Routes("pages")

#: Tags offered in a comparison's "another tag" list (the page says when there are more).
TAG2_CHOICES: Final = 200
#: Fills offered by a history's range inputs (the page says when the tag spans more).
FILL_CHOICES: Final = 1000
_KIND_HELP: Final = {
    "single": "One IOV of one tag.",
    "compare": "Two inputs, kept in order: A (first) and B (second) — two IOVs of one "
    "tag, or one IOV of each of two tags.",
    "history": "Every IOV of the tag in the range, one point per IOV.",
}


def _query(drawer: str) -> PlotRequest:
    args = request.args.items(multi=True)
    return PlotRequest.from_query(drawer, args, state().config.default_database)


@pages.get("/plot/<drawer>")
def plot_page(drawer: str) -> tuple[str, int]:
    """The plot with its parameter form, IOV choosers, provenance and exports."""
    web = state()
    declared = web.plugins.drawers.get(drawer)
    query = _query(drawer)
    db = web.engine.database(query.db)
    tag = db.tag(query.tag)
    now = request_time()
    form_error: InspectorError | None = None
    try:
        # A heavy history runs as a background job: the page shows its progress.
        job = plot_job(query, now)
        plot = None if job else web.plot(query)
    except (BadRequest, NotFound) as exc:  # of the form's inputs: said in the form, page kept
        job, plot, form_error = None, None, exc
    pinned = query.pinned_at(now)
    same_type = db.search_tags(object_type=tag.object_type, page_size=TAG2_CHOICES)
    fingerprint = markers_fingerprint(plot_markers(query))
    drawing = (pinned if job else query).query_string(notes=fingerprint)
    return render_template(
        "plot.html",
        db=db,
        drawer=declared,
        tag=tag,
        query=query,
        plot=plot,
        params=dict(query.params),
        same_type=list(same_type.items),
        same_type_total=same_type.total,
        item_url=url_for("pages.plot_item", drawer=drawer) + "?" + drawing,
        values_url=_values_url(declared, pinned if job else query),
        job=job,
        job_url=job_url(job) if job else None,
        certifications=web.config.certifications,
        writer=current_writer(),
        labels=plot.provenance.labels if plot else (),
        iov_texts=[format_since(s, tag.time_type) for s in plot.provenance.iovs] if plot else [],
        kind_help=_KIND_HELP[declared.kind],
        form_error=form_error,
        error_field=form_error.parameter if isinstance(form_error, InvalidParameter) else None,
        check_url=url_for("pages.plot_check", drawer=drawer),
        range_forms=RANGE_FORMS,
        fills=_fill_choices(db, tag, query) if declared.kind == "history" else None,
        **_links(declared, query, pinned),
        **_modules(plot, tag.object_type, query),
    ), (form_error.http_status if form_error else 200)


def _fill_choices(db: ConditionsDB, tag: Tag, query: PlotRequest) -> FillChoices:
    """The fills a history's range inputs offer (over the tag's whole span, newest kept)."""
    return tag_fills(db, tag, query.snapshot, FILL_CHOICES)


@pages.get("/plot/<drawer>/check.json")
def plot_check(drawer: str) -> Response:
    """Whether the plot form's inputs make a plot, and what it would hold, without drawing it.

    The form asks before leaving the page: an error (JSON:API, naming the
    parameter) is shown beside its input and the plot drawn stays.
    """
    web = state()
    web.plugins.drawers.get(drawer)
    query = _query(drawer)
    summary = web.engine.check(query)
    data = resource("plot-checks", query.cache_key, {"summary": summary})
    return send_document(document(data, links={"self": request.full_path}))


def _modules(plot: PlotObject | None, object_type: str, query: PlotRequest) -> dict[str, Any]:
    """A map's flagged modules and where one module's history is (``None`` for other plots)."""
    if not isinstance(plot, DetectorMap):
        return {"modules": None, "module_history": None}
    web = state()
    history = module_history(list(web.plugins.drawers), object_type, query)
    base = (
        url_for("pages.plot_page", drawer=history[0].name) + "?" + history[1] if history else None
    )
    return {
        "modules": module_list(plot, web.tools.geometry),
        "module_history": {"title": history[0].title, "url": base} if history else None,
    }


def _values_url(drawer: Drawer, query: PlotRequest) -> str | None:
    """Where a history's page fetches the values of the range zoomed to (``zoom`` is added)."""
    if drawer.kind != "history":
        return None
    return url_for("pages.plot_values", drawer=drawer.name) + "?" + query.query_string(zoom=None)


def _links(drawer: Drawer, query: PlotRequest, pinned: PlotRequest) -> dict[str, Any]:
    """The page's links: permalink (pinned to now), exports, the API resource.

    Only the formats this server can make are linked (a PNG link without a
    browser would replace the page with a 503); ``unavailable`` says why
    each other one is not, for the page to say how to enable it.
    """
    name = drawer.name
    offered, unavailable = state().tools.offered()
    return {
        "plot_link": url_for("pages.plot_page", drawer=name) + "?" + pinned.query_string(),
        "exports": {
            fmt.name: url_for("pages.plot_export", drawer=name, fmt=fmt.name)
            + "?"
            + query.query_string()
            for fmt in offered
        },
        "unavailable": {fmt: exc.public_message for fmt, exc in unavailable.items()},
        "api_url": url_for("api.plot_resource", drawer=name) + "?" + query.query_string(),
        "permalink": state().config.web.absolute(
            url_for("pages.plot_page", drawer=name) + "?" + pinned.query_string()
        ),
        "snapshot_text": format_snapshot(pinned.snapshot) if pinned.snapshot else "",
        "is_pinned": query.snapshot is not None,
    }


@pages.get("/plot/<drawer>/item.json")
def plot_item(drawer: str) -> Response:
    """The rendered Bokeh document (``json_item``), cached per pinned request."""
    query = _query(drawer)
    now = request_time()
    markers = plot_markers(query)
    # Pinned drawings are cached for good by browsers: only when their URL
    # carries the fingerprint of the notes drawn (the plot page adds it).
    current = query.view.notes == markers_fingerprint(markers)
    rendered = state().rendered(query, "item", now, markers)
    return serve(rendered, pinned=query.is_pinned(now) and current)


@pages.get("/plot/<drawer>/values.json")
def plot_values(drawer: str) -> Response:
    """A history drawing's data for the range in ``zoom``: what the page swaps in on a zoom.

    Cached and pinned like ``item.json`` (no notes in it: a snapshot in the
    past pins it); a plot other than a history is a 400.
    """
    query = _query(drawer)
    now = request_time()
    return serve(state().rendered(query, VALUES, now), pinned=query.is_pinned(now))


@pages.get("/plot/<drawer>/export.<fmt>")
def plot_export(drawer: str, fmt: str) -> Response:
    """The plot in any registered export format (JSON, CSV, HTML, PNG, cmspi, a plugin's)."""
    web = state()
    web.plugins.drawers.get(drawer)
    web.tools.exports.get(fmt)  # an unknown format is a 404 before any argument is read
    query = _query(drawer)
    now = request_time()
    rendered = web.rendered(query, fmt, now)
    return serve(rendered, pinned=query.is_pinned(now), download=rendered.filename)
