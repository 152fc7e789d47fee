"""Build the demo conditions database: orchestration, atomic write, summary.

:func:`plan` turns a scale into exact counts (pure, instant), the content
modules turn a calendar and random streams into tags, and
:func:`build_demo_database` writes them through
:class:`~inspector.conddb.writer.ConditionsWriter` into a temporary SQLite
file beside the target, renamed into place only when complete: an
interrupted build never leaves a half database behind.

Deterministic: the same seed and scale give the same runs, tags, IOVs,
payload hashes and insertion times (every content draws from its own
stream, ``content_rng(seed, name)``; all dates are fixed, never "now").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection, Engine, event, update

from inspector.conddb import schema as s
from inspector.conddb.writer import ConditionsWriter
from inspector.demo import alignment, beamspot, ecal, jetmet, long_history, pixels, strips, watch
from inspector.demo.calendar import RunCalendar, make_calendar, to_datetimes
from inspector.demo.globaltags import demo_global_tags
from inspector.demo.golden import demo_golden, golden_path, write_golden_json
from inspector.demo.model import DemoTag, SharedPayload, TagInfo, content_rng
from inspector.errors import BadRequest, InvalidParameter
from inspector.payload import ArchiveLayout, Layout, SchemaRegistry, encode, streamer_info_text

__all__ = [
    "MAX_SCALE",
    "DemoPlan",
    "DemoSummary",
    "Progress",
    "TagCounts",
    "build_demo_database",
    "demo_calendar",
    "demo_tags",
    "plan",
]

MAX_SCALE: Final = 4.0

#: ``progress(step, done, total)``: called as the build advances.
Progress = Callable[[str, int, int], None]

#: Payloads are inserted this long before the first IOV that uses them.
PAYLOAD_LEAD: Final = dt.timedelta(seconds=2)
#: Tags are created this long before their first payload.
TAG_LEAD: Final = dt.timedelta(hours=3)
SIDE_FILES: Final = ("-journal", "-wal", "-shm")
#: IOV rows written per statement (progress is shown after each).
IOV_CHUNK: Final = 100_000


@dataclass(frozen=True)
class TagCounts:
    """IOV rows and distinct payloads of one tag."""

    iovs: int
    payloads: int


@dataclass(frozen=True)
class DemoPlan:
    """How much of everything a scale asks for (exact counts, built or not)."""

    scale: float
    runs: int
    fills: int
    beamspot_lumi_iovs: int
    beamspot_lumi_payloads: int
    beamspot_legacy_iovs: int
    strip_payloads: int
    strip_rereco_iovs: int
    strip_rereco_new: int
    alignment_prompt_iovs: int
    alignment_rereco_iovs: int
    pixel_iovs: int
    ecal_iovs: int
    #: IOVs of the opt-in long beam-spot tag (0: none; :mod:`inspector.demo.long_history`).
    long_history_iovs: int = 0

    def expected(self) -> dict[str, TagCounts]:
        """Per-tag counts a build at this scale produces (re-reco strips: at most)."""
        return {
            beamspot.PCL_TAG: TagCounts(self.beamspot_lumi_iovs, self.beamspot_lumi_payloads),
            beamspot.RUN_TAG: TagCounts(self.runs, self.fills),
            beamspot.LEGACY_TAG: TagCounts(self.beamspot_legacy_iovs, self.beamspot_legacy_iovs),
            strips.PROMPT_TAG: TagCounts(self.runs, self.strip_payloads),
            strips.RERECO_TAG: TagCounts(self.strip_rereco_iovs, self.strip_rereco_iovs),
            alignment.PROMPT_TAG: TagCounts(
                self.alignment_prompt_iovs + 1, self.alignment_prompt_iovs + 1
            ),
            alignment.RERECO_TAG: TagCounts(self.alignment_rereco_iovs, self.alignment_rereco_iovs),
            pixels.TAG: TagCounts(self.pixel_iovs, self.pixel_iovs),
            ecal.TAG: TagCounts(self.ecal_iovs, self.ecal_iovs),
            **{name: TagCounts(1, 1) for name in jetmet.tag_names()},
            watch.EXPRESS_TAG: TagCounts(self.runs - 1, self.runs - 1),
            # At most: the runs before the technical stop (where the calendar puts it).
            watch.HLT_TAG: TagCounts(self.runs, self.runs),
            **self._long_expected(),
        }

    def _long_expected(self) -> dict[str, TagCounts]:
        n = self.long_history_iovs
        if not n:
            return {}
        return {long_history.LONG_TAG: TagCounts(n, long_history.payload_count(n))}


def _scaled(full: float, scale: float, minimum: int, maximum: int | None = None) -> int:
    value = max(minimum, round(full * scale))
    return value if maximum is None else min(value, maximum)


def plan(scale: float = 1.0, long_history_iovs: int = 0) -> DemoPlan:
    """Counts for ``scale`` (1.0 = a 2024-like year; detector content is always full).

    Run-like counts shrink in proportion, down to minimums that keep every
    tag meaningful (several IOVs, at least two distinct payloads).  The long
    beam-spot tag is left out unless ``long_history_iovs`` asks for it
    (it does not scale: it is there to be long).
    """
    _check_scale(scale)
    _check_long_history(long_history_iovs)
    runs = _scaled(300, scale, 8)
    fills = _scaled(80, scale, 4, maximum=runs)
    lumi_payloads = max(_scaled(1000, scale, 4), runs)
    return DemoPlan(
        scale=scale,
        runs=runs,
        fills=fills,
        beamspot_lumi_iovs=max(_scaled(10_500, scale, 40), 3 * lumi_payloads),
        beamspot_lumi_payloads=lumi_payloads,
        beamspot_legacy_iovs=_scaled(50, scale, 3),
        strip_payloads=_scaled(20, scale, 2, maximum=runs),
        strip_rereco_iovs=_scaled(6, scale, 3, maximum=runs),
        strip_rereco_new=_scaled(2, scale, 1),
        alignment_prompt_iovs=_scaled(36, scale, 4, maximum=runs),
        alignment_rereco_iovs=_scaled(24, scale, 4, maximum=runs),
        pixel_iovs=_scaled(8, scale, 3, maximum=runs),
        ecal_iovs=_scaled(30, scale, 3, maximum=runs),
        long_history_iovs=long_history_iovs,
    )


def _check_long_history(n_iovs: int) -> None:
    least = long_history.MIN_IOVS
    if isinstance(n_iovs, bool) or not isinstance(n_iovs, int | np.integer):
        raise InvalidParameter("long_history_iovs", f"{n_iovs!r} is not a whole number")
    if n_iovs != 0 and not least <= n_iovs <= long_history.MAX_IOVS:
        raise InvalidParameter(
            "long_history_iovs",
            f"{n_iovs} is not 0 (no long tag) or within {least}..{long_history.MAX_IOVS}",
        )


def _check_scale(scale: float) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        raise InvalidParameter("scale", f"{scale!r} is not a number")
    if not 0 < scale <= MAX_SCALE:
        raise InvalidParameter("scale", f"{scale} is not within (0, {MAX_SCALE}]")


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InvalidParameter("seed", f"{seed!r} is not an integer")
    if seed < 0:
        raise InvalidParameter("seed", f"{seed} is negative (use 0, 1, 2, ...)")


# --------------------------------------------------------------------------- contents


def demo_calendar(seed: int, the_plan: DemoPlan) -> RunCalendar:
    """The run calendar of a build (``RUN_INFO`` and the optional ``RUN_FILL``)."""
    return make_calendar(content_rng(seed, "calendar"), the_plan.runs, the_plan.fills)


def demo_tags(seed: int, the_plan: DemoPlan, calendar: RunCalendar) -> Iterator[DemoTag]:
    """Every demo tag in write order (a tag may share payloads of an earlier one).

    A generator, so each content's fixed model (e.g. the 9.3 million strip
    noises) is only built when its tags are reached and freed afterwards.
    """
    p = the_plan
    truth = beamspot.beam_truth(content_rng(seed, "beamspot.truth"), calendar)
    yield beamspot.pcl_by_lumi_tag(
        content_rng(seed, "beamspot.pcl"),
        calendar,
        truth,
        p.beamspot_lumi_iovs,
        p.beamspot_lumi_payloads,
    )
    yield beamspot.by_run_tag(content_rng(seed, "beamspot.run"), calendar, truth)
    yield beamspot.legacy_tag(content_rng(seed, "beamspot.legacy"), p.beamspot_legacy_iovs)
    yield watch.express_tag(content_rng(seed, "watch.express"), calendar, truth)
    yield watch.hlt_tag(content_rng(seed, "watch.hlt"), calendar, truth)

    noise = strips.noise_model(content_rng(seed, "strips.model"))
    prompt = strips.prompt_tag(
        content_rng(seed, "strips.prompt"), calendar, noise, p.strip_payloads
    )
    yield prompt
    yield strips.rereco_tag(
        content_rng(seed, "strips.rereco"),
        calendar,
        noise,
        prompt,
        p.strip_rereco_iovs,
        p.strip_rereco_new,
    )
    del noise, prompt

    model = alignment.alignment_model(content_rng(seed, "alignment.model"))
    history = alignment.structure_history(
        content_rng(seed, "alignment.history"), calendar, model.n_structures
    )
    yield alignment.prompt_tag(
        content_rng(seed, "alignment.prompt"), calendar, model, history, p.alignment_prompt_iovs
    )
    yield alignment.rereco_tag(
        content_rng(seed, "alignment.rereco"), calendar, model, history, p.alignment_rereco_iovs
    )

    gains = pixels.gain_model(content_rng(seed, "pixels.model"))
    yield pixels.gain_tag(content_rng(seed, "pixels.tag"), calendar, gains, p.pixel_iovs)

    pedestals = ecal.pedestal_model(content_rng(seed, "ecal.model"))
    yield ecal.pedestal_tag(content_rng(seed, "ecal.tag"), calendar, pedestals, p.ecal_iovs)
    yield from jetmet.demo_tags(seed)
    if p.long_history_iovs:
        yield long_history.long_history_tag(seed, p.long_history_iovs)


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class DemoSummary:
    """What a build wrote, and how long it took."""

    path: Path
    seed: int
    scale: float
    tags: Mapping[str, TagCounts] = field(hash=False)
    runs: int
    global_tags: tuple[str, ...]
    payload_bytes: int
    file_bytes: int
    seconds: float
    #: The certification file written beside the database (docs/certification.md).
    golden: Path | None = None

    @property
    def iov_count(self) -> int:
        """IOV rows over all tags."""
        return sum(c.iovs for c in self.tags.values())

    @property
    def payload_count(self) -> int:
        """Distinct payloads per tag, summed (a payload shared by two tags counts twice)."""
        return sum(c.payloads for c in self.tags.values())


@dataclass
class _Written:
    """Book-keeping while writing: hashes per tag, bytes of new payloads."""

    hashes: dict[str, list[str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    payload_bytes: int = 0
    counts: dict[str, TagCounts] = field(default_factory=dict)


def _payload_row(info: TagInfo, layout: Layout) -> tuple[str, bytes]:
    """PAYLOAD.VERSION and STREAMER_INFO as the writer of such a payload fills them."""
    if isinstance(layout, ArchiveLayout):
        r = info.release
        return "dummy", streamer_info_text(r.cmssw, r.architecture, r.boost)
    flat = json.dumps({"schema": f"{info.object_type}.v{info.version}"}).encode("utf-8")
    return str(info.version), flat


def _fast_sqlite(engine: Engine) -> None:
    """No journal, no fsync: safe here because the file is renamed in only when complete."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    engine.dispose()


