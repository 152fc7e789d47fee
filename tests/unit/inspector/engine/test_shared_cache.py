"""The Redis tier against a real ``redis-server``: sharing, keys, codecs, the breaker.

Redis is started by the ``redis_server`` fixture on a free loopback port and
killed (SIGKILL) by some tests mid-use, to prove that a failing Redis costs
no failed lookup: the value is computed locally and the breaker stops asking.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_servers import RedisServer
from live_servers import redis_server as live_redis

from inspector.config import CacheConfig, Config, DatabaseConfig, parse_config
from inspector.engine import Engine, PlotRequest, byte_cache
from inspector.engine.shared_cache import (
    ReductionCodec,
    SharedCache,
    SharedTier,
    code_fingerprint,
    key_digest,
)
from inspector.errors import ConfigError
from inspector.plugin import load_plugins

#: Short enough that the tests wait little for the breaker to let a probe through.
RETRY_AFTER = 0.3


def shared_for(server: RedisServer, **overrides: Any) -> SharedCache:
    settings: dict[str, Any] = {
        "redis_url": server.url,
        "timeout_seconds": 0.5,
        "retry_after_seconds": RETRY_AFTER,
        **overrides,
    }
    return SharedCache(CacheConfig(**settings), code="test")


@pytest.fixture
def shared(redis_server: RedisServer) -> Iterator[SharedCache]:
    cache = shared_for(redis_server)
    yield cache
    cache.close()


def counting(values: dict[str, int]) -> Any:
    """A compute function for key ``k`` that counts its calls."""

    def compute(key: str) -> Any:
        values[key] = values.get(key, 0) + 1
        return {"mean": (float(len(key)), math.nan)}

    return compute


# -- keys and codecs ---------------------------------------------------------------------------


def test_keys_are_versioned_digests_that_hide_user_text(shared: SharedCache) -> None:
    key = ("beamspot.position_x", '{"a": 1}', "demo", "x" * 40)
    name = shared.redis_key("reductions", key)
    prefix, namespace, version, code, digest = name.split(":")
    assert (prefix, namespace, version, code) == ("inspector", "reductions", "v1", "test")
    assert len(digest) == 64 and digest == key_digest(key)
    assert "beamspot" not in name
    # Stable across processes: a canonical JSON form, datetimes as ISO text.
    when = dt.datetime(2024, 5, 1, 12, 0)
    assert key_digest(("a", when, None)) == key_digest(["a", "2024-05-01T12:00:00", None])
    assert key_digest(("a", 1)) != key_digest(("a", "1"))
    with pytest.raises(TypeError, match="no stable form"):
        key_digest(("a", object()))


def test_code_fingerprint_changes_with_any_plugin_version() -> None:
    one = code_fingerprint([("acme-drawers", "1.0")])
    assert one == code_fingerprint([("acme-drawers", "1.0")])
    assert one != code_fingerprint([("acme-drawers", "1.1")])


def test_reduction_codec_round_trips_nan_and_refuses_garbage() -> None:
    codec = ReductionCodec()
    value = {"x": (1.5, math.nan), "y": (-2.0, 0.25)}
    back = codec.decode(codec.encode(value))
    assert back["y"] == (-2.0, 0.25) and back["x"][0] == 1.5 and math.isnan(back["x"][1])
    for garbage in (b"\xff", b"[1, 2]", b'{"x": [1]}', b'{"x": ["a", 1]}', b'{"x": [true, 1]}'):
        with pytest.raises(ValueError):
            codec.decode(garbage)


# -- the tier under a SingleFlight -------------------------------------------------------------


def test_two_caches_share_through_redis(shared: SharedCache) -> None:
    calls: dict[str, int] = {}
    compute = counting(calls)
    first, second = byte_cache("reductions", 1 << 20), byte_cache("reductions", 1 << 20)
    events: list[tuple[str, str, str]] = []
    for cache in (first, second):
        cache.attach(SharedTier(shared, "reductions", ReductionCodec()))
        cache.add_listener(lambda *event: events.append(event[:3]))
    assert first.get_or_compute("k1", lambda: compute("k1"))["mean"][0] == 2.0
    assert shared.flush()  # written behind the request, by the writer thread
    assert second.get_or_compute("k1", lambda: compute("k1"))["mean"][0] == 2.0
    assert calls == {"k1": 1}  # the second cache computed nothing
    assert ("reductions", "redis", "queued") in events
    assert ("reductions", "redis", "hit") in events
    # A batch warm-up fills the local cache from Redis: then plain local hits.
    third = byte_cache("reductions", 1 << 20)
    third.attach(SharedTier(shared, "reductions", ReductionCodec()))
    first.get_or_compute("k22", lambda: compute("k22"))
    assert shared.flush()
    third.warm(["k1", "k22", "absent"])
    assert "k1" in third and "k22" in third and "absent" not in third
    stats = shared.stats()["namespaces"]["reductions"]
    assert stats["hit"] == 3 and stats["stored"] == 2 and stats["miss"] >= 2


def test_a_password_comes_from_its_file_and_is_read_at_each_connection(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Never in the URL; gone or wrong, Redis is skipped (logged), no lookup fails."""
    secret = tmp_path / "redis-secret"
    secret.write_text("Redis-Secret-7\n")
    with live_redis(tmp_path / "redis", password="Redis-Secret-7") as server:
        shared = shared_for(server, password_file=secret)
        try:
            assert shared.put("reductions", "k", b"{}") == "queued"
            assert shared.flush()
            assert shared.get_many("reductions", ["k"]) == ([b"{}"], "ok")
            secret.unlink()  # the secret goes away while serving
            shared._client.connection_pool.disconnect()  # new connections from now on
            with caplog.at_level(logging.WARNING, logger="inspector.cache"):
                assert shared.get_many("reductions", ["k"]) == ([None], "error")
            assert "cannot read password_file" in caplog.text
            assert "Redis-Secret-7" not in caplog.text
            secret.write_text("Redis-Secret-7")
            time.sleep(RETRY_AFTER * 1.5)  # the breaker lets a probe through
            assert shared.get_many("reductions", ["k"]) == ([b"{}"], "ok")
        finally:
            shared.close()


