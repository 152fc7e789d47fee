"""The payload page and the payload API on real CMS files: STREAMER_INFO and decoded members."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

REAL = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "cms-conditions" / "jer"
FILE = REAL / "Summer23Prompt23_RunCv4_JRV1_MC.db"
pytestmark = pytest.mark.skipif(not FILE.exists(), reason=f"real CMS files not found at {REAL}")


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    flask_app = create_app(
        Config({"jer": DatabaseConfig("jer", f"sqlite:///{FILE.resolve()}")}, "jer"),
        load_plugins(),
    )
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _first_hash() -> str:
    with sqlite3.connect(f"file:{FILE}?mode=ro", uri=True) as con:
        row = con.execute("select PAYLOAD_HASH from IOV order by TAG_NAME").fetchone()
    return str(row[0])


def test_payload_page_shows_what_wrote_it_and_every_member(client: FlaskClient) -> None:
    response = client.get(f"/payloads/{_first_hash()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "CMSSW_12_4_11_patch3" in page and "slc7_amd64_gcc10" in page
    assert "boost/serialization" in page and "1.78" in page
    assert "CMSSW archive (JME::JetResolutionObject)" in page
    assert "m_records[*].m_parameters_values" in page
    assert 'id="decode-error"' not in page


def test_payload_api_states_the_streamer_info(client: FlaskClient) -> None:
    doc = client.get(f"/api/v1/payloads/{_first_hash()}").get_json()
    info = doc["data"]["attributes"]["streamer_info"]
    assert info == {
        "release": "CMSSW_12_4_11_patch3",
        "architecture": "slc7_amd64_gcc10",
        "technology": "boost/serialization",
        "tech_version": "1_78",
        "boost_version": "1.78",
    }
    names = [f["name"] for f in doc["data"]["attributes"]["fields"]]
    assert "m_definition.m_formula_str" in names


def test_unknown_payload_is_a_404_page(client: FlaskClient) -> None:
    assert client.get("/payloads/" + "0" * 40).status_code == 404
