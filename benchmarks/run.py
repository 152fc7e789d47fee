"""Run every benchmark (``make bench``); exit non-zero if a target is missed."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "bench_decode",
    "bench_history",
    "bench_map",
    "bench_zoom",
    "bench_long_history",
    "bench_backends",
    "bench_iovs",
    "bench_jobs",
    "bench_serve",
    "bench_diff",
    "bench_certification",
    "bench_readiness",
]


def main() -> int:
    sys.path.insert(0, str(HERE))
    failed = []
    for name in BENCHMARKS:
        print(f"== {name}")
        module = importlib.import_module(name)
        if module.main([]) != 0:
            failed.append(name)
        print()
    if failed:
        print(f"targets missed in: {', '.join(failed)}")
        return 1
    print("all benchmark targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