def test_a_password_in_the_url_is_refused(tmp_path: Path) -> None:
    data = {"databases": {"d": {"path": "d.sqlite"}}, "cache": {"redis_url": "redis://:pw@h/0"}}
    with pytest.raises(ConfigError, match=r"carries a password.*password_env") as caught:
        parse_config(data, base_dir=tmp_path)
    assert ":pw@" not in str(caught.value)  # the refused secret is not repeated


def test_values_over_the_size_limit_are_not_shared(redis_server: RedisServer) -> None:
    shared = shared_for(redis_server, max_value_mb=0.0)
    try:
        assert shared.put("reductions", "k", b"{}") == "too_large"
        assert shared.get_many("reductions", ["k"]) == ([None], "ok")
    finally:
        shared.close()


def test_a_corrupt_value_is_a_miss(shared: SharedCache) -> None:
    shared.put("reductions", "k", b"not json")
    assert shared.flush()
    calls: dict[str, int] = {}
    cache = byte_cache("reductions", 1 << 20)
    cache.attach(SharedTier(shared, "reductions", ReductionCodec()))
    cache.get_or_compute("k", lambda: counting(calls)("k"))
    assert calls == {"k": 1}
    assert shared.stats()["namespaces"]["reductions"]["corrupt"] == 1


def test_killed_redis_costs_no_failed_lookup_and_sharing_resumes(
    redis_server: RedisServer, shared: SharedCache
) -> None:
    calls: dict[str, int] = {}
    compute = counting(calls)
    cache = byte_cache("reductions", 1 << 20)
    cache.attach(SharedTier(shared, "reductions", ReductionCodec()))
    cache.get_or_compute("before", lambda: compute("before"))
    assert shared.flush()
    redis_server.kill()
    started = time.monotonic()
    for i in range(50):
        cache.get_or_compute(f"down{i}", lambda i=i: compute(f"down{i}"))
    spent = time.monotonic() - started
    assert len(calls) == 51  # every value computed locally, none failed
    counts = shared.stats()["namespaces"]["reductions"]
    # One failure opened the breaker; the rest did not even try.
    assert counts["error"] >= 1 and counts["bypassed"] >= 40
    assert spent < 5, spent
    assert not shared.available

    redis_server.start()  # same port, empty
    deadline = time.monotonic() + 10
    while True:
        shared.put("reductions", "again", b'{"mean": [1, 2]}')
        assert shared.flush()
        if shared.stats()["namespaces"]["reductions"].get("stored", 0) > 1:
            break  # written again (the first "stored" was "before")
        assert time.monotonic() < deadline, "sharing did not resume"
        time.sleep(RETRY_AFTER / 2)
    other = byte_cache("reductions", 1 << 20)
    other.attach(SharedTier(shared, "reductions", ReductionCodec()))
    assert other.get_or_compute("again", lambda: compute("again")) == {"mean": (1.0, 2.0)}
    assert "again" not in calls and shared.available


def test_a_hung_redis_times_out_quickly(redis_server: RedisServer) -> None:
    """SIGSTOP: the socket accepts but never answers; the timeout, then the breaker, bound it."""
    shared = shared_for(redis_server, timeout_seconds=0.2, retry_after_seconds=30)
    assert redis_server.process is not None
    shared.put("reductions", "warm", b"{}")
    assert shared.flush()  # a pooled connection exists
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert shared.get_many("reductions", ["warm"]) == ([None], "error")
        assert shared.get_many("reductions", ["warm"]) == ([None], "bypassed")
        assert time.monotonic() - started < 2
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
        shared.close()


