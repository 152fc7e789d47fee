"""Decoding the full-tracker SiStripNoises payload: project decoder vs baselines.

Measured in one run, on one payload built for the 15,148 real strip modules
(about 9.3 million 9-bit packed noise values):

* the project's decoder (``inspector.payload.decode``);
* a plain Python ``struct`` loop, what a hand-written parser would do;
* a ``memcpy`` of the decoded array (``numpy.copyto``), the floor set by memory.

Targets (issue 3): at least 100x faster than the struct loop, at most 10x the
memcpy time; plain float/int arrays decode with zero copies.
"""

from __future__ import annotations

import argparse
import struct
import sys

import numpy as np
from common import Target, best_of, report

from inspector.geometry.detid import strips_per_module
from inspector.geometry.shipped import strip_module_ids
from inspector.payload import PayloadSchema, SchemaRegistry, decode, encode


def noise_payload(seed: int = 1) -> bytes:
    """A realistic-size SiStripNoises blob for every real strip module."""
    ids = strip_module_ids()
    strips = np.asarray(strips_per_module(ids), dtype=np.int64)
    end = np.cumsum(strips)
    begin = end - strips
    rng = np.random.default_rng(seed)
    codes = np.clip(rng.normal(50, 8, int(end[-1])), 0, 511).astype(np.uint16)
    schema = SchemaRegistry.builtin().get("SiStripNoises", 1)
    return encode(schema, {"modules": {"detid": ids, "ibegin": begin, "iend": end}, "noise": codes})


def struct_loop(blob: bytes, limit: int | None = None) -> list[int]:
    """Baseline: decode with struct and per-value bit arithmetic in Python."""
    (n_modules,) = struct.unpack_from("<I", blob, 0)
    pos = 4
    modules = []
    for _ in range(n_modules):
        modules.append(struct.unpack_from("<III", blob, pos))
        pos += 12
    (count,) = struct.unpack_from("<I", blob, pos)
    pos += 4
    count = count if limit is None else min(count, limit)
    values = []
    for i in range(count):
        bit = i * 9
        byte, shift = pos + (bit >> 3), bit & 7
        (window,) = struct.unpack_from(">H", blob, byte)
        values.append((window >> (7 - shift)) & 0x1FF)
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        help="run the struct loop on this many values and scale linearly "
        "(default: the whole payload)",
    )
    args = parser.parse_args(argv)

    schema = SchemaRegistry.builtin().get("SiStripNoises", 1)
    blob = noise_payload()
    decoded = decode(blob, schema)
    noise = decoded["noise"]
    n = int(noise.size)
    print(
        f"SiStripNoises payload: {len(decoded['modules']):,} modules, {n:,} strips, "
        f"{len(blob) / 1e6:.1f} MB blob, {noise.nbytes / 1e6:.1f} MB decoded"
    )

    t_decode = best_of(lambda: decode(blob, schema), repeat=7)
    dst = np.empty_like(noise)
    t_memcpy = best_of(lambda: np.copyto(dst, noise), repeat=7)
    sample = n if args.sample is None else min(args.sample, n)
    t_struct = best_of(lambda: struct_loop(blob, sample), repeat=1) * (n / sample)
    check = struct_loop(blob, 1000)
    assert check == noise[:1000].tolist(), "baseline and decoder disagree"

    ecal = SchemaRegistry.builtin().get("EcalPedestals", 1)
    assert isinstance(ecal, PayloadSchema)
    columns = {m.name: np.full(61200, 200.0, "<f4") for m in ecal.field("barrel").members}
    ecal_blob = encode(
        ecal, {"barrel": columns, "endcap": {k: v[:14648] for k, v in columns.items()}}
    )
    ecal_decoded = decode(ecal_blob, ecal)
    zero_copy = all(
        np.shares_memory(ecal_decoded[f], np.frombuffer(ecal_blob, np.uint8))
        for f in ("barrel", "endcap")
    )
    t_ecal = best_of(lambda: decode(ecal_blob, ecal), repeat=7)

    scaled = " (scaled from a sample)" if sample < n else ""
    print(f"  project decoder          {t_decode * 1e3:10.2f} ms")
    print(f"  struct loop baseline     {t_struct * 1e3:10.0f} ms{scaled}")
    print(f"  memcpy of decoded array  {t_memcpy * 1e3:10.2f} ms")
    print(
        f"  EcalPedestals (1.8 MB of float32 records) decode: {t_ecal * 1e6:.0f} us, "
        f"zero-copy views: {'yes' if zero_copy else 'NO'}"
    )
    targets = [
        Target("speed-up over the struct loop (x)", t_struct / t_decode, 100, at_least=True),
        Target("decoder time / memcpy time (x)", t_decode / t_memcpy, 10, at_least=False),
    ]
    met = report(targets) == 0
    return 0 if met and zero_copy else 1


if __name__ == "__main__":
    sys.exit(main())
