"""Each resource's members are declared once: TypedDict == published schema == real body.

For every resource type (and every object nested in one, and the document
metas declared as TypedDicts) the TypedDict its
serializer returns, the component schema the OpenAPI document publishes for
it, and a real response of the demo app must name the same members: the
TypedDict's keys are the schema's ``properties``, its required keys the
schema's ``required``, and a real body has every required key and nothing
undeclared.  (mypy checks the serializer fills the TypedDict; this checks
the document is derived from it.)  No ``from __future__ import annotations``:
the small TypedDicts at the end use ``NotRequired``.  The last test pins
:func:`model_schema`'s conventions on such a small TypedDict.
"""

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Final, NotRequired

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import Field
from typing_extensions import TypedDict

from inspector import __version__
from inspector.annotations.settings import parse_auth_table
from inspector.config import Config, DatabaseConfig, WatchConfig, WatchedTag
from inspector.drawers.declare import DrawerDescription
from inspector.drawers.params import DrawerParam
from inspector.jobs import JobError
from inspector.payload.archive.streamer import StreamerInfoFields
from inspector.plots.base import PlotJson
from inspector.plots.provenance import ProvenanceJson
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.diffs.models import GlobalTagDiffAttributes, TagDiffAttributes
from inspector.web.globaltags.models import GlobalTagAttributes, GlobalTagRecord
from inspector.web.jobs.models import JobAttributes, JobFailure, JobProgress
from inspector.web.jsonapi import MEDIA_TYPE, PageMeta
from inspector.web.meta.models import DatabaseEntry, IndexAttributes
from inspector.web.notes.models import NewNoteAttributes, NoteAttributes
from inspector.web.openapi import openapi_document
from inspector.web.openapi.schema import Since, model_schema, one_of
from inspector.web.payloads.models import FieldSummary, PayloadAttributes
from inspector.web.runs import models as run_models
from inspector.web.state import state
from inspector.web.tags.models import IovAttributes, IovListMeta, TagAttributes
from inspector.web.watch.models import NewestRun, WatchedTagAttributes

API: Final = "/api/v1"
SCHEMAS: Final = openapi_document(__version__)["components"]["schemas"]
TAG: Final = "BeamSpotObjects_Express_byRun_v1"
TOKEN: Final = "models-token-0123456789"


@pytest.fixture(scope="module")
def client(demo_path: Path) -> Iterator[FlaskClient]:
    """The demo app, watching one tag and taking notes from a token holder."""
    auth = parse_auth_table(
        {"tokens": {"alice": "sha256:" + hashlib.sha256(TOKEN.encode()).hexdigest()}}, "test"
    )
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        watch=WatchConfig((WatchedTag("demo", TAG, 20, 40),)),
        auth=auth,
    )
    app: Flask = create_app(config, load_plugins())
    yield app.test_client()
    state(app).close()


