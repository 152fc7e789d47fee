"""Issue 19's polish of the pages: drawer docstrings rendered, drawers linked, notes' help.

- The tag and plot pages show a drawer's docstring with its inline
  reStructuredText as code, never the raw backquotes.
- The home page's drawer names link to each drawer's page (its documentation,
  its parameters), which links to its plot for every tag it reads.
- Where a note cannot be written, the page links to ``/notes/help``, which says
  how one is identified on this server.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inspector.annotations.settings import parse_auth_table
from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

ALIGNMENT = "TrackerAlignment_prompt_v1"
BEAM_SPOT = "BeamSpotObjects_PCL_byLumi_v1"
TOKEN = "alice-token-0123456789"
DRAWER_LINK = re.compile(r'<a href="/drawers/([a-z0-9_.]+)">')

MakeClient = Callable[..., FlaskClient]


@pytest.fixture(scope="module")
def demo_config(demo_path: Path) -> Callable[..., Config]:
    def make(**fields: Any) -> Config:
        return Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo", **fields)

    return make


@pytest.fixture
def make_client(demo_config: Callable[..., Config]) -> Iterator[MakeClient]:
    apps: list[Flask] = []

    def make(**fields: Any) -> FlaskClient:
        app = create_app(demo_config(**fields), load_plugins())
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        state(app).close()


def page(client: FlaskClient, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.data[:300])
    return response.get_data(as_text=True)


def test_the_tag_page_shows_docstring_literals_as_code(make_client: MakeClient) -> None:
    html = page(make_client(), f"/tags/{ALIGNMENT}")
    assert "as in <code>alignment.delta_distribution</code>." in html
    assert "``" not in html


def test_the_plot_page_shows_the_docstring_and_links_the_drawer(make_client: MakeClient) -> None:
    html = page(make_client(), f"/plot/maps.alignment_delta?tag={ALIGNMENT}&iov=379058&iov2=379814")
    assert "<code>alignment.delta_distribution</code>" in html and "``" not in html
    assert '<a href="/drawers/maps.alignment_delta"' in html


def test_every_drawer_on_the_home_page_links_to_its_page(make_client: MakeClient) -> None:
    client = make_client()
    linked = set(DRAWER_LINK.findall(page(client, "/")))
    assert linked == {d.name for d in load_plugins().drawers}
    for name in linked:
        assert "``" not in page(client, f"/drawers/{name}")


def test_a_drawer_page_documents_the_drawer_and_links_its_plots(make_client: MakeClient) -> None:
    client = make_client()
    html = page(client, "/drawers/beamspot.position_x")
    assert "Beam spot x" in html and "with its fit error" in html
    plots = re.findall(r'href="(/plot/beamspot\.position_x\?tag=[^"]+)"', html)
    assert f"/plot/beamspot.position_x?tag={BEAM_SPOT}" in plots
    assert len(plots) == 5  # every BeamSpotObjects tag of the demo
    page(client, plots[0])


def test_a_compare_drawer_page_leads_to_the_tag_pages(make_client: MakeClient) -> None:
    html = page(make_client(), "/drawers/maps.strip_noise_ratio")
    assert 'id="params"' in html and "<code>partition</code>" in html
    assert '<a href="/tags/SiStripNoise_prompt_v1#drawers">' in html


def test_an_unknown_drawer_is_a_404_naming_it(make_client: MakeClient) -> None:
    response = make_client().get("/drawers/beamspot.position_q")
    assert response.status_code == 404
    assert "beamspot.position_x" in response.get_data(as_text=True)  # the close names


def test_without_auth_the_note_form_links_to_a_help_page_saying_nobody_writes(
    make_client: MakeClient,
) -> None:
    client = make_client()
    tag = page(client, f"/tags/{BEAM_SPOT}")
    assert '<a href="/notes/help" id="notes-help">how to be identified</a>' in tag
    help_page = page(client, "/notes/help")
    assert 'id="way-none"' in help_page
    assert 'id="way-token"' not in help_page and 'id="way-sso"' not in help_page
    assert "This browser is not identified" in help_page


def test_the_help_page_names_the_ways_this_server_accepts(make_client: MakeClient) -> None:
    auth = parse_auth_table(
        {
            "proxy_user_header": "X-Remote-User",
            "trusted_proxies": ["10.9.9.9"],
            "tokens": {"alice": "sha256:" + hashlib.sha256(TOKEN.encode()).hexdigest()},
        },
        "test",
    )
    client = make_client(auth=auth)
    anonymous = page(client, "/notes/help")
    assert 'id="way-sso"' in anonymous and 'id="way-token"' in anonymous
    assert 'id="way-none"' not in anonymous
    alice = page(client, "/notes/help", Authorization=f"Bearer {TOKEN}")
    assert "You are identified as <b>alice</b>" in alice