def _write_tag(
    writer: ConditionsWriter,
    conn: Connection,
    tag: DemoTag,
    registry: SchemaRegistry,
    written: _Written,
    report: Progress,
) -> None:
    info = tag.info
    schema = registry.get(info.object_type, info.version)
    version, streamer_info = _payload_row(info, schema)
    first_use = to_datetimes(tag.iovs.first_use(tag.payload_count))
    created = min(first_use) - PAYLOAD_LEAD - TAG_LEAD
    writer.add_tag(
        conn,
        info.name,
        time_type=info.time_type,
        object_type=info.object_type,
        synchronization=info.synchronization,
        description=info.description,
        insertion_time=created.replace(minute=0, second=0),
    )
    step = f"{info.name}: payloads"
    hashes: list[str] = []
    for i in range(tag.payload_count):
        source = tag.payload(i)
        if isinstance(source, SharedPayload):
            hashes.append(written.hashes[source.tag][source.index])
        else:
            data = encode(schema, source, library_version=info.release.library_version)
            digest = writer.add_payload(
                conn,
                info.object_type,
                data,
                version=version,
                insertion_time=first_use[i] - PAYLOAD_LEAD,
                streamer_info=streamer_info,
            )
            if digest not in written.seen:
                written.seen.add(digest)
                written.payload_bytes += len(data)
            hashes.append(digest)
        report(step, i + 1, tag.payload_count)
    iovs = tag.iovs
    total = len(iovs)
    for lo in range(0, total, IOV_CHUNK):
        hi = min(lo + IOV_CHUNK, total)
        rows = zip(
            iovs.since[lo:hi].tolist(),
            [hashes[k] for k in iovs.payload[lo:hi].tolist()],
            to_datetimes(iovs.inserted[lo:hi]),
            strict=True,
        )
        writer.add_iovs(conn, info.name, rows)
        if total > IOV_CHUNK:
            report(f"{info.name}: IOVs", hi, total)
    newest = to_datetimes(iovs.inserted.max(keepdims=True))[0]
    conn.execute(update(s.tag).where(s.tag.c.name == info.name).values(modification_time=newest))
    written.hashes[info.name] = hashes
    written.counts[info.name] = TagCounts(
        total, len({hashes[k] for k in np.unique(iovs.payload).tolist()})
    )
    report(f"{info.name}: {total} IOVs", total, total)


