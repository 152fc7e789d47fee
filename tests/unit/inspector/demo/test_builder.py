"""Tests of the demo database builder: content, determinism, atomicity, validation.

Builds are small (scale 0.02) and shared per module: the detector content is
always complete (9.3 million strips per noise payload), only the number of
runs and IOVs shrinks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from drawer_checks import alignment_modules
from sqlalchemy import create_engine

from inspector.cmssw import pixels as sipixel
from inspector.cmssw import strips as sistrip
from inspector.cmssw.pixel_gains import unpack
from inspector.conddb.database import ConditionsDB
from inspector.conddb.timetypes import LUMISECTION_SECONDS
from inspector.demo import (
    DemoSummary,
    TagCounts,
    alignment,
    beamspot,
    build_demo_database,
    ecal,
    jetmet,
    pixels,
    plan,
    strips,
    watch,
)
from inspector.demo.model import LEGACY_RELEASE, RUN3_RELEASE
from inspector.errors import BadRequest, InvalidParameter
from inspector.geometry.detid import strips_per_module
from inspector.geometry.shipped import pixel_modules, strip_module_ids
from inspector.payload import (
    ArchiveLayout,
    SchemaRegistry,
    decode,
    parse_streamer_info,
    streamer_info_text,
)

SCALE = 0.02
STRIP_COUNT = 15_148
PIXEL_COUNT = len(pixel_modules()[0])


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def built(folder: Path) -> tuple[Path, DemoSummary, list[tuple[str, int, int]]]:
    calls: list[tuple[str, int, int]] = []
    path = folder / "demo.sqlite"
    summary = build_demo_database(path, seed=1, scale=SCALE, progress=lambda *a: calls.append(a))
    return path, summary, calls


@pytest.fixture(scope="module")
def db(built: tuple[Path, DemoSummary, Any]) -> Iterator[Path]:
    yield built[0]


# --------------------------------------------------------------------------- plan


def test_full_scale_plan_has_ten_thousand_lumi_iovs_over_a_thousand_payloads() -> None:
    full = plan(1.0)
    assert full.beamspot_lumi_iovs >= 10_000
    assert 950 <= full.beamspot_lumi_payloads <= 1050
    assert full.runs == 300
    expected = full.expected()
    assert expected[strips.PROMPT_TAG] == TagCounts(300, 20)
    assert expected[alignment.PROMPT_TAG].iovs == 37  # 36 runs + one corrected re-insert
    assert expected[alignment.RERECO_TAG].iovs == 24
    assert expected[pixels.TAG].iovs == 8
    assert expected[ecal.TAG].iovs == 30
    assert expected[beamspot.LEGACY_TAG].iovs == 50


@pytest.mark.parametrize("scale", [1e-6, 0.02, 0.05, 0.5, 4.0])
def test_every_scale_keeps_several_iovs_and_two_payloads_per_tag(scale: float) -> None:
    single = set(jetmet.tag_names())  # JME conditions: one IOV from run 1, as CMS ships them
    for name, counts in plan(scale).expected().items():
        if name in single:
            assert counts == TagCounts(1, 1), name
            continue
        assert counts.iovs >= 3, name
        assert counts.payloads >= 2, name
        assert counts.payloads <= counts.iovs, name


def test_plan_grows_with_scale() -> None:
    small, large = plan(0.5), plan(2.0)
    assert small.runs < large.runs
    assert small.beamspot_lumi_iovs < large.beamspot_lumi_iovs


def test_summary_counts_match_the_plan(built: tuple[Path, DemoSummary, Any]) -> None:
    _, summary, _ = built
    expected = plan(SCALE).expected()
    assert set(summary.tags) == set(expected)
    for name, counts in expected.items():
        got = summary.tags[name]
        if name == watch.HLT_TAG:  # the runs before the technical stop
            assert 1 <= got.iovs == got.payloads < counts.iovs
            continue
        assert got.iovs == counts.iovs, name
        if name == strips.RERECO_TAG:  # shared prompt payloads may coincide
            assert 2 <= got.payloads <= counts.payloads
        else:
            assert got.payloads == counts.payloads, name


def test_summary_describes_the_file(built: tuple[Path, DemoSummary, Any]) -> None:
    path, summary, _ = built
    assert summary.path == path
    assert (summary.seed, summary.scale) == (1, SCALE)
    assert summary.file_bytes == path.stat().st_size
    ((payload_bytes,),) = _rows(path, "select sum(length(data)) from payload")
    assert summary.payload_bytes == payload_bytes
    ((iovs,),) = _rows(path, "select count(*) from iov")
    assert summary.iov_count == iovs
    assert summary.runs == plan(SCALE).runs
    assert summary.seconds > 0
    assert len(summary.global_tags) == 4


def test_no_temporary_file_is_left(built: tuple[Path, DemoSummary, Any], folder: Path) -> None:
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("demo"))
    assert names == ["demo-golden.json", "demo.sqlite"]  # the database and its certified runs
    assert built[1].golden == folder / "demo-golden.json"
    assert not [p for p in folder.iterdir() if p.name.endswith((".tmp", "-journal"))]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_progress_is_reported_per_step(built: tuple[Path, DemoSummary, Any]) -> None:
    _, _, calls = built
    assert calls[0][0] == "RUN_INFO"
    assert calls[-1] == ("global tags", 4, 4)
    assert all(0 <= done <= total for _, done, total in calls)
    steps = {step for step, _, _ in calls}
    assert f"{beamspot.PCL_TAG}: payloads" in steps
    pcl = [d for step, d, _ in calls if step == f"{beamspot.PCL_TAG}: payloads"]
    assert pcl == list(range(1, plan(SCALE).beamspot_lumi_payloads + 1))


# --------------------------------------------------------------------------- determinism


def _fingerprint(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "iov": _rows(path, "select * from iov order by tag_name, since, insertion_time"),
        "payload": _rows(
            path,
            "select hash, object_type, version, insertion_time, streamer_info "
            "from payload order by hash",
        ),
        "tag": _rows(path, "select * from tag order by name"),
        "run_info": _rows(path, "select * from run_info order by run_number"),
        "global_tag_map": _rows(path, "select * from global_tag_map order by 1, 2, 3"),
    }


def test_same_seed_gives_an_identical_database(db: Path, folder: Path) -> None:
    again = build_demo_database(folder / "again.sqlite", seed=1, scale=SCALE)
    assert _fingerprint(again.path) == _fingerprint(db)


def test_another_seed_gives_other_conditions(db: Path, folder: Path) -> None:
    other = build_demo_database(folder / "other.sqlite", seed=2, scale=SCALE)
    mine, theirs = _fingerprint(db), _fingerprint(other.path)
    assert not {r[0] for r in mine["payload"]} & {r[0] for r in theirs["payload"]}
    assert mine["run_info"] != theirs["run_info"]
    assert mine["global_tag_map"] == theirs["global_tag_map"]


# --------------------------------------------------------------------------- payloads


def _payloads(path: Path) -> Iterator[tuple[str, str, str, bytes, bytes]]:
    yield from _rows(path, "select hash, object_type, version, data, streamer_info from payload")


def test_every_payload_is_hashed_as_conddb_and_written_as_cmssw_writes(db: Path) -> None:
    registry = SchemaRegistry.builtin()
    releases = {RUN3_RELEASE.cmssw: RUN3_RELEASE, LEGACY_RELEASE.cmssw: LEGACY_RELEASE}
    for digest, object_type, version, data, streamer in _payloads(db):
        assert hashlib.sha1(object_type.encode() + data).hexdigest() == digest
        if not isinstance(registry.get(object_type, version), ArchiveLayout):
            assert streamer == f'{{"schema": "{object_type}.v{version}"}}'.encode()
            continue
        assert version == "dummy"
        info = parse_streamer_info(streamer)
        release = releases[info.release]
        assert streamer == streamer_info_text(release.cmssw, release.architecture, release.boost)
        assert data[0] == 0x7F and data[2] == release.library_version


def _check_beamspot(p: Any) -> None:
    x, y, z = p["position_"]
    assert p["covariance_"].shape == (7, 7) and p["type_"] == 2
    assert 3.3 < p["sigmaZ_"] < 4.7 and np.all(np.diag(p["covariance_"]) > 0)
    if p.streamer.release == LEGACY_RELEASE.cmssw:  # 2016: one width for both planes
        assert 0.0 < x < 0.15 and 0.0 < y < 0.2
        assert 1e-3 < p["beamwidthX_"] == p["beamwidthY_"] < 2.5e-3
        assert p["betaStar_"] == beamspot.LEGACY_BETA_STAR_CM
        return
    assert 0.15 < x < 0.19 and -0.21 < y < -0.17
    assert -2.0 < z < 1.5
    assert 6e-4 < p["beamwidthX_"] < 1.8e-3 and 6e-4 < p["beamwidthY_"] < 1.8e-3
    assert abs(p["dxdz_"]) < 1e-4 and abs(p["dydz_"]) < 1e-4
    cov = p["covariance_"]
    assert np.allclose(cov, cov.T)
    errors = np.sqrt(np.diag(cov))
    assert 2e-5 < errors[0] < 6e-4 and 3e-3 < errors[2] < 0.12  # by fill: smaller
    assert 0 < p["beamwidthXError_"] < 2e-4 and 0 < p["beamwidthYError_"] < 2e-4
    assert np.isclose(p["emittanceX_"], p["beamwidthX_"] ** 2 / p["betaStar_"])


def _check_strips(p: Any) -> None:
    indexes = p["indexes"]
    assert indexes.size == STRIP_COUNT
    np.testing.assert_array_equal(indexes["detid"], strip_module_ids())
    # 9 bits a strip: a module of n strips takes 9n/8 bytes, back to back.
    nbytes = indexes["iend"] - indexes["ibegin"]
    np.testing.assert_array_equal(nbytes * 8, strips_per_module(indexes["detid"]) * 9)
    assert indexes["ibegin"][0] == 0
    np.testing.assert_array_equal(indexes["ibegin"][1:], indexes["iend"][:-1])
    assert p["v_noises"].dtype == np.uint8 and p["v_noises"].size == indexes["iend"][-1]
    table = sistrip.strip_noises(p)
    noise = table.noise()
    assert noise.size == 9_316_352
    assert 4.5 < float(np.median(noise)) < 6.5
    per_module = table.module_means()
    assert 10 <= int(np.sum(per_module == 0)) <= 200  # dead modules
    assert 5 <= int(np.sum(per_module > 12)) <= 60  # noisy modules
    assert noise.max() <= 51.1
    begin, end = table.begin, table.end
    channel = np.arange(noise.size) - np.repeat(begin, end - begin)
    edge = np.isin(channel % 128, (0, 127))
    ratio = np.median(noise[edge]) / np.median(noise[~edge])
    assert 1.1 < ratio < 1.3


def _check_alignment(p: Any) -> None:
    modules = alignment_modules(p)
    expected = np.sort(np.concatenate([strip_module_ids(), pixel_modules()[0]]))
    np.testing.assert_array_equal(modules["detid"], expected)
    radius = np.hypot(modules["x"], modules["y"])
    assert radius.min() > 2.5 and radius.max() < 115
    assert np.abs(modules["z"]).max() < 285


def _check_pixels(p: Any) -> None:
    np.testing.assert_array_equal(p["indexes"]["detid"], pixel_modules()[0])
    assert np.all(p["indexes"]["ncols"] == 416)
    assert int(p["numberOfRowsToAverageOver_"]) == 80 and int(p["nBinsToUseForEncoding_"]) == 253
    assert (int(p["deadFlag_"]), int(p["noisyFlag_"])) == (255, 254)
    assert p["v_pedestals"].size == PIXEL_COUNT * 416 * 2 * 2  # 2 ROCs a column, 2 bytes each
    gains = unpack(p, sipixel.FOR_HLT)
    assert np.all(gains.rows == 160)
    gain, pedestal = gains.gains(), gains.pedestals()
    dead = gains.dead_blocks()
    assert np.array_equal(dead, gains.dead_pixels()[:, 0])  # the flag in both bytes
    assert 0.001 < dead.mean() < 0.01  # some dead column blocks
    alive = ~dead
    assert 2.8 < gain[alive].mean() < 3.2 and 0.2 < gain[alive].std() < 0.4
    assert 23 < pedestal[alive].mean() < 27 and 3 < pedestal[alive].std() < 7
    for member, (low, high) in (
        ("pedPrecision", gains.pedestal_range),
        ("gainPrecision", gains.gain_range),
    ):  # the float step the constructor computes
        assert p[member] == np.float32(np.float32(np.float32(high) - np.float32(low)) / 253)


def _check_ecal(p: Any) -> None:
    barrel, endcap = p["eb_"]["m_items"], p["ee_"]["m_items"]
    assert (barrel.size, endcap.size) == (61_200, 14_648)
    assert 195 < barrel["mean_x12"].mean() < 205 and 195 < endcap["mean_x12"].mean() < 205
    assert 1.0 < np.median(barrel["rms_x12"]) < 1.25
    assert 1.8 < np.median(endcap["rms_x12"]) < 2.2
    assert barrel["mean_x1"].mean() < barrel["mean_x6"].mean() < barrel["mean_x12"].mean()
    assert np.median(barrel["rms_x1"]) < np.median(barrel["rms_x6"]) < 1.0
    assert (barrel["rms_x12"] > 3).sum() >= 10  # a few noisy crystals


def _check_jer(p: Any) -> None:
    definition, records = p["m_definition"], p["m_records"]
    assert p["m_valid"] is True and definition["m_bins_name"][0] == "JetEta"
    assert len(records) >= 20
    if definition["m_formula_str"]:  # resolution: a formula of the jet pT
        assert definition["m_variables_name"] == ["JetPt"]
        assert all(r["m_parameters_values"].size == 4 for r in records)
    else:  # scale factors: nominal, down, up with down <= nominal <= up
        sf = np.array([r["m_parameters_values"] for r in records])
        assert np.all(sf[:, 1] <= sf[:, 0]) and np.all(sf[:, 0] <= sf[:, 2])
        assert 1.0 < float(np.median(sf[:, 0])) < 1.4


def _check_jec(p: Any) -> None:
    levels = [parameters["mDefinitions"]["mLevel"] for _, parameters in p["corrections_"]]
    assert "L2Relative" in levels and "L1FastJet" in levels
    assert p["correctionsL5_"] == [] and p["correctionsL7_"] == []


CHECKS = {
    ("JME::JetResolutionObject", "dummy"): _check_jer,
    ("JetCorrectorParametersCollection", "dummy"): _check_jec,
    ("BeamSpotObjects", "dummy"): _check_beamspot,
    ("SiStripNoises", "dummy"): _check_strips,
    ("Alignments", "dummy"): _check_alignment,
    ("SiPixelGainCalibrationForHLT", "dummy"): _check_pixels,
    ("EcalCondObjectContainer<EcalPedestal>", "dummy"): _check_ecal,
}


def test_every_payload_decodes_to_realistic_values(db: Path) -> None:
    registry = SchemaRegistry.builtin()
    seen: set[tuple[str, str]] = set()
    for digest, object_type, version, data, streamer in _payloads(db):
        decoded = decode(
            data, registry.get(object_type, version), payload_hash=digest, streamer_info=streamer
        )
        CHECKS[(object_type, version)](decoded)
        seen.add((object_type, version))
    assert seen == set(CHECKS)


def test_beam_spot_jumps_after_the_technical_stop(db: Path) -> None:
    registry = SchemaRegistry.builtin()
    schema = registry.get("BeamSpotObjects")
    rows = _rows(
        db,
        "select i.since >> 32, p.data from iov i join payload p on p.hash = i.payload_hash "
        f"where i.tag_name = '{beamspot.PCL_TAG}' order by i.since",
    )
    runs = np.array([r for r, _ in rows])
    z = np.array([float(decode(d, schema)["position_"][2]) for _, d in rows])
    starts = np.array(_rows(db, "select start_time from run_info order by run_number"))
    gap = np.argmax(np.diff([_time(t).timestamp() for (t,) in starts]))
    first_after = _rows(db, "select run_number from run_info order by run_number")[gap + 1][0]
    assert z[runs >= first_after].mean() > z[runs < first_after].mean()


# --------------------------------------------------------------------------- IOVs


def test_lumi_since_splits_into_runs_and_lumisections(db: Path) -> None:
    runs = {r: (_time(a), _time(b)) for r, a, b in _rows(db, "select * from run_info")}
    rows = _rows(
        db,
        f"select since, payload_hash from iov where tag_name = '{beamspot.PCL_TAG}' order by since",
    )
    since = np.array([r[0] for r in rows], dtype=np.uint64)
    assert np.all(np.diff(since.astype(np.float64)) > 0)
    run, ls = since >> np.uint64(32), since & np.uint64(0xFFFFFFFF)
    assert set(run.tolist()) == set(runs)
    for number in runs:
        start, end = runs[number]
        count = int((end - start).total_seconds() / LUMISECTION_SECONDS)
        mine = ls[run == number]
        assert mine[0] == 1 and mine.max() <= count
    hashes = [h for _, h in rows]
    repeats = sum(a == b for a, b in itertools.pairwise(hashes))
    assert repeats > len(rows) // 2  # consecutive IOVs repeat a payload, as PCL tags do


def test_run_based_tags_start_at_runs_of_run_info(db: Path) -> None:
    runs = {r for (r,) in _rows(db, "select run_number from run_info")}
    for name in (strips.PROMPT_TAG, alignment.PROMPT_TAG, pixels.TAG, ecal.TAG):
        since = {s for (s,) in _rows(db, f"select since from iov where tag_name = '{name}'")}
        assert since <= runs, name
        assert min(runs) in since, name


def test_latest_insertion_wins_and_snapshots_see_the_old_row(db: Path) -> None:
    rows = _rows(
        db,
        "select since, insertion_time, payload_hash from iov where tag_name = "
        f"'{alignment.PROMPT_TAG}' and since in (select since from iov where tag_name = "
        f"'{alignment.PROMPT_TAG}' group by since having count(*) > 1) order by insertion_time",
    )
    assert len(rows) == 2
    (since, first_time, first_hash), (_, later_time, later_hash) = rows
    assert first_hash != later_hash and _time(later_time) > _time(first_time)
    reader = ConditionsDB("demo", create_engine(f"sqlite:///{db}"))
    try:
        latest = reader.iovs(alignment.PROMPT_TAG, since=since, until=since)
        assert latest.payload_hash.tolist() == [later_hash]
        before = _time(first_time) + dt.timedelta(hours=1)
        old = reader.iovs(alignment.PROMPT_TAG, since=since, until=since, snapshot=before)
        assert old.payload_hash.tolist() == [first_hash]
    finally:
        reader.close()


def test_strip_tags_repeat_and_share_payloads(db: Path) -> None:
    prompt = [
        h
        for (h,) in _rows(
            db,
            f"select payload_hash from iov where tag_name = '{strips.PROMPT_TAG}' order by since",
        )
    ]
    rereco = {
        h
        for (h,) in _rows(
            db, f"select payload_hash from iov where tag_name = '{strips.RERECO_TAG}'"
        )
    }
    assert len(set(prompt)) < len(prompt)
    assert rereco & set(prompt)
    assert rereco - set(prompt)


# --------------------------------------------------------------------------- times


def test_payloads_exist_before_the_iovs_that_use_them(db: Path) -> None:
    rows = _rows(
        db,
        "select p.insertion_time, min(i.insertion_time) from payload p "
        "join iov i on i.payload_hash = p.hash group by p.hash",
    )
    assert rows and all(_time(p) <= _time(i) for p, i in rows)


def test_tag_times_bracket_their_iovs(db: Path) -> None:
    rows = _rows(
        db,
        "select t.insertion_time, t.modification_time, min(i.insertion_time), "
        "max(i.insertion_time) from tag t join iov i on i.tag_name = t.name group by t.name",
    )
    assert len(rows) == len(plan(SCALE).expected())
    for created, modified, first, last in rows:
        assert _time(created) < _time(first)
        assert _time(modified) == _time(last)


def _upload_delays(db: Path, tag: str) -> list[float]:
    rows = _rows(
        db,
        "select (julianday(i.insertion_time) - julianday(r.end_time)) * 24 from iov i "
        "join run_info r on r.run_number = (case when i.since > 4294967295 "
        "then i.since >> 32 else i.since end) "
        f"where i.tag_name = '{tag}'",
    )
    return [hours for (hours,) in rows]


@pytest.mark.parametrize("tag", [beamspot.PCL_TAG, strips.PROMPT_TAG, alignment.PROMPT_TAG])
def test_prompt_uploads_follow_the_run_within_hours(db: Path, tag: str) -> None:
    delays = _upload_delays(db, tag)
    assert delays and min(delays) > 0
    assert sorted(delays)[-2] < 12  # the corrected alignment re-insert came days later


@pytest.mark.parametrize("tag", [strips.RERECO_TAG, alignment.RERECO_TAG])
def test_rereco_uploads_come_months_later(db: Path, tag: str) -> None:
    assert min(_upload_delays(db, tag)) > 24 * 30


def test_hlt_uploads_precede_their_run(db: Path) -> None:
    assert max(_upload_delays(db, ecal.TAG)) < 0


def test_run_calendar_looks_like_2024(db: Path) -> None:
    runs = _rows(db, "select run_number, start_time, end_time from run_info order by 1")
    assert len(runs) == plan(SCALE).runs and runs[0][0] >= 379_000
    starts = [_time(a) for _, a, _ in runs]
    ends = [_time(b) for _, _, b in runs]
    assert dt.datetime(2024, 4, 5) <= starts[0] and ends[-1] <= dt.datetime(2024, 9, 30, 6)
    durations = [(b - a).total_seconds() for a, b in zip(starts, ends, strict=True)]
    assert min(durations) >= 20 * 60 and max(durations) <= 16 * 3600
    assert all(b < a for a, b in zip(starts[1:], ends[:-1], strict=True))
    longest = max((a - b for a, b in zip(starts[1:], ends[:-1], strict=True)), default=None)
    assert longest is not None and longest > dt.timedelta(days=14)


def test_global_tags_point_at_demo_tags(db: Path) -> None:
    tags = {n for (n,) in _rows(db, "select name from tag")}
    entries: dict[str, dict[str, str]] = {}
    for gt, record, label, tag in _rows(db, "select * from global_tag_map"):
        assert label == "" and tag in tags
        entries.setdefault(gt, {})[record] = tag
    assert set(entries) == {
        "140X_dataRun3_Express_v1",
        "140X_dataRun3_Prompt_v1",
        "140X_dataRun3_Prompt_v2",
        "140X_dataRun3_ReReco_v1",
    }
    v1, v2 = entries["140X_dataRun3_Prompt_v1"], entries["140X_dataRun3_Prompt_v2"]
    assert len(v1) == 5 and set(v1) == set(v2)
    assert {r for r in v1 if v1[r] != v2[r]} == {"TrackerAlignmentRcd"}
    express = entries["140X_dataRun3_Express_v1"]
    assert {r for r in v1 if v1[r] != express[r]} == {"BeamSpotObjectsRcd"}
    assert express["BeamSpotObjectsRcd"] == watch.EXPRESS_TAG
    syncs = {s for (s,) in _rows(db, "select synchronization from tag")}
    assert {"pcl", "prompt", "offline", "hlt"} <= syncs


# --------------------------------------------------------------------------- safety


def test_an_existing_file_is_refused_and_kept(folder: Path) -> None:
    path = folder / "existing.sqlite"
    path.write_bytes(b"precious")
    with pytest.raises(BadRequest, match="already exists"):
        build_demo_database(path, scale=SCALE)
    assert path.read_bytes() == b"precious"


def test_a_folder_is_refused(folder: Path) -> None:
    with pytest.raises(BadRequest, match="folder"):
        build_demo_database(folder, scale=SCALE, overwrite=True)


class _Interrupt(Exception):
    pass


def _interrupt_after(step: str) -> Any:
    def progress(name: str, done: int, total: int) -> None:
        if name.startswith(step):
            raise _Interrupt(name)

    return progress


def test_an_interrupted_build_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    with pytest.raises(_Interrupt):
        build_demo_database(path, scale=SCALE, progress=_interrupt_after(beamspot.RUN_TAG))
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_overwrite_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    path.write_bytes(b"old")
    with pytest.raises(_Interrupt):
        build_demo_database(
            path, scale=SCALE, overwrite=True, progress=_interrupt_after("RUN_INFO")
        )
    assert path.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("scale", [0, -0.5, 4.01, math.nan, math.inf, True, "1"])
def test_invalid_scale_is_refused(tmp_path: Path, scale: Any) -> None:
    with pytest.raises(InvalidParameter, match="scale"):
        build_demo_database(tmp_path / "x.sqlite", scale=scale)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("seed", [-1, 1.5, True, "1"])
def test_invalid_seed_is_refused(tmp_path: Path, seed: Any) -> None:
    with pytest.raises(InvalidParameter, match="seed"):
        build_demo_database(tmp_path / "x.sqlite", seed=seed)
    assert list(tmp_path.iterdir()) == []


def test_plan_refuses_invalid_scales() -> None:
    with pytest.raises(InvalidParameter):
        plan(0.0)
