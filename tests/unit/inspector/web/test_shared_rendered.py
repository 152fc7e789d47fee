"""Two app instances over one Redis: a pinned plot and its reductions computed once for both.

Redis is a real ``redis-server`` (fixture ``redis_server``); the test kills it
mid-way, checks that every request still succeeds from local computation,
starts it again and checks that sharing resumes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from live_servers import RedisServer

from inspector.config import CacheConfig, Config, DatabaseConfig
from inspector.engine import CacheStats
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import Rendered, RenderedCodec, state

SNAPSHOT = "2025-01-01T00:00:00Z"


def pinned(drawer: str, tag: str = "BeamSpotObjects_PCL_byLumi_v1", **extra: str) -> str:
    more = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"/plot/{drawer}/item.json?tag={tag}&snapshot={SNAPSHOT}{more}"


@pytest.fixture
def apps(demo_path: Path, redis_server: RedisServer) -> Iterator[tuple[Flask, Flask]]:
    cache = CacheConfig(redis_server.url, timeout_seconds=0.5, retry_after_seconds=0.3)
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo", cache=cache)
    plugins = load_plugins()
    first, second = create_app(config, plugins), create_app(config, plugins)
    yield first, second
    state(first).close()
    state(second).close()


def flush(app: Flask) -> None:
    """Wait for the app's shared-cache writer (values are written behind the request)."""
    shared = state(app).engine.shared
    assert shared is not None and shared.flush()


def stats(app: Flask) -> dict[str, CacheStats]:
    return {s.name: s for s in state(app).cache_stats()}


def test_rendered_codec_round_trips_and_refuses_truncation() -> None:
    codec = RenderedCodec()
    value = Rendered.of(b'{"a": 1}', "application/json", "d.x_T_1-2.json")
    assert codec.decode(codec.encode(value)) == value
    assert codec.decode(codec.encode(value)).filename == "d.x_T_1-2.json"  # the download name
    for broken in (codec.encode(value)[:-1], b"{}\n", b"not json\nxx"):
        with pytest.raises(ValueError):
            codec.decode(broken)
    bad_name = b'{"mimetype": "a/b", "etag": "e", "filename": 7, "body": 0, "gzipped": 0}\n'
    with pytest.raises(ValueError, match="filename"):
        codec.decode(bad_name)


def test_second_instance_computes_nothing(apps: tuple[Flask, Flask]) -> None:
    first, second = apps
    url = pinned("beamspot.position_x")
    one = first.test_client().get(url, headers={"Accept-Encoding": "gzip"})
    flush(first)
    two = second.test_client().get(url, headers={"Accept-Encoding": "gzip"})
    assert one.status_code == two.status_code == 200
    assert one.data == two.data and one.headers["ETag"] == two.headers["ETag"]
    assert two.headers["Content-Encoding"] == "gzip"
    computed = stats(second)
    assert computed["plots"].misses == 0 and computed["decoded"].misses == 0
    shared = state(second).engine.shared
    assert shared is not None and shared.stats()["namespaces"]["rendered_pinned"]["hit"] == 1

    # Another view of the same data: rendered anew, but its reductions come from Redis.
    wide = pinned("beamspot.position_x", width="900")
    assert second.test_client().get(wide).status_code == 200
    computed = stats(second)
    assert computed["plots"].misses == 1 and computed["decoded"].misses == 0
    assert computed["reductions"].misses == 0 and computed["reductions"].hits > 0


def test_killed_redis_fails_no_request_and_sharing_resumes(
    apps: tuple[Flask, Flask], redis_server: RedisServer
) -> None:
    first, second = apps
    redis_server.kill()
    drawers = ("beamspot.position_x", "beamspot.position_y", "beamspot.parameters")
    for app in apps:
        for drawer in drawers:
            assert app.test_client().get(pinned(drawer)).status_code == 200
    assert stats(second)["plots"].misses == len(drawers)  # computed locally, like the first

    redis_server.start()  # empty, on the same port
    deadline = time.monotonic() + 10
    for width in range(400, 1000):  # a new plot each round: nothing local helps
        probe = pinned("beamspot.position_y", width=str(width))
        assert first.test_client().get(probe).status_code == 200
        flush(first)
        before = stats(second)["plots"].misses
        assert second.test_client().get(probe).status_code == 200
        if stats(second)["plots"].misses == before:
            break  # the second instance was served from Redis: sharing resumed
        assert time.monotonic() < deadline, "sharing did not resume after Redis restarted"
        time.sleep(0.1)
