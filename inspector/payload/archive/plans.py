"""Flat runs of an archive: the tokens of one flat element, planned once per layout.

A vector of flat structs (or a C array of numbers) is read by one kernel call
over ``n`` elements; the *plan* says, token by token, which member (and
which C-array index) a token fills, or which C-array count it must be.
:mod:`inspector.payload.archive.reader` builds and reads runs with these.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from inspector.payload.archive import kernel
from inspector.payload.archive.layout import ArchiveLayout
from inspector.payload.archive.types import ArrayType, ClassType, CType, EnumType, Primitive

__all__ = [
    "COUNT",
    "Slot",
    "as_record",
    "element_plan",
    "plan_codes",
    "scan_reason",
    "uniform_values",
]

#: boost's C-array count (and collection size): an unsigned integer of 8 bytes
COUNT: Final = "Q"


class Slot:
    """One token of a flat element: where its value goes, or the C-array count it must be."""

    __slots__ = ("code", "expect", "index", "path")

    def __init__(
        self,
        code: str,
        path: tuple[str, ...] = (),
        index: tuple[int, ...] = (),
        expect: int | None = None,
    ) -> None:
        self.code = code
        self.path = path
        self.index = index
        self.expect = expect

    def where(self) -> str:
        """The token's place inside its element: ``.member[1][2]`` (empty for a number)."""
        return "".join(f".{p}" for p in self.path) + "".join(f"[{i}]" for i in self.index)


def element_plan(layout: ArchiveLayout, elem: CType) -> list[Slot]:
    """The tokens of one flat element in archive order (no class headers), once per layout."""
    key = ("plan", elem)
    plan: list[Slot] | None = layout.derived.get(key)
    if plan is None:
        plan = layout.derived[key] = _plan_of(layout, elem, (), ())
    return plan


def plan_codes(layout: ArchiveLayout, elem: CType, plan: list[Slot]) -> str:
    """The token codes of ``elem``'s plan, one character each (computed once per layout)."""
    key = ("codes", elem)
    codes: str | None = layout.derived.get(key)
    if codes is None:
        codes = layout.derived[key] = "".join(slot.code for slot in plan)
    return codes


def uniform_values(
    layout: ArchiveLayout, elem: CType, plan: list[Slot]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], str] | None:
    """For an element whose values all have one code: (count slots, their lengths,
    value slots, the code); ``None`` when the values mix types (a struct)."""
    key = ("uniform", elem)
    if key not in layout.derived:
        codes = {slot.code for slot in plan if slot.expect is None}
        counts = [i for i, slot in enumerate(plan) if slot.expect is not None]
        layout.derived[key] = (
            (
                np.array(counts, np.intp),
                np.array([plan[i].expect for i in counts], np.int64),
                np.array([i for i, slot in enumerate(plan) if slot.expect is None], np.intp),
                codes.pop(),
            )
            if len(codes) == 1
            else None
        )
    found: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], str] | None
    found = layout.derived[key]
    return found


def _plan_of(
    layout: ArchiveLayout, node: CType, path: tuple[str, ...], index: tuple[int, ...]
) -> list[Slot]:
    if isinstance(node, Primitive):
        return [Slot(node.code, path, index)]
    if isinstance(node, EnumType):
        return [Slot(node.underlying.code, path, index)]
    if isinstance(node, ArrayType):
        slots = [Slot(COUNT, path, index, expect=node.length)]
        for i in range(node.length):
            slots.extend(_plan_of(layout, node.elem, path, (*index, i)))
        return slots
    assert isinstance(node, ClassType) and not index, "flat classes hold no arrays of classes"
    slots = []
    for _, member in layout.members(node.name):
        slots.extend(_plan_of(layout, member.type, (*path, member.name), index))
    return slots


def as_record(value: Any, dtype: np.dtype[Any]) -> Any:
    """One element decoded the slow way (a dict) as a structured array row."""
    if dtype.names is None or dtype.fields is None:
        return value
    return tuple(as_record(value[name], dtype.fields[name][0]) for name in dtype.names)


def scan_reason(exc: kernel.ScanError) -> str:
    reasons: dict[str, str] = {
        "overrun": "the blob ends inside a run of numbers",
        "size": str(exc),
        "sign": "a negative size byte for an unsigned type",
        "bool": "bad bool: expected 00 or 01 54",
    }
    return reasons.get(exc.reason, exc.reason)