def _schema(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with a component reference followed and ``X | None`` reduced to X."""
    if "$ref" in node:
        return _schema(SCHEMAS[node["$ref"].rsplit("/", 1)[1]])
    for branch in node.get("anyOf", node.get("oneOf", [])):
        if branch.get("type") != "null":
            return _schema(branch)
    return node


def _at(component: str, *path: str) -> dict[str, Any]:
    """The object schema at ``path`` of a component (``items`` steps into arrays)."""
    node = _schema(SCHEMAS[component])
    for step in path:
        node = _schema(node["items"] if step == "items" else node["properties"][step])
    return node


def _get(client: FlaskClient, path: str, status: int = 200, **headers: str) -> Any:
    response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response.get_json(force=True)


def _pinned(model: Any, schema: dict[str, Any], body: dict[str, Any] | None) -> None:
    """The TypedDict, its schema and (when given) a real body name the same members."""
    declared = model.__required_keys__ | model.__optional_keys__
    assert set(schema["properties"]) == declared, model.__name__
    assert set(schema["required"]) == model.__required_keys__, model.__name__
    if body is not None:
        assert model.__required_keys__ <= set(body) <= declared, (model.__name__, sorted(body))


def test_tags_iovs_and_payloads(client: FlaskClient) -> None:
    tag = _get(client, f"/tags/{TAG}")["data"]["attributes"]
    _pinned(TagAttributes, _at("Tag", "attributes"), tag)
    _pinned(PageMeta, SCHEMAS["PageMeta"], _get(client, "/tags")["meta"])
    iovs = _get(client, f"/tags/{TAG}/iovs")
    _pinned(IovListMeta, _at("IovListDocument", "meta"), iovs["meta"])
    iov = iovs["data"][0]["attributes"]
    _pinned(IovAttributes, _at("Iov", "attributes"), iov)
    payload = _get(client, f"/payloads/{iov['payload_hash']}")["data"]["attributes"]
    _pinned(PayloadAttributes, _at("Payload", "attributes"), payload)
    _pinned(FieldSummary, SCHEMAS["FieldSummary"], payload["fields"][0])
    streamer = _at("Payload", "attributes", "streamer_info")
    _pinned(StreamerInfoFields, streamer, payload["streamer_info"])


def test_drawers_and_their_parameters(client: FlaskClient) -> None:
    drawers = _get(client, "/drawers?page[size]=500")["data"]
    _pinned(DrawerDescription, _at("Drawer", "attributes"), drawers[0]["attributes"])
    params = [p for d in drawers for p in d["attributes"]["params"]]
    assert params, "the demo plugins declare drawer parameters"
    for param in params:
        _pinned(DrawerParam, SCHEMAS["DrawerParam"], param)


def test_plots_and_their_provenance(client: FlaskClient) -> None:
    plot = _get(client, f"/plots/beamspot.position_x?db=demo&tag={TAG}")["data"]["attributes"]
    _pinned(PlotJson, SCHEMAS["PlotObject"], plot)
    _pinned(ProvenanceJson, _at("PlotObject", "provenance"), plot["provenance"])


def test_jobs(client: FlaskClient) -> None:
    path = f"/plots/beamspot.position_y?db=demo&tag={TAG}"
    job = _get(client, path, 202, Prefer="respond-async")["data"]["attributes"]
    _pinned(JobAttributes, _at("JobResource", "attributes"), job)
    _pinned(JobProgress, _at("JobResource", "attributes", "progress"), job["progress"])
    failure = _at("JobResource", "attributes", "error")
    _pinned(JobFailure, failure, None)  # a failure's body is the JobError it copies:
    assert set(failure["properties"]) == {f.name for f in dataclasses.fields(JobError)}


def test_index(client: FlaskClient) -> None:
    index = _get(client, "")["data"]["attributes"]
    _pinned(IndexAttributes, _at("Index", "attributes"), index)
    _pinned(DatabaseEntry, _at("Index", "attributes", "databases", "items"), index["databases"][0])


def test_global_tags_and_their_diff(client: FlaskClient) -> None:
    names = [g["id"] for g in _get(client, "/globaltags")["data"]]
    one = _get(client, f"/globaltags/{names[0]}")["data"]["attributes"]
    _pinned(GlobalTagAttributes, _at("GlobalTag", "attributes"), one)
    records = _at("GlobalTag", "attributes", "records", "items")
    _pinned(GlobalTagRecord, records, one["records"][0])
    listed = _get(client, "/globaltags")["data"][0]["attributes"]
    _pinned(GlobalTagAttributes, _at("GlobalTag", "attributes"), listed)
    row = _get(client, f"/diff/globaltags?a={names[0]}&b={names[1]}")["data"][0]["attributes"]
    _pinned(GlobalTagDiffAttributes, _at("GlobalTagDiffRow", "attributes"), row)


def test_tag_diff(client: FlaskClient) -> None:
    other = "BeamSpotObjects_HLT_byRun_v1"
    row = _get(client, f"/diff/tags?a={TAG}&b={other}")["data"][0]["attributes"]
    _pinned(TagDiffAttributes, _at("TagDiffRow", "attributes"), row)


def test_runs_fills_and_readiness(client: FlaskClient) -> None:
    listed = _get(client, "/runs?page[size]=500")
    _pinned(run_models.RunListMeta, _at("RunListDocument", "meta"), listed["meta"])
    runs = listed["data"]
    _pinned(run_models.RunAttributes, _at("Run", "attributes"), runs[0]["attributes"])
    with_fill = next(r for r in runs if r["attributes"]["fill_number"] is not None)
    one = _get(client, f"/runs/{with_fill['id']}")
    _pinned(run_models.RunMeta, _at("RunDocument", "meta"), one["meta"])
    detail = one["data"]["attributes"]
    _pinned(run_models.RunDetailAttributes, _at("RunDocument", "data", "attributes"), detail)
    _pinned(
        run_models.FillAttributes, _at("RunDocument", "data", "attributes", "fill"), detail["fill"]
    )
    global_tag = _get(client, "/globaltags")["data"][0]["id"]
    ready = _get(client, f"/runs/{runs[-1]['id']}/readiness?globaltag={global_tag}")
    attributes = ready["data"]["attributes"]
    _pinned(run_models.ReadinessAttributes, _at("Readiness", "attributes"), attributes)
    record_schema = _at("Readiness", "attributes", "records", "items")
    for record in attributes["records"]:
        _pinned(run_models.RecordReadinessAttributes, record_schema, record)
    found = next(r["iov"] for r in attributes["records"] if r["iov"] is not None)
    _pinned(run_models.FoundIov, SCHEMAS["FoundIov"], found)
    table = _get(client, f"/runs/readiness?globaltag={global_tag}")
    _pinned(run_models.ReadinessListMeta, _at("RunReadinessListDocument", "meta"), table["meta"])
    row = table["data"][0]["attributes"]
    _pinned(run_models.RunReadinessAttributes, _at("RunReadiness", "attributes"), row)
    records_schema = _at("RunReadinessListDocument", "meta", "records", "items")
    _pinned(run_models.ReadinessRecord, records_schema, table["meta"]["records"][0])


def test_watch(client: FlaskClient) -> None:
    watched = _get(client, "/watch")["data"][0]["attributes"]
    _pinned(WatchedTagAttributes, _at("WatchedTag", "attributes"), watched)
    assert watched["newest_iov"] is not None and watched["newest_run"] is not None
    _pinned(run_models.FoundIov, SCHEMAS["FoundIov"], watched["newest_iov"])
    _pinned(NewestRun, _at("WatchedTag", "attributes", "newest_run"), watched["newest_run"])


def test_notes_as_sent_and_as_answered(client: FlaskClient) -> None:
    sent = {"tag": TAG, "text": "pinned by the models test"}
    body = json.dumps({"data": {"type": "annotations", "attributes": sent}})
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = client.post(
        f"{API}/annotations", data=body, content_type=MEDIA_TYPE, headers=headers
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    note = response.get_json(force=True)["data"]["attributes"]
    _pinned(NoteAttributes, _at("Annotation", "attributes"), note)
    listed = _get(client, f"/annotations?filter[tag]={TAG}")["data"][0]["attributes"]
    _pinned(NoteAttributes, _at("Annotation", "attributes"), listed)
    _pinned(NewNoteAttributes, _at("NewAnnotationDocument", "data", "attributes"), sent)


class _Inner(TypedDict):
    """Inner object."""

    a: int


class _Outer(TypedDict):
    title: str
    count: Annotated[int | None, Field(ge=0, description="how many")]
    inner: Annotated[_Inner, Field(description="the inner member")]
    maybe: _Inner | None
    kind: Annotated[str, one_of(["x", "y"])]
    extra: NotRequired[list[Since]]


def test_model_schema_follows_the_document_conventions() -> None:
    inner = {
        "description": "Inner object.",
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    schema = model_schema(_Outer)
    assert "title" not in schema and "$defs" not in schema
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"title", "count", "inner", "maybe", "kind"}
    properties = schema["properties"]
    assert properties["title"] == {"type": "string"}  # a member named title stays
    assert properties["count"] == {
        "type": ["integer", "null"],
        "minimum": 0,
        "description": "how many",
    }
    assert properties["inner"] == {**inner, "description": "the inner member"}
    assert properties["maybe"] == {"anyOf": [inner, {"type": "null"}]}
    assert properties["kind"] == {"type": "string", "enum": ["x", "y"]}
    assert properties["extra"]["items"]["maximum"] == 2**64 - 1
    referred = model_schema(_Outer, components=["_Inner"])["properties"]
    assert referred["inner"] == {
        "$ref": "#/components/schemas/_Inner",
        "description": "the inner member",
    }
    assert referred["maybe"] == {
        "anyOf": [{"$ref": "#/components/schemas/_Inner"}, {"type": "null"}]
    }
