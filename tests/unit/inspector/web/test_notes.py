"""Annotations and certification over HTTP: API, forms, pages, plots and the OpenAPI contract.

The app runs over the hand-made database with a golden JSON, a token user
(alice), and a trusted proxy at 10.9.9.9 that signs users in with
``X-Remote-User``.  Every API answer is checked against the OpenAPI schema
of its path, method and status.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from web_apps import beamspot_plugins
from werkzeug.test import TestResponse

from inspector.annotations import NewAnnotation, Target
from inspector.annotations.settings import parse_auth_table
from inspector.certification import Certifications, load_certification
from inspector.conddb.timetypes import pack_lumi
from inspector.config import Config, DatabaseConfig
from inspector.engine.cache import nbytes_of
from inspector.render.history import AnnotationMarker
from inspector.web.app import create_app
from inspector.web.jsonapi import MEDIA_TYPE
from inspector.web.notes.views import MARKER_CACHE_BYTES, MARKER_SECONDS, MARKER_TEXT, MAX_MARKERS
from inspector.web.openapi import openapi_document
from inspector.web.state import state

TOKEN = "alice-token-0123456789"
PROXY = "10.9.9.9"
SSO = {"X-Remote-User": "bob", "Sec-Fetch-Site": "same-origin"}
XSS = "<script>alert('x')</script> & <b>bold</b>"
GOLDEN = {"100": [[50, 60]], "200": [[1, 10]], "350": [[4, 5]]}
DOC = openapi_document("test")
REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:openapi", Resource.from_contents(DOC, default_specification=DRAFT202012)
)


@pytest.fixture
def app(handmade_path: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Flask]:
    (tmp_path / "golden.json").write_text(json.dumps(GOLDEN))
    auth = parse_auth_table(
        {
            "proxy_user_header": "X-Remote-User",
            "trusted_proxies": [PROXY],
            "tokens": {"alice": "sha256:" + hashlib.sha256(TOKEN.encode()).hexdigest()},
        },
        "test",
    )
    config = Config(
        {"hand": DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}")},
        "hand",
        certifications=Certifications(
            {"golden": load_certification("golden", tmp_path / "golden.json")}
        ),
        auth=auth,
    )
    flask_app = create_app(config, beamspot_plugins())
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _checked(response: TestResponse, template: str, method: str) -> TestResponse:
    """The body validates against the documented schema of its path, method and status."""
    if response.status_code == 304:
        return response
    responses = DOC["paths"][template][method]["responses"]
    documented = responses[str(response.status_code)]
    if "$ref" in documented:
        documented = DOC["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"][response.mimetype]["schema"]
    ref = {"$ref": "urn:openapi" + schema["$ref"]}
    Draft202012Validator(ref, registry=REGISTRY).validate(response.get_json(force=True))
    return response


def _post(
    client: FlaskClient,
    attributes: dict[str, Any],
    headers: dict[str, str] | None = None,
    peer: str = "127.0.0.1",
    content_type: str = MEDIA_TYPE,
) -> TestResponse:
    body = json.dumps({"data": {"type": "annotations", "attributes": attributes}})
    response = client.post(
        "/api/v1/annotations",
        data=body,
        content_type=content_type,
        headers=headers or {},
        environ_base={"REMOTE_ADDR": peer},
    )
    return _checked(response, "/api/v1/annotations", "post")


def _list(client: FlaskClient, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/annotations{query}")
    assert response.status_code == 200, response.data
    doc: dict[str, Any] = _checked(response, "/api/v1/annotations", "get").get_json(force=True)
    return doc


ALICE = {"Authorization": f"Bearer {TOKEN}"}


# -- writing needs an identified user -------------------------------------------------------------


def test_a_token_user_adds_notes_and_the_author_cannot_be_spoofed(client: FlaskClient) -> None:
    response = _post(
        client,
        {"tag": "BS_run", "since": "250", "text": "  x drifts  ", "author": "mallory"},
        ALICE,
    )
    assert response.status_code == 201, response.data
    note = response.get_json(force=True)["data"]
    attributes = note["attributes"]
    assert attributes["author"] == "alice"  # not what the request claimed
    assert attributes["target"] == "iov" and attributes["since"] == 200  # the IOV valid at 250
    assert attributes["since_text"] == "200" and attributes["text"] == "x drifts"
    location = unquote(response.headers["Location"])
    assert location == "/api/v1/annotations?filter[db]=hand&filter[tag]=BS_run"
    listed = _list(client, "?filter[tag]=BS_run")
    assert listed["meta"]["total"] == 1 and listed["data"][0]["id"] == note["id"]


@pytest.mark.parametrize(
    ("headers", "peer", "detail"),
    [
        ({}, "127.0.0.1", "needs an identified user"),
        ({"Authorization": "Bearer wrong-token"}, "127.0.0.1", "API token is not valid"),
        ({"Authorization": TOKEN}, "127.0.0.1", "must be 'Bearer <token>'"),
        # The proxy header counts only from the trusted proxy's address.
        (SSO, "192.0.2.7", "needs an identified user"),
        (SSO, "127.0.0.1", "needs an identified user"),
    ],
)
def test_anonymous_and_bad_token_writes_are_401s_and_change_nothing(
    client: FlaskClient, headers: dict[str, str], peer: str, detail: str
) -> None:
    response = _post(client, {"tag": "BS_run", "text": "sneaky"}, headers, peer)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="payload-inspector"'
    error = response.get_json(force=True)["errors"][0]
    assert detail in error["detail"] and TOKEN not in error["detail"]
    assert _list(client)["meta"]["total"] == 0


def test_the_trusted_proxy_signs_users_in(client: FlaskClient) -> None:
    response = _post(client, {"tag": "BS_lumi", "text": "ok"}, SSO, PROXY)
    assert response.status_code == 201
    assert response.get_json(force=True)["data"]["attributes"]["author"] == "bob"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Remote-User": "bob", "Sec-Fetch-Site": "cross-site"},
        {"X-Remote-User": "bob", "Sec-Fetch-Site": "same-site"},
        {"X-Remote-User": "bob", "Origin": "https://evil.example"},
        {"X-Remote-User": "bob"},  # neither header: not provably from this site
    ],
)
def test_cross_site_writes_with_the_sso_identity_are_refused(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = _post(client, {"tag": "BS_run", "text": "csrf"}, headers, PROXY)
    assert response.status_code == 403
    assert "cross-site request refused" in response.get_json(force=True)["errors"][0]["detail"]
    assert _list(client)["meta"]["total"] == 0
    same_origin = {"X-Remote-User": "bob", "Origin": "http://localhost"}
    assert _post(client, {"tag": "BS_run", "text": "fine"}, same_origin, PROXY).status_code == 201


@pytest.mark.parametrize(
    ("attributes", "status", "parameter"),
    [
        ({"tag": "BS_run", "text": ""}, 400, "text"),
        ({"tag": "BS_run", "text": "a\nb"}, 400, "text"),
        ({"tag": "BS_run", "text": "x" * 1001}, 400, "text"),
        ({"tag": "BS_run"}, 400, "text"),
        ({"text": "no tag"}, 400, "tag"),
        ({"tag": "BS_run", "text": "t", "since": "50"}, 404, None),  # before the first IOV
        ({"tag": "BS_run", "text": "t", "since": "abc"}, 400, "since"),
        ({"tag": "BS_run", "text": "t", "target": "iov"}, 400, "since"),
        ({"tag": "BS_run", "text": "t", "target": "run"}, 400, "target"),
        ({"tag": "BS_run", "text": "t", "plot": "https://evil.example/"}, 400, "plot"),
        ({"tag": "BS_run", "text": "t", "colour": "red"}, 400, "colour"),
        ({"tag": "NoSuchTag", "text": "t"}, 404, None),
        ({"tag": "BS_run", "text": "t", "db": "nowhere"}, 404, None),
    ],
)
def test_bad_notes_are_named(
    client: FlaskClient, attributes: dict[str, Any], status: int, parameter: str | None
) -> None:
    response = _post(client, attributes, ALICE)
    assert response.status_code == status, response.data
    error = response.get_json(force=True)["errors"][0]
    if parameter:
        assert error["source"] == {"parameter": parameter}
    assert _list(client)["meta"]["total"] == 0


def test_the_body_must_be_a_json_api_document(client: FlaskClient) -> None:
    plain = _post(client, {"tag": "BS_run", "text": "t"}, ALICE, content_type="application/json")
    assert plain.status_code == 415
    for body in (b"{", b'{"data": {"type": "tags", "attributes": {}}}', b'{"data": []}'):
        response = client.post(
            "/api/v1/annotations", data=body, content_type=MEDIA_TYPE, headers=ALICE
        )
        assert _checked(response, "/api/v1/annotations", "post").status_code == 400


# -- listing -------------------------------------------------------------------------------------


def test_listing_filters_and_pages_with_totals(client: FlaskClient) -> None:
    for since in ("100", "200", "300", "400"):
        assert (
            _post(client, {"tag": "BS_run", "since": since, "text": f"r{since}"}, ALICE).status_code
            == 201
        )
    _post(client, {"tag": "BS_lumi", "since": "100:60", "text": "lumi"}, ALICE)
    _post(
        client,
        {"tag": "BS_run", "plot": "/plot/beamspot.position_x?tag=BS_run", "text": "p"},
        ALICE,
    )
    everything = _list(client, "?page[size]=2")
    assert everything["meta"] == {"total": 6, "page": 1, "page_size": 2, "pages": 3}
    assert [d["attributes"]["text"] for d in everything["data"]] == ["p", "lumi"]
    assert everything["links"]["next"].endswith("page[number]=2&page[size]=2")
    ranged = _list(client, "?filter[tag]=BS_run&filter[since_min]=200&filter[since_max]=300")
    assert sorted(d["attributes"]["text"] for d in ranged["data"]) == ["r200", "r300"]
    lumi = _list(client, "?filter[tag]=BS_lumi&filter[since_min]=100:50")
    assert lumi["data"][0]["attributes"]["since"] == pack_lumi(100, 50)
    assert lumi["data"][0]["attributes"]["since_text"] == "100:50"
    plots = _list(client, "?filter[target]=plot")
    assert plots["meta"]["total"] == 1
    for query, parameter in [
        ("?filter[target]=run", "filter[target]"),
        ("?filter[since_min]=1:2", "filter[since_min]"),
        ("?filter[colour]=x", "filter[colour]"),
        ("?page[size]=501", "page[size]"),
    ]:
        response = _checked(client.get(f"/api/v1/annotations{query}"), "/api/v1/annotations", "get")
        assert response.status_code == 400
        assert response.get_json(force=True)["errors"][0]["source"] == {"parameter": parameter}
    assert client.get("/api/v1/annotations?filter[db]=nowhere").status_code == 404


# -- pages: notes escaped, forms guarded --------------------------------------------------------


def test_notes_are_escaped_on_the_tag_page(client: FlaskClient) -> None:
    assert _post(client, {"tag": "BS_run", "since": "300", "text": XSS}, ALICE).status_code == 201
    page = client.get("/tags/BS_run").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "— alice," in page
    assert 'href="/plot/beamspot.position_x?tag=BS_run&amp;since=300"' in page
    assert "Adding notes needs an identified user" in page  # anonymous: no form


def test_the_tag_page_form_adds_a_note_for_the_signed_in_user(client: FlaskClient) -> None:
    env = {"REMOTE_ADDR": PROXY}
    page = client.get("/tags/BS_lumi", headers=SSO, environ_base=env).get_data(as_text=True)
    assert "Add note as bob" in page
    form = {
        "db": "hand",
        "tag": "BS_lumi",
        "since": "101:7",
        "text": "form note",
        "next": "/tags/BS_lumi",
    }
    response = client.post("/annotations", data=form, headers=SSO, environ_base=env)
    assert response.status_code == 303 and response.headers["Location"] == "/tags/BS_lumi"
    note = _list(client)["data"][0]["attributes"]
    assert (note["author"], note["since_text"], note["text"]) == ("bob", "101:1", "form note")
    # A forged form from another site, and an anonymous one, change nothing.
    forged = {"X-Remote-User": "bob", "Sec-Fetch-Site": "cross-site"}
    assert (
        client.post("/annotations", data=form, headers=forged, environ_base=env).status_code == 403
    )
    anonymous = client.post("/annotations", data=form)
    assert anonymous.status_code == 401 and "identified user" in anonymous.get_data(as_text=True)
    offsite = {**form, "next": "//evil.example/x"}
    redirected = client.post("/annotations", data=offsite, headers=SSO, environ_base=env)
    assert redirected.headers["Location"] == "/tags/BS_lumi?db=hand"
    assert _list(client)["meta"]["total"] == 2


# -- plots: markers and certification ------------------------------------------------------------


def _item(client: FlaskClient, query: str) -> dict[str, Any]:
    response = client.get(f"/plot/beamspot.position_x/item.json?{query}")
    assert response.status_code == 200, response.data
    item: dict[str, Any] = response.get_json(force=True)
    return item


def test_iov_notes_become_markers_with_escaped_hover(client: FlaskClient) -> None:
    plain = json.dumps(_item(client, "tag=BS_run"))
    assert "annotation_markers" not in plain
    _post(client, {"tag": "BS_run", "since": "300", "text": XSS}, ALICE)
    _post(client, {"tag": "BS_run", "text": "a tag note, not on the plot"}, ALICE)
    page = client.get("/plot/beamspot.position_x?tag=BS_run").get_data(as_text=True)
    marked = page.split('data-item-url="', 1)[1].split('"', 1)[0]
    assert "notes=" in marked  # the drawing's URL changes with the notes
    drawn = json.dumps(client.get(marked.replace("&amp;", "&")).get_json(force=True))
    assert "annotation_markers" in drawn and "a tag note" not in drawn
    assert json.dumps(XSS)[1:-1] in drawn  # the text itself, for Bokeh to show as text
    assert '"@text{safe}"' not in drawn and '"@text"' in drawn
    assert "<script>" not in page


def test_a_pinned_drawing_is_immutable_only_under_its_notes_fingerprint(
    client: FlaskClient,
) -> None:
    pinned = "tag=BS_run&snapshot=2025-01-01T00:00:00Z"
    before = client.get(f"/plot/beamspot.position_x/item.json?{pinned}")
    assert before.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    _post(client, {"tag": "BS_run", "since": "100", "text": "n"}, ALICE)
    stale = client.get(f"/plot/beamspot.position_x/item.json?{pinned}")
    assert stale.headers["Cache-Control"] == "public, max-age=30"
    page = client.get(f"/plot/beamspot.position_x?{pinned}").get_data(as_text=True)
    url = page.split('data-item-url="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "immutable" in client.get(url).headers["Cache-Control"], url


def test_markers_of_another_process_show_within_marker_seconds(
    app: Flask, client: FlaskClient
) -> None:
    """A note stored elsewhere (straight into the shared store) waits out the markers' TTL."""
    assert "annotation_markers" not in json.dumps(_item(client, "tag=BS_run"))
    note = NewAnnotation(db="hand", tag="BS_run", target=Target.IOV, text="elsewhere", since=300)
    state(app).annotations.add(note, author="bob")
    assert "elsewhere" not in json.dumps(_item(client, "tag=BS_run"))  # this process's markers
    time.sleep(MARKER_SECONDS + 0.1)
    assert "elsewhere" in json.dumps(_item(client, "tag=BS_run"))


