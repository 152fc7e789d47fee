"""The demo's golden JSON: written beside the database, realistic, deterministic, usable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inspector.certification import Certifications, load_certification
from inspector.conddb import open_database
from inspector.config import DEMO_CERTIFICATION, Config, DatabaseConfig, load_config
from inspector.demo.builder import demo_calendar, plan
from inspector.demo.golden import demo_golden, golden_path
from inspector.engine import Engine, PlotRequest
from inspector.plots import History
from inspector.plugin import load_plugins


def test_written_beside_the_database_from_its_own_runs(demo_path: Path) -> None:
    path = golden_path(demo_path)
    assert path == demo_path.with_name("demo-golden.json") and path.is_file()
    golden = load_certification("g", path).lumis
    db = open_database(DatabaseConfig("demo", f"sqlite:///{demo_path}"))
    runs = db.run_timeline()
    db.close()
    assert set(golden.runs.tolist()) < set(runs.run.tolist())  # some runs are not certified
    lumisections = ((runs.end - runs.start) / np.timedelta64(1, "s") / 23.31).astype(int)
    per_run = dict(zip(runs.run.tolist(), lumisections.tolist(), strict=True))
    assert all(last <= per_run[r] + 1 for r, last in zip(golden.run, golden.last, strict=True))
    certified = dict.fromkeys(golden.runs.tolist(), 0)
    for run, first, last in zip(golden.run, golden.first, golden.last, strict=True):
        certified[int(run)] += int(last - first + 1)
    assert any(n < per_run[r] - 1 for r, n in certified.items())  # some lumisections are not


def test_the_same_runs_always_give_the_same_file(demo_path: Path) -> None:
    calendar = demo_calendar(3, plan(0.02))
    again = demo_golden(calendar.run, calendar.lumisections).to_json_dict()
    assert json.loads(golden_path(demo_path).read_text()) == again
    bigger = demo_calendar(1, plan(1.0))
    full = demo_golden(bigger.run, bigger.lumisections)
    share = full.runs.size / len(bigger)
    assert 0.8 < share < 0.95  # about one run in eight is left out


def test_the_builtin_configuration_lists_it_when_present(
    demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INSPECTOR_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert DEMO_CERTIFICATION not in load_config().certifications
    folder = tmp_path / "payload-inspector"
    folder.mkdir()
    (folder / "demo-golden.json").write_bytes(golden_path(demo_path).read_bytes())
    config = load_config()
    assert config.certifications[DEMO_CERTIFICATION].path == folder / "demo-golden.json"
    assert config.annotations is not None and str(folder) in config.annotations.url


def test_the_repository_configuration_names_it() -> None:
    root = Path(__file__).resolve().parents[4]
    text = (root / "inspector.toml").read_text()
    assert '[certification.golden_2024]\npath = "var/demo-golden.json"' in text


def test_it_filters_the_demo_lumi_tag(demo_path: Path) -> None:
    cert = load_certification("golden", golden_path(demo_path))
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        certifications=Certifications({"golden": cert}),
    )
    engine = Engine(config, load_plugins())
    try:
        tag = "BeamSpotObjects_PCL_byLumi_v1"
        everything = engine.plot(PlotRequest("beamspot.position_x", tag))
        certified = engine.plot(PlotRequest("beamspot.position_x", tag, cert="golden"))
    finally:
        engine.close()
    assert isinstance(everything, History) and isinstance(certified, History)
    assert 0 < certified.iov_count < everything.iov_count
    # Brute force, every IOV against every certified range: the same IOVs are kept.
    lumis = cert.lumis
    starts = (lumis.run.astype(np.uint64) << np.uint64(32)) | lumis.first.astype(np.uint64)
    ends = ((lumis.run.astype(np.uint64) << np.uint64(32)) | lumis.last.astype(np.uint64)) + 1
    meets = (starts[None, :] < everything.until[:, None]) & (
        ends[None, :] > everything.since[:, None]
    )
    assert certified.since.tolist() == everything.since[meets.any(axis=1)].tolist()
