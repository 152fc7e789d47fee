"""Is a request heavy?  An estimate from metadata, before any blob is read.

A history costs roughly the bytes of the payloads it still has to decode:
reductions already cached cost nothing, and a 10 MB strip-noise payload costs
about 20,000 times a 500-byte beam spot.  So the estimate is the summed blob
size of the distinct payloads not yet in the reduction cache, read from the
PAYLOAD table (``length(data)``), and a request is heavy when it exceeds a
configured threshold.  Other kinds of drawer read one or two payloads and are
never heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Cost", "is_heavy"]


@dataclass(frozen=True)
class Cost:
    """What a request still has to compute."""

    payloads: int
    uncached: int
    uncached_bytes: int

    @classmethod
    def of(cls, payloads: int, uncached_sizes: Mapping[str, int]) -> Cost:
        """From the engine's answer (distinct payloads, sizes of the unreduced ones)."""
        return cls(payloads, len(uncached_sizes), sum(uncached_sizes.values()))


def is_heavy(cost: Cost, threshold_bytes: int) -> bool:
    """Whether to run as a background job: something to compute, and more than the threshold."""
    return cost.uncached > 0 and cost.uncached_bytes > threshold_bytes
