"""Any plot URL as a PNG, drawn by the real Chromium; and a server without one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pngcheck import assert_real_png

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.render.png_settings import PngSettings
from inspector.web.app import create_app
from inspector.web.state import state

HISTORY = "/plot/strips.mean_noise_history/export.png?db=demo&tag=SiStripNoise_prompt_v1"
PINNED = HISTORY + "&snapshot=2025-01-01T00:00:00Z"
IMMUTABLE = "public, max-age=31536000, immutable"


def _app(demo_path: Path, png: dict[str, Any] | None = None) -> Flask:
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        png=PngSettings.from_table(png),
    )
    return create_app(config, load_plugins())


@pytest.fixture(scope="module")
def client(demo_path: Path) -> Iterator[FlaskClient]:
    app = _app(demo_path)
    yield app.test_client()
    state(app).close()


def test_a_plot_url_as_png_of_the_asked_size_cached_like_json(client: FlaskClient) -> None:
    url = PINNED + "&width=720&height=420"
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "image/png"
    assert "Content-Encoding" not in response.headers  # PNG is compressed already
    assert response.headers["Cache-Control"] == IMMUTABLE
    # The name says what the picture shows: drawer, tag, IOV range, snapshot.
    name = re.fullmatch(r'attachment; filename="(.+)"', response.headers["Content-Disposition"])
    assert name is not None
    assert re.fullmatch(
        r"strips\.mean_noise_history_SiStripNoise_prompt_v1_\d+-\d+_snapshot-20250101T000000Z\.png",
        name[1],
    ), name[1]
    assert_real_png(response.data, 720, 420)
    etag = response.headers["ETag"].strip('"')
    again = client.get(url, headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304
    launches = state(client.application).tools.png.launches
    assert client.get(url).headers["ETag"] == response.headers["ETag"]  # from the cache
    assert state(client.application).tools.png.launches == launches


def test_default_size_and_latest_is_short_lived(client: FlaskClient) -> None:
    response = client.get(HISTORY)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert_real_png(response.data, 1000, 600)


@pytest.mark.parametrize(
    ("size", "parameter"),
    [("width=50", "width"), ("height=5000", "height"), ("width=wide", "width")],
)
def test_sizes_out_of_bounds_are_400(client: FlaskClient, size: str, parameter: str) -> None:
    response = client.get(f"{PINNED}&{size}")
    assert response.status_code == 400
    assert parameter in response.get_data(as_text=True)


def test_the_plot_page_and_the_api_link_the_png(client: FlaskClient) -> None:
    page = client.get("/plot/strips.mean_noise_history?db=demo&tag=SiStripNoise_prompt_v1")
    assert "/plot/strips.mean_noise_history/export.png?" in page.get_data(as_text=True)
    api = client.get("/api/v1/plots/strips.mean_noise_history?db=demo&tag=SiStripNoise_prompt_v1")
    links = api.get_json(force=True)["data"]["links"]
    assert links["png"].startswith("/plot/strips.mean_noise_history/export.png?")


def test_without_a_browser_png_is_a_clear_503_and_the_rest_works(demo_path: Path) -> None:
    app = _app(demo_path, {"browser": "/nonexistent/chromium"})
    client = app.test_client()
    try:
        response = client.get(PINNED)
        assert response.status_code == 503
        text = response.get_data(as_text=True)
        assert "PNG export is not available" in text and "not installed" in text
        assert "/nonexistent" not in text
        for fmt in ("json", "csv", "html"):
            other = client.get(PINNED.replace("export.png", f"export.{fmt}"))
            assert other.status_code == 200, fmt
    finally:
        state(app).close()
