"""How many bytes a value holds, deeply: what byte-bounded caches charge for it.

``sys.getsizeof`` is shallow: a tuple of three 1 MiB arrays "weighs" 64
bytes, so a cache charging that is bounded by nothing.  :func:`deep_nbytes`
walks containers and dataclasses down to their numpy buffers, strings and
numbers, and asks any other value for its own ``nbytes`` first (an
:class:`~inspector.conddb.IovList`, a plot object, a decoded payload, a
rendered response know their size best).  It is an honest estimate, not an
allocator's exact count: shared buffers are counted once per reference.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np

__all__ = ["deep_nbytes", "fields_nbytes"]


def deep_nbytes(value: Any) -> int:
    """Bytes held by ``value`` and everything it contains (see the module docstring)."""
    if isinstance(value, np.ndarray | np.generic):
        return int(value.nbytes)
    if isinstance(value, str | bytes | bytearray | int | float | bool | complex) or value is None:
        return sys.getsizeof(value)
    own = getattr(value, "nbytes", None)
    if isinstance(own, int):
        return own
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(deep_nbytes(k) + deep_nbytes(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + sum(deep_nbytes(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return fields_nbytes(value)
    return sys.getsizeof(value)


def fields_nbytes(value: Any) -> int:
    """A dataclass instance's own size plus its fields' (what an ``nbytes`` property returns)."""
    fields = dataclasses.fields(value)
    return sys.getsizeof(value) + sum(deep_nbytes(getattr(value, f.name)) for f in fields)