# -- the engine --------------------------------------------------------------------------------


def test_a_second_engine_decodes_nothing_for_a_shared_history(
    demo_path: Path, redis_server: RedisServer
) -> None:
    cache = CacheConfig(redis_server.url, retry_after_seconds=RETRY_AFTER)
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo", cache=cache)
    request = PlotRequest(drawer="beamspot.position_x", tag="BeamSpotObjects_PCL_byLumi_v1")
    plugins = load_plugins()
    first, second = Engine(config, plugins), Engine(config, plugins)
    try:
        one = first.plot(request)
        assert first.decodes > 0
        assert first.shared is not None and first.shared.flush()
        two = second.plot(request)
        assert second.decodes == 0  # no payload fetched nor decoded
        assert second.reductions.stats().hits == len(set(two.payload_hash))
        assert one.to_json() == two.to_json()
    finally:
        first.close()
        second.close()


def test_warm_spares_each_leader_a_second_round_trip(shared: SharedCache) -> None:
    """After one batched lookup found nothing, computing those keys asks Redis no more."""
    cache = byte_cache("reductions", 1 << 20)
    cache.attach(SharedTier(shared, "reductions", ReductionCodec()))
    events: list[tuple[str, str, str, int]] = []
    cache.add_listener(lambda *event: events.append(event))
    cache.warm(["a", "b"])
    for key in ("a", "b"):
        cache.get_or_compute(key, lambda key=key: counting({})(key))
    # a batch tells each outcome once, with its count
    redis = [outcome for _, tier, outcome, n in events if tier == "redis" for _ in range(n)]
    assert sorted(redis) == ["miss", "miss", "queued", "queued"]
    assert shared.stats()["namespaces"]["reductions"]["miss"] == 2


# -- single flight across processes --------------------------------------------------------------


def test_a_second_process_waits_for_the_first_one_s_value(redis_server: RedisServer) -> None:
    """Two SharedCaches (two processes' connections): the second gets the first's bytes."""
    first, second = shared_for(redis_server), shared_for(redis_server)
    try:
        assert first.claim("rendered", "k", 5.0) == (None, "claimed")
        started = time.monotonic()
        timer = threading.Timer(0.3, lambda: first.put("rendered", "k", b"bytes", unlock=True))
        timer.start()
        assert second.claim("rendered", "k", 5.0) == (b"bytes", "waited")
        assert 0.25 < time.monotonic() - started < 2.0
        timer.join()
    finally:
        first.close()
        second.close()


def test_a_failed_or_stuck_holder_lets_the_waiter_compute(redis_server: RedisServer) -> None:
    first, second = shared_for(redis_server), shared_for(redis_server)
    try:
        assert first.claim("rendered", "failed", 5.0)[1] == "claimed"
        threading.Timer(0.2, lambda: first.release("rendered", "failed")).start()
        assert second.claim("rendered", "failed", 5.0) == (None, "claimed")  # its turn now
        assert first.claim("rendered", "stuck", 5.0)[1] == "claimed"  # never stored
        started = time.monotonic()
        assert second.claim("rendered", "stuck", 0.3) == (None, "timeout")
        assert time.monotonic() - started < 1.0
    finally:
        first.close()
        second.close()


def test_a_locked_tier_computes_once_for_two_caches(redis_server: RedisServer) -> None:
    """Two SingleFlight caches over one locked tier, asked at once: one computation."""
    shared = [shared_for(redis_server), shared_for(redis_server)]
    caches = [byte_cache("rendered", 1 << 20) for _ in shared]
    for cache, connection in zip(caches, shared, strict=True):
        cache.attach(SharedTier(connection, "rendered", ReductionCodec(), lock_seconds=5.0))
    calls: list[int] = []

    def compute() -> Any:
        calls.append(1)
        time.sleep(0.3)
        return {"mean": (1.0, 0.0)}

    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda c=c: results.append(c.get_or_compute("k", compute)))
        for c in caches
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [{"mean": (1.0, 0.0)}] * 2 and len(calls) == 1
    for connection in shared:
        connection.close()


def test_with_redis_down_a_locked_tier_computes_locally(redis_server: RedisServer) -> None:
    shared = shared_for(redis_server)
    cache = byte_cache("rendered", 1 << 20)
    cache.attach(SharedTier(shared, "rendered", ReductionCodec(), lock_seconds=5.0))
    redis_server.kill()
    started = time.monotonic()
    assert cache.get_or_compute("k", lambda: {"mean": (2.0, 0.0)}) == {"mean": (2.0, 0.0)}
    assert time.monotonic() - started < 2.0 and not shared.available
    shared.close()
