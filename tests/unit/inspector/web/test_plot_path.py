"""One straight path: a plot request, from the API route to the bytes, enters no module thrice.

The request is followed with ``sys.setprofile``: along every chain of calls
(route → request parsing → job check → rendered cache → engine → drawer →
export → response), the modules of :mod:`inspector` are listed outermost
first with consecutive calls within one module merged; a module that shows
up three times in one chain was left and entered again twice, i.e. the path
went back and forth.  No module is allowed that: caches are looked up and
left (:meth:`~inspector.engine.cache.SingleFlight.lookup`) with the missing
value computed by the caller, and a plot object is built and checked once
(the engine attaches provenance to a copy, not a rebuilt object).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from flask import Flask

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

#: Entries of one module along one chain of calls, at most.
LIMIT = 2


@pytest.fixture(scope="module")
def app(demo_path: Path) -> Iterator[Flask]:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    flask_app = create_app(config, load_plugins())
    yield flask_app
    state(flask_app).close()


def _entries(app: Flask, url: str) -> tuple[int, dict[str, tuple[int, list[str]]]]:
    """Status, and per module the most entries along one chain (with that chain)."""
    stack: list[str] = []
    worst: dict[str, tuple[int, list[str]]] = {}
    me = threading.get_ident()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if threading.get_ident() != me:
            return
        if event == "call":
            name = str(frame.f_globals.get("__name__", "?"))
            stack.append(name)
            if not name.startswith("inspector"):
                return
            chain = [m for m in stack if m.startswith("inspector")]
            merged = [m for i, m in enumerate(chain) if i == 0 or chain[i - 1] != m]
            for module, count in Counter(merged).items():
                if count > worst.get(module, (0, []))[0]:
                    worst[module] = (count, merged)
        elif event == "return" and stack:
            stack.pop()

    client = app.test_client()
    sys.setprofile(profile)
    try:
        response = client.get(url)
    finally:
        sys.setprofile(None)
    return response.status_code, worst


def _tag_of(app: Flask, object_type: str) -> str:
    tags = (
        app.test_client()
        .get(f"/api/v1/tags?filter[object_type]={object_type}")
        .get_json(force=True)["data"]
    )
    name: str = tags[0]["id"]
    return name


@pytest.mark.parametrize(
    ("drawer", "object_type"),
    [
        ("beamspot.position_x", "BeamSpotObjects"),  # history
        ("beamspot.parameters", "BeamSpotObjects"),  # single
        ("maps.strip_noise", "SiStripNoises"),  # detector map
    ],
)
def test_a_plot_request_enters_no_module_more_than_twice(
    app: Flask, drawer: str, object_type: str
) -> None:
    url = f"/api/v1/plots/{drawer}?db=demo&tag={_tag_of(app, object_type)}"
    status, worst = _entries(app, url)
    assert status == 200
    assert "inspector.web.plots.api" in worst and "inspector.engine.engine" in worst
    for module, (count, chain) in worst.items():
        assert count <= LIMIT, (module, " -> ".join(chain))
