"""The RQ worker of ``inspector worker`` in a real Redis: its warm shutdown is prompt.

The whole worker process (jobs, leases, SIGTERM through the supervisor) is
tested across processes in ``tests/reliability/test_queued_jobs.py``; here
the one step that made it hang is pinned down deterministically.
"""

from __future__ import annotations

import threading
import time

import redis
from live_servers import RedisServer

from inspector.web.jobs.worker import COMMAND_WAIT_SECONDS, PlotWorker


def test_teardown_of_the_command_channel_waits_about_a_second_not_a_minute(
    redis_server: RedisServer,
) -> None:
    """RQ's teardown unsubscribes, then joins the channel's thread (with no timeout since
    redis-py 8.2).  When the thread has already seen the unsubscription it sits in its
    wait for a message: RQ's 60 s wait there made a warm shutdown take a minute."""
    worker = PlotWorker(["test-plots"], redis.Redis.from_url(redis_server.url), lease=2)
    worker.subscribe()
    assert worker.pubsub is not None
    deadline = time.monotonic() + 10
    while not worker.pubsub.subscribed:  # the thread reads the confirmation
        assert time.monotonic() < deadline
        time.sleep(0.01)
    worker.pubsub.unsubscribe()  # type: ignore[no-untyped-call]
    time.sleep(0.5)  # the thread reads the unsubscription and waits for the next message
    started = time.monotonic()
    teardown = threading.Thread(target=worker.unsubscribe, daemon=True)
    teardown.start()
    teardown.join(timeout=10)
    took = time.monotonic() - started
    assert not teardown.is_alive(), "the command channel's thread did not stop within 10 s"
    assert took <= COMMAND_WAIT_SECONDS + 1.5, took