def _write_all(
    target: Path, seed: int, the_plan: DemoPlan, report: Progress
) -> tuple[_Written, int, tuple[str, ...]]:
    writer = ConditionsWriter.create_sqlite(target)
    _fast_sqlite(writer.engine)
    try:
        calendar = demo_calendar(seed, the_plan)
        with writer.engine.begin() as conn:
            writer.add_runs(conn, calendar.rows())
            writer.add_run_fills(conn, calendar.fill_rows())
        report("RUN_INFO", len(calendar), len(calendar))
        registry = SchemaRegistry.builtin()
        written = _Written()
        for tag in demo_tags(seed, the_plan, calendar):
            with writer.engine.begin() as conn:
                _write_tag(writer, conn, tag, registry, written, report)
        specs = demo_global_tags()
        with writer.engine.begin() as conn:
            for n, spec in enumerate(specs, start=1):
                writer.add_global_tag(
                    conn,
                    spec.name,
                    spec.entries,
                    description=spec.description,
                    release=spec.release,
                    insertion_time=spec.insertion_time,
                    snapshot_time=spec.snapshot_time,
                )
                report("global tags", n, len(specs))
    finally:
        writer.close()
    return written, len(calendar), tuple(spec.name for spec in specs)


def _temporary_beside(path: Path) -> Path:
    """A fresh, unique, hidden file name in the target's folder (same file system)."""
    stamp = f"{os.getpid()}.{time.monotonic_ns()}"
    return path.with_name(f".{path.name}.{stamp}.tmp")


