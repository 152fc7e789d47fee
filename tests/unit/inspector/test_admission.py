"""The admission gate: a fixed number of slots, a refusal at once beyond, counted."""

from __future__ import annotations

import threading

import pytest

from inspector.admission import Admission
from inspector.errors import Overloaded


def test_slots_are_taken_and_one_more_is_refused_at_once() -> None:
    gate = Admission("plots", 2, "test work")
    refusals: list[str] = []
    gate.add_listener(refusals.append)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with gate.enter():
            held.set()
            release.wait(timeout=30)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for holder in holders:
        held.clear()
        holder.start()
        assert held.wait(timeout=30)
    assert gate.held == 2
    full = "all 2 slots for test work are taken"
    with pytest.raises(Overloaded, match=full) as refused, gate.enter():
        pass
    assert refused.value.http_status == 503 and refused.value.retry_after > 0
    assert gate.refused == 1 and refusals == ["plots"]
    release.set()
    for holder in holders:
        holder.join(timeout=30)
    assert gate.held == 0
    with gate.enter():  # free again
        assert gate.held == 1


def test_a_slot_is_given_back_when_the_work_fails() -> None:
    gate = Admission("png", 1, "PNG exports")
    with pytest.raises(RuntimeError), gate.enter():
        raise RuntimeError("drawer failed")
    with gate.enter():
        assert gate.held == 1


def test_a_thread_holding_a_slot_passes_again_without_a_second() -> None:
    gate = Admission("plots", 1, "plots")
    with gate.enter():
        with gate.enter():  # rendering the plot this request is computing
            assert gate.held == 1
        assert gate.held == 1
    assert gate.held == 0


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Admission("plots", 0, "plots")


def test_exempt_work_passes_a_full_gate_without_a_slot() -> None:
    """A background job's thread: bounded by its own pool, never refused by requests' slots."""
    gate = Admission("plots", 1, "test work")
    with gate.enter():
        outcomes: list[str] = []

        def job() -> None:
            with gate.exempt(), gate.enter():  # as the reads under the job's plot do
                outcomes.append(f"held {gate.held}")
            try:
                with gate.enter():  # no longer exempt: refused like any request
                    outcomes.append("admitted")
            except Overloaded:
                outcomes.append("refused")

        thread = threading.Thread(target=job)
        thread.start()
        thread.join(timeout=30)
    assert outcomes == ["held 1", "refused"]
    assert gate.held == 0 and gate.refused == 1
