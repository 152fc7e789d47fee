"""Decoding the full-tracker SiStripNoises in the real CMSSW encoding: decoder vs baselines.

One payload for the 15,148 real strip modules (9,316,352 strips, their 9-bit
codes packed into 10.5 million bytes of ``v_noises``), written as CMSSW writes
it (eos::portable_oarchive: every byte of ``v_noises`` is its own
variable-size integer, ``00`` or ``01 xx``).  Measured in one run:

* the project's decoder (``inspector.payload.decode``, the whole archive);
* a plain per-element Python reader of the same archive (``portable_iarchive::load``
  ported line by line), timed on a sample of the vector and scaled;
* a memcpy of the decoded ``v_noises`` array (``numpy.copy``), the floor set by memory.

Also printed, the options weighed for the compiled part (issue 14 asks for
each): numpy alone (:func:`numpy_reader`, whole-array passes; it only works
because a value byte is never zero in what portable_oarchive writes, and
still takes several passes over the archive), and the first compiled loop,
which was branch-free and moved by each token's size (:func:`dependent_loop`:
every load waits for the one before).  The kernel in use (``_scan_fixed``)
moves by a constant inside a run of same-size tokens.

Targets (issue 14): at most 30x the memcpy, at least 100x faster than the
Python reader.  Also printed: unpacking the 9-bit codes of every strip
(``inspector.cmssw.strips``), which drawers pay once per payload.
"""

from __future__ import annotations

import argparse
import sys

import numba
import numpy as np
from common import Target, best_of, report

from inspector.cmssw.strips import decode_noises, members
from inspector.geometry.detid import strips_per_module
from inspector.geometry.shipped import strip_module_ids
from inspector.payload import SchemaRegistry, decode, encode

SAMPLE = 200_000


def noise_payload(seed: int = 1) -> bytes:
    """A realistic full-tracker SiStripNoises archive."""
    ids = strip_module_ids()
    strips = np.asarray(strips_per_module(ids), dtype=np.int64)
    rng = np.random.default_rng(seed)
    codes = np.clip(rng.normal(50, 8, int(strips.sum())), 0, 511).astype(np.uint16)
    codes[rng.random(codes.size) < 0.002] = 0  # dead strips: zero codes, zero bytes
    layout = SchemaRegistry.builtin().get("SiStripNoises")
    return encode(layout, members(ids, codes, strips))


def python_reader(blob: bytes, start: int, count: int) -> list[int]:
    """Baseline: ``portable_iarchive::load`` ported to plain Python, one number at a time."""
    out = []
    pos = start
    for _ in range(count):
        size = blob[pos]
        if size > 127:
            size -= 256
        n = -size if size < 0 else size
        value = int.from_bytes(blob[pos + 1 : pos + 1 + n], "little")
        if size < 0:
            value -= 1 << (8 * n)
        out.append(value)
        pos += 1 + n
    return out


def numpy_reader(buf: np.ndarray, first: int, count: int) -> np.ndarray:
    """Option: numpy alone, for a run of one-byte tokens written by portable_oarchive.

    A zero byte is always a token (value bytes are never zero), so after the
    last zero before a byte, size and value bytes alternate: whole-array
    passes find every size byte without a loop.
    """
    window = buf[first : first + 2 * count]
    zero = window == 0
    index = np.arange(window.size)
    last_zero = np.maximum.accumulate(np.where(zero, index, -1))
    starts = np.flatnonzero(zero | ((index - last_zero) % 2 == 1))[:count]
    values = window[np.minimum(starts + 1, window.size - 1)]
    values[zero[starts]] = 0
    return values


@numba.njit(nogil=True)
def dependent_loop(buf: np.ndarray, first: int, count: int, out: np.ndarray) -> int:
    """Option: the first compiled loop, branch-free, stepping by each token's own size.

    Branch-free looks faster and is not: the next position is computed from
    the byte just loaded, so every load waits for the one before (the loop
    in use branches instead, and the CPU predicts the branch).
    """
    pos = np.uint64(first)
    for i in range(count):
        a = np.uint64(buf[pos] != 0)
        out[i] = buf[pos + a] * a
        pos += np.uint64(1) + a
    return int(pos)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    layout = SchemaRegistry.builtin().get("SiStripNoises")
    blob = noise_payload()
    decoded = decode(blob, layout)  # warm: compiles (or loads) the kernel once
    v_noises = decoded["v_noises"]
    n = int(v_noises.size)
    t_decode = best_of(lambda: decode(blob, layout))
    t_memcpy = best_of(lambda: np.copy(v_noises), repeat=20)
    # v_noises starts after: magic, library version, class header, count, item version
    start = blob.index(bytes([0x7F, 0x01, 0x13, 0x00, 0x00])) + 5
    count_size = blob[start]
    first = start + 1 + count_size + 1
    sample = python_reader(blob, first, SAMPLE)
    assert sample == v_noises[:SAMPLE].tolist(), "baseline and decoder disagree"
    t_python = best_of(lambda: python_reader(blob, first, SAMPLE), repeat=3) * (n / SAMPLE)
    buf = np.frombuffer(blob, np.uint8)
    assert np.array_equal(numpy_reader(buf, first, n), v_noises)
    t_numpy = best_of(lambda: numpy_reader(buf, first, n), repeat=3)
    out = np.empty(n, np.uint8)
    dependent_loop(buf, first, n, out)  # compile
    assert np.array_equal(out, v_noises)
    t_dependent = best_of(lambda: dependent_loop(buf, first, n, out))
    indexes = decoded["indexes"]
    t_unpack = best_of(
        lambda: decode_noises(v_noises, indexes["ibegin"], indexes["iend"]), repeat=3
    )
    print(
        f"  full-tracker SiStripNoises: {len(blob) / 1e6:.1f} MB archive, {n:,} noise bytes, "
        f"{indexes.size:,} modules"
    )
    print(
        f"  decode {t_decode * 1e3:.1f} ms, memcpy {t_memcpy * 1e3:.2f} ms, "
        f"python reader {t_python:.2f} s (scaled from {SAMPLE:,}), "
        f"9-bit unpack of every strip {t_unpack * 1e3:.1f} ms"
    )
    print(
        f"  options for v_noises alone: numpy passes {t_numpy * 1e3:.1f} ms, "
        f"branch-free compiled loop {t_dependent * 1e3:.1f} ms"
    )
    return report(
        [
            Target("decode / memcpy of the decoded array", t_decode / t_memcpy, 30, False),
            Target("python reader / decode (speed-up)", t_python / t_decode, 100, True),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