def _remove(path: Path) -> None:
    for name in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


def _publish(temporary: Path, path: Path, overwrite: bool) -> None:
    """Move the finished file into place; without ``overwrite`` never replace one."""
    if overwrite:
        temporary.replace(path)
        return
    try:
        os.link(temporary, path)  # atomic and fails if ``path`` appeared meanwhile
    except FileExistsError:
        raise _exists(path) from None
    except OSError:  # no hard links on this file system: check, then rename
        if path.exists():
            raise _exists(path) from None
        temporary.replace(path)
    else:
        temporary.unlink()


def _exists(path: Path) -> BadRequest:
    return BadRequest(f"{path} already exists; choose another path or pass overwrite=True")


def _quiet(step: str, done: int, total: int) -> None:
    """The default progress callback: says nothing."""


def build_demo_database(
    path: Path,
    *,
    seed: int = 1,
    scale: float = 1.0,
    long_history_iovs: int = 0,
    progress: Progress | None = None,
    overwrite: bool = False,
) -> DemoSummary:
    """Write the demo conditions database to ``path`` (SQLite) and summarise it.

    ``scale`` (0 < scale <= 4) sizes the number of runs, IOVs and payloads;
    the detector content (modules, strips, crystals) is always complete.
    Refuses an existing ``path`` unless ``overwrite``; the file appears only
    once complete.  ``progress(step, done, total)`` is called often enough to
    drive a progress display.
    """
    _check_seed(seed)
    _check_scale(scale)
    target = Path(path)
    if target.is_dir():
        raise BadRequest(f"{target} is a folder; give the path of the database file to create")
    if target.exists() and not overwrite:
        raise _exists(target)
    started = time.perf_counter()
    the_plan = plan(scale, long_history_iovs)
    temporary = _temporary_beside(target)
    try:
        written, runs, global_tags = _write_all(temporary, int(seed), the_plan, progress or _quiet)
        _publish(temporary, target, overwrite)
    except BaseException:
        _remove(temporary)
        raise
    calendar = demo_calendar(int(seed), the_plan)
    golden = write_golden_json(
        golden_path(target), demo_golden(calendar.run, calendar.lumisections)
    )
    return DemoSummary(
        path=target,
        seed=int(seed),
        scale=float(scale),
        tags=MappingProxyType(dict(written.counts)),
        runs=runs,
        global_tags=global_tags,
        payload_bytes=written.payload_bytes,
        file_bytes=target.stat().st_size,
        seconds=time.perf_counter() - started,
        golden=golden,
    )
