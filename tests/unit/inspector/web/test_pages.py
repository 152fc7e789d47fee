"""Every page and its error cases, through the Flask test client."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.render.history import decoded_sources
from inspector.web.app import create_app
from inspector.web.assets import BOKEH_VERSION
from inspector.web.state import state

BS = "BeamSpotObjects_PCL_byLumi_v1"


def text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.data[:500])
    return response.get_data(as_text=True)


def test_home_searches_tags_and_lists_drawers_and_global_tags(client: FlaskClient) -> None:
    page = text(client, "/?q=strip")
    assert "SiStripNoise_prompt_v1" in page and "BeamSpotObjects_PCL" not in page
    assert "2 tags" in page
    assert "strips.noise_ratio" in page and "140X_dataRun3_Prompt_v1" in page
    lumi = text(client, "/?time_type=Lumi")
    assert BS in lumi and "SiStripNoise_prompt_v1" not in lumi
    assert "1 tag" in text(client, "/?object_type=EcalCondObjectContainer%3CEcalPedestal%3E")


def test_tag_page_metadata_iov_table_and_drawers(client: FlaskClient) -> None:
    page = text(client, f"/tags/{BS}")
    assert "Lumi" in page and "distinct payloads" in page
    assert 'id="iovs"' in page and "IOVs 1–100 of" in page
    assert "/plot/beamspot.position_x?tag=" + BS in page.replace("&amp;", "&")
    assert "page 1 of" in page
    assert "next →" in page
    assert text(client, f"/tags/{BS}?page=2").count("<tr>") > 10


def test_tag_timeline_is_a_bokeh_document(client: FlaskClient) -> None:
    response = client.get(f"/tags/{BS}/timeline.json")
    assert response.status_code == 200
    assert response.json is not None and "doc" in response.json


def test_plot_page_has_form_permalink_exports_and_provenance(client: FlaskClient) -> None:
    page = text(client, "/plot/strips.noise_distribution?tag=SiStripNoise_prompt_v1&bins=40")
    assert 'data-item-url="/plot/strips.noise_distribution/item.json?' in page
    assert 'name="bins" value="40"' in page
    assert "snapshot=" in page  # the permalink pins the data
    for fmt in ("json", "csv", "html"):
        assert f"/plot/strips.noise_distribution/export.{fmt}?" in page
    assert "Provenance" in page and "SiStripNoise_prompt_v1" in page


def test_compare_page_labels_both_sides(client: FlaskClient) -> None:
    page = text(
        client,
        "/plot/alignment.delta_summary?tag=TrackerAlignment_prompt_v1"
        "&tag2=TrackerAlignment_rereco_v1",
    )
    assert "A — first" in page and "B — second" in page
    assert "A: TrackerAlignment_prompt_v1 @" in page
    assert "B: TrackerAlignment_rereco_v1 @" in page


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/tags/NoSuchTag", 404, "tag &#39;NoSuchTag&#39; does not exist"),
        ("/plot/no.drawer?tag=" + BS, 404, "no drawer named"),
        ("/plot/beamspot.position_x?tag=Nope", 404, "does not exist"),
        ("/plot/beamspot.position_x", 400, "&#39;tag&#39;: is required"),
        ("/plot/beamspot.parameters?tag=" + BS + "&iov=1:1", 404, "no IOV valid at 1:1"),
        ("/plot/beamspot.position_x?tag=" + BS + "&since=x:y", 400, "&#39;since&#39;"),
        (
            "/plot/strips.noise_distribution?tag=SiStripNoise_prompt_v1&bins=0",
            400,
            "below the minimum",
        ),
        ("/plot/strips.noise_distribution?tag=" + BS, 400, "reads SiStripNoises payloads"),
        ("/?page=99", 404, "past the last page"),
        ("/?page=zero", 400, "not a whole number"),
        ("/?db=elsewhere", 404, "unknown database alias"),
        ("/?db=/etc/passwd", 404, "unknown database alias"),
        ("/tags/" + BS + "?page=999", 404, "past the last page"),
        ("/globaltags/Nope", 404, "global tag &#39;Nope&#39;"),
        ("/no/such/page", 404, "there is no page at /no/such/page"),
        ("/plot/beamspot.position_x/export.xls?tag=" + BS, 404, "no export format"),
        ("/plot/beamspot.position_x?tag=" + BS + "&zoom=9,1", 400, "&#39;zoom&#39;: start 9"),
    ],
)
def test_errors_are_readable_pages_never_500(
    client: FlaskClient, url: str, status: int, message: str
) -> None:
    page = text(client, url, status)
    assert message in page
    assert "Traceback" not in page and "<h1>" in page


def test_item_and_exports_pinned_vs_latest_headers(client: FlaskClient) -> None:
    latest = client.get(f"/plot/beamspot.position_x/item.json?tag={BS}")
    assert latest.status_code == 200
    assert latest.headers["Cache-Control"] == "public, max-age=30"
    pinned_url = f"/plot/beamspot.position_x/item.json?tag={BS}&snapshot=2025-01-01T00:00:00Z"
    pinned = client.get(pinned_url)
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = pinned.headers["ETag"]
    again = client.get(pinned_url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    zipped = client.get(pinned_url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == pinned.data


def test_a_history_page_says_where_its_zoom_values_are(client: FlaskClient) -> None:
    page = text(client, f"/plot/beamspot.position_x?tag={BS}&zoom=380000,380100")
    assert f'data-values-url="/plot/beamspot.position_x/values.json?db=demo&amp;tag={BS}"' in page
    assert "/item.json?db=demo&amp;tag=" + BS + "&amp;zoom=380000,380100" in page
    single = text(client, "/plot/strips.noise_distribution?tag=SiStripNoise_prompt_v1")
    assert "data-values-url" not in single


def test_zoom_values_are_cached_and_pinned_like_the_drawing(client: FlaskClient) -> None:
    values = f"/plot/beamspot.position_x/values.json?tag={BS}"
    whole = client.get(values)
    assert whole.status_code == 200 and whole.mimetype == "application/json"
    assert whole.headers["Cache-Control"] == "public, max-age=30"
    body = whole.json
    assert body is not None and "history_steps_0" in body["sources"]
    start, end = body["range"]
    zoom = f"{start + 0.4 * (end - start):.4f},{start + 0.5 * (end - start):.4f}"
    pinned_url = f"{values}&snapshot=2025-01-01T00:00:00Z&zoom={zoom}"
    pinned = client.get(pinned_url)
    assert pinned.status_code == 200
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    zoomed = pinned.json
    assert zoomed is not None and zoomed["range"] == [float(v) for v in zoom.split(",")]
    zoomed_steps = decoded_sources(zoomed)["history_steps_0"]["x"]
    whole_steps = decoded_sources(body)["history_steps_0"]["x"]
    assert 0 < zoomed_steps.size < whole_steps.size
    etag = pinned.headers["ETag"]
    assert client.get(pinned_url, headers={"If-None-Match": etag}).status_code == 304
    zipped = client.get(pinned_url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == pinned.data


@pytest.mark.parametrize(
    ("url", "parameter", "detail"),
    [
        (f"/plot/beamspot.position_x/values.json?tag={BS}&zoom=380000", "zoom", "two numbers"),
        (f"/plot/beamspot.position_x/values.json?tag={BS}&zoom=2,1", "zoom", "not before"),
        ("/plot/strips.noise_distribution/values.json?tag=SiStripNoise_prompt_v1", None, "only"),
    ],
)
def test_values_refused_as_json_errors(
    client: FlaskClient, url: str, parameter: str | None, detail: str
) -> None:
    """The page's script reads these: a 400 in JSON, naming the parameter when there is one."""
    response = client.get(url)
    assert response.status_code == 400 and response.json is not None
    (error,) = response.json["errors"]
    assert error.get("source", {}).get("parameter") == parameter and detail in error["detail"]