def test_the_markers_cache_holds_many_tags_of_full_markers() -> None:
    """Bounded by bytes: a tag's largest markers (MAX_MARKERS long notes) fit dozens of times."""
    text = "n" * MARKER_TEXT
    full = tuple(
        AnnotationMarker(1, text, "alice", "2024-01-01 00:00:00") for _ in range(MAX_MARKERS)
    )
    assert 40 * nbytes_of(full) <= MARKER_CACHE_BYTES


def test_cert_filters_history_plots_in_the_api_and_pages(client: FlaskClient) -> None:
    response = client.get("/api/v1/plots/beamspot.position_x?tag=BS_run&cert=golden")
    assert response.status_code == 200
    plot = _checked(response, "/api/v1/plots/{drawer}", "get").get_json(force=True)["data"]
    attributes = plot["attributes"]
    assert attributes["data"]["since"] == [100, 200, 300]
    assert attributes["provenance"]["certification"]["name"] == "golden"
    assert attributes["notes"][0].startswith("Certified data only: golden (golden.json")
    assert "cert=golden" in plot["id"]
    page = client.get("/plot/beamspot.position_x?tag=BS_run&cert=golden").get_data(as_text=True)
    assert "Certified data only: golden" in page
    assert '<option value="golden" selected' in page
    permalink = page.split('id="permalink" value="', 1)[1].split('"', 1)[0]
    assert "cert=golden&amp;snapshot=" in permalink
    csv = client.get("/plot/beamspot.position_x/export.csv?tag=BS_run&cert=golden")
    assert b"note: Certified data only: golden" in csv.data
    assert b"certification: golden (golden.json, sha256 " in csv.data
    html = client.get("/plot/beamspot.position_x/export.html?tag=BS_run&cert=golden")
    assert b"Certified data only: golden" in html.data


def test_unknown_or_misplaced_cert_is_a_400(client: FlaskClient) -> None:
    response = client.get("/api/v1/plots/beamspot.position_x?tag=BS_run&cert=silver")
    error = _checked(response, "/api/v1/plots/{drawer}", "get").get_json(force=True)["errors"][0]
    assert response.status_code == 400 and error["source"] == {"parameter": "cert"}
    assert "unknown certification 'silver' (known: golden)" in error["detail"]
    page = client.get("/plot/beamspot.parameters?tag=BS_run&cert=golden")
    assert page.status_code == 400 and b"history plots only" in page.data
