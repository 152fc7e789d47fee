"""The ``[web]`` table: a public URL is an http(s) origin, checked when the file loads."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from inspector.config import parse_config
from inspector.errors import ConfigError
from inspector.web_settings import WebSettings


def _web(table: str) -> WebSettings:
    data = tomllib.loads(table + "[databases.a]\npath = 'x'\n")
    return parse_config(data, base_dir=Path("/")).web


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://inspector.example.org", "https://inspector.example.org"),
        ("https://inspector.example.org/", "https://inspector.example.org"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_a_public_url_is_kept_as_its_origin(given: str, origin: str) -> None:
    web = _web(f"[web]\npublic_url = '{given}'\n")
    assert web.public_url == origin
    assert web.absolute("/plot/x?tag=a") == origin + "/plot/x?tag=a"


def test_without_a_public_url_links_stay_relative() -> None:
    web = _web("")
    assert web.public_url is None
    assert web.absolute("/plot/x?tag=a") == "/plot/x?tag=a"


@pytest.mark.parametrize(
    "table",
    [
        "[web]\npublic_url = 'inspector.example.org'\n",
        "[web]\npublic_url = 'ftp://inspector.example.org'\n",
        "[web]\npublic_url = 'https://'\n",
        "[web]\npublic_url = 'https://inspector.example.org/base'\n",
        "[web]\npublic_url = 'https://inspector.example.org/?a=b'\n",
        "[web]\npublic_url = 'https://user@inspector.example.org'\n",
        "[web]\npublic_url = 'https://inspector.example.org:port'\n",
        "[web]\npublic_url = 5\n",
    ],
)
def test_a_public_url_that_is_not_an_origin_is_refused(table: str) -> None:
    with pytest.raises(ConfigError, match=r"\[web\] public_url must be an http\(s\) origin"):
        _web(table)


def test_an_unknown_key_of_web_is_named() -> None:
    with pytest.raises(ConfigError, match=r"\[web\] unknown key.*base_url.*known: public_url"):
        _web("[web]\nbase_url = 'https://x'\n")