def test_exports_carry_the_plot_in_each_format(client: FlaskClient) -> None:
    base = f"?tag={BS}&snapshot=2025-01-01T00:00:00Z"
    as_json = client.get("/plot/beamspot.position_x/export.json" + base)
    assert as_json.json is not None and as_json.json["type"] == "History"
    name = f"beamspot.position_x_{BS}_379058.1-379814.402_snapshot-20250101T000000Z.json"
    assert f'filename="{name}"' in as_json.headers["Content-Disposition"]
    csv = client.get("/plot/beamspot.position_x/export.csv" + base).get_data(as_text=True)
    assert csv.startswith("# payload-inspector/plot CSV") and "snapshot: 2025-01-01" in csv
    page = client.get("/plot/beamspot.position_x/export.html" + base).get_data(as_text=True)
    assert page.startswith("<!DOCTYPE html>")


def test_global_tag_pages(client: FlaskClient) -> None:
    listing = text(client, "/globaltags")
    assert "140X_dataRun3_ReReco_v1" in listing
    page = text(client, "/globaltags/140X_dataRun3_Prompt_v2")
    assert "TrackerAlignmentRcd" in page and "TrackerAlignment_rereco_v1" in page


def test_bokehjs_is_served_locally_with_a_versioned_url(client: FlaskClient) -> None:
    page = text(client, f"/plot/beamspot.position_x?tag={BS}")
    assert f'src="/static/bokeh/{BOKEH_VERSION}/bokeh.min.js"' in page
    assert "cdn.bokeh.org" not in page and "http://" not in page.split("<main>")[0]
    with client.get(f"/static/bokeh/{BOKEH_VERSION}/bokeh.min.js") as js:
        assert js.status_code == 200 and b"Bokeh" in js.data[:5000]
        assert js.headers["Cache-Control"].endswith("immutable")
    assert client.get("/static/bokeh/0.0.1/bokeh.min.js").status_code == 404
    assert client.get(f"/static/bokeh/{BOKEH_VERSION}/..%2Fpy.typed").status_code == 404


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_untrusted_text_is_escaped(client: FlaskClient) -> None:
    page = text(client, "/?q=<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unavailable_database_is_503_without_server_paths(tmp_path: Path) -> None:
    missing = tmp_path / "secret-location" / "gone.sqlite"
    flask_app = create_app(
        Config({"gone": DatabaseConfig("gone", f"sqlite:///{missing}")}, "gone"), load_plugins()
    )
    try:
        for url in ("/", "/api/v1/tags"):
            response = flask_app.test_client().get(url)
            body = response.get_data(as_text=True)
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "5"
            assert (
                "database &#39;gone&#39; is unavailable" in body
                or "database 'gone' is unavailable" in body
            )
            assert "secret-location" not in body
    finally:
        state(flask_app).close()


def test_geometry_is_served_once_under_a_content_addressed_url(
    app: Flask, client: FlaskClient
) -> None:
    url = state(app).geometry_url("tracker_map")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.json is not None and response.json["count"] == 16_588
    stale = url.replace(url.split(".")[-2], "0" * 16)
    assert client.get(stale).status_code == 404
    assert client.get("/geometry/nowhere.0123456789abcdef.json").status_code == 404
