"""The plot schemas and the operation of ``/api/v1/plots/{drawer}``.

The parameters are derived from the plot request's field table
(:func:`~inspector.request.request_fields`): the fields that pin the data,
then the view options, then the drawer's own parameters as a free-form
object.
"""

from __future__ import annotations

from typing import Any, Final

from inspector.plots.base import PlotJson
from inspector.request import PlotRequest, request_fields
from inspector.web.jsonapi import MEDIA_TYPE
from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, responses
from inspector.web.openapi.schema import (
    INT,
    STR,
    Schema,
    model_schema,
    obj,
    ref,
    resource,
    single,
)

__all__ = ["LINKED_EXPORTS", "PLOT_RESOURCE", "plot_params", "schemas"]

#: The exports a plot resource links, those of them the server can make (a PNG
#: needs its browser: without one there is no ``links.png``, which would answer 503).
LINKED_EXPORTS: Final[tuple[str, ...]] = ("json", "csv", "png")


def schemas() -> dict[str, Schema]:
    """``PlotObject``, ``PlotResource`` and ``PlotDocument``."""
    plot = model_schema(PlotJson)
    links = {"self": STR, "html": STR, **dict.fromkeys(LINKED_EXPORTS, STR)}
    plot_resource = resource("plots", ref("PlotObject"), links=links)
    plot_resource["properties"]["id"] = {
        "type": "string",
        "description": "drawer?canonical data query string",
    }
    pinned = {
        "type": "boolean",
        "description": "snapshot in the past: this answer never changes",
    }
    document = single("PlotResource", obj({"pinned": pinned}))
    return {"PlotObject": plot, "PlotResource": plot_resource, "PlotDocument": document}


def plot_params(request_type: type[PlotRequest] = PlotRequest) -> list[Param]:
    """Every field of the plot request (inspector/request.py), then the drawer parameters."""
    fields = [
        DB
        if spec.name == "db"
        else Param(
            spec.name,
            dict(spec.spec.schema),
            spec.spec.help if spec.role == "data" else f"view only: {spec.spec.help}",
            required=spec.spec.required,
        )
        for spec in request_fields(request_type)
    ]
    drawer_parameters = Param(
        "drawer_parameters",
        {"type": "object", "additionalProperties": STR},
        "any other name is a drawer parameter (see /api/v1/drawers/{name}); "
        "unknown names and bad values are 400s",
        free_form=True,
    )
    drawer = Param("drawer", where="path", description="drawer name, e.g. beamspot.position_x")
    return [drawer, *fields, drawer_parameters]


def _plot_responses() -> dict[str, Any]:
    """A plot, or 202 with the job computing it (heavy request, or Prefer: respond-async)."""
    answers = responses("PlotDocument", 400, 404, 422, 500, 503)
    answers["202"] = {
        "description": "Accepted: a background job computes this plot (a history whose "
        "uncached payloads are heavy, or the request said Prefer: respond-async; "
        "Prefer: respond-sync never gets a 202); poll the job at Location (Retry-After "
        "seconds apart); its links.result is the plot once done (docs/jobs.md)",
        "headers": {
            "Location": {"description": "the job resource", "schema": STR},
            "Retry-After": {"description": "seconds before the next poll", "schema": INT},
        },
        "content": {MEDIA_TYPE: {"schema": ref("JobDocument")}},
    }
    return answers


PLOT_RESOURCE: Final = Operation(
    "A plot object (same query string as the plot page)",
    "plots",
    plot_params(),
    _plot_responses(),
)
