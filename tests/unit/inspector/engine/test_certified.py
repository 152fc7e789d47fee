"""History requests with ``cert``: the engine keeps certified IOVs and says which file did it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from handmade import hours

import inspector_plugins.beamspot
import inspector_plugins.schemas
from inspector.certification import Certifications, load_certification
from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.config import Config, DatabaseConfig
from inspector.engine import Engine, PlotRequest
from inspector.errors import InvalidParameter, NotFound
from inspector.plots import History, from_json
from inspector.plugin import load_plugins

GOLDEN = {"100": [[50, 60]], "200": [[1, 10]], "350": [[4, 5]]}


@pytest.fixture(scope="module")
def engine(
    handmade_path: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("golden")
    (folder / "golden.json").write_text(json.dumps(GOLDEN))
    (folder / "runs101.json").write_text('{"101": [[1, 3]], "999": [[1, 1]]}')
    certs = Certifications(
        {
            "golden": load_certification("golden", folder / "golden.json"),
            "runs101": load_certification("runs101", folder / "runs101.json"),
        }
    )
    config = Config(
        {"hand": DatabaseConfig("hand", f"sqlite:///{handmade_path[0]}")},
        "hand",
        certifications=certs,
    )
    plugins = load_plugins(
        entry_points=False,
        extra=[("schemas", inspector_plugins.schemas), ("beamspot", inspector_plugins.beamspot)],
    )
    eng = Engine(config, plugins)
    yield eng
    eng.close()


def _history(engine: Engine, tag: str, cert: str | None) -> History:
    plot = engine.plot(PlotRequest("beamspot.position_x", tag, cert=cert))
    assert isinstance(plot, History)
    return plot


def test_run_tag_keeps_iovs_holding_certified_runs(engine: Engine) -> None:
    everything = _history(engine, "BS_run", None)
    assert everything.since.tolist() == [100, 200, 300, 400]
    assert everything.provenance.certification is None
    plot = _history(engine, "BS_run", "golden")
    # [100, 200) holds run 100 (certified: 50-60); [200, 300) run 200; [300, 400) run 350.
    assert plot.since.tolist() == [100, 200, 300]
    assert plot.series["x"].values.tolist() == pytest.approx([0.1, 0.4, 0.3])
    cert = plot.provenance.certification
    assert cert is not None and cert["name"] == "golden" and cert["file"] == "golden.json"
    assert plot.notes == (
        f"Certified data only: golden (golden.json, sha256 {cert['sha256'][:12]}) kept 3 of 4 "
        "IOVs, those overlapping a certified run.",
    )


def test_lumi_tag_keeps_iovs_sharing_a_certified_lumisection(engine: Engine) -> None:
    plot = _history(engine, "BS_lumi", "golden")
    # 100:1-49 has none of 100:50-60; 100:50 up to 101:1 has them; 101:1 onwards has run 200.
    assert plot.since.tolist() == [pack_lumi(100, 50), pack_lumi(101, 1)]
    assert "kept 2 of 3 IOVs, those overlapping a certified lumisection" in plot.notes[0]


def test_time_tag_keeps_iovs_meeting_certified_run_spans(engine: Engine) -> None:
    plot = _history(engine, "BS_time", "runs101")
    # Run 101 ran 1.5 h - 3 h: inside the first IOV (0 h - 5 h) only; run 999 is unknown.
    assert plot.since.tolist() == [datetime_to_since(hours(0))]
    assert "1 certified run(s) missing from RUN_INFO" in plot.notes[0]
    both = _history(engine, "BS_time", "golden")  # run 200: 4 h - 8 h meets both IOVs
    assert len(both.since) == 2


def test_the_json_form_keeps_the_certification(engine: Engine) -> None:
    plot = _history(engine, "BS_run", "golden")
    document = json.loads(plot.to_json())
    assert document["provenance"]["certification"]["name"] == "golden"
    again = from_json(plot.to_json())
    assert again == plot
    assert "certification: golden (golden.json, sha256 " in plot.to_csv()
    # A document written before the field existed reads as uncertified.
    del document["provenance"]["certification"]
    assert from_json(document).provenance.certification is None


def test_bad_cert_requests_are_named(engine: Engine) -> None:
    with pytest.raises(InvalidParameter, match=r"unknown certification 'nope' \(known: golden"):
        engine.plot(PlotRequest("beamspot.position_x", "BS_run", cert="nope"))
    with pytest.raises(InvalidParameter, match="history plots only") as info:
        engine.plot(PlotRequest("beamspot.parameters", "BS_run", cert="golden"))
    assert info.value.parameter == "cert"
    with pytest.raises(NotFound, match="overlaps data certified by 'golden'"):
        engine.plot(PlotRequest("beamspot.position_x", "BS_run", since="400", cert="golden"))
