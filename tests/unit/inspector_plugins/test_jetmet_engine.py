"""JetMET drawers through the real engine: the real CMS JER files and a JEC database.

Every tag of the three real files (``../shared/data/cms-conditions/jer``,
never copied into the repository) is drawn: scale-factor tags with
``jetmet.jer_scale_factor``, resolution tags with ``jetmet.jer_resolution``;
the values equal the tag's text file (compared as float32), the resolution
computed by hand from the text row's parameters. JEC payloads are the demo's
(``inspector.demo.jetmet``), written as CMSSW writes them into a small
database, and checked against the decoded-form evaluation.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cms_files import REAL_CMS_DIR, REAL_CMS_FILES
from jetmet_text import JER_DATA, f32, parse_jer_text, resolution_by_hand, text_rows

from inspector.conddb.timetypes import TimeType
from inspector.conddb.writer import ConditionsWriter
from inspector.config import Config, DatabaseConfig
from inspector.demo import jetmet as demo
from inspector.engine import Engine, PlotRequest
from inspector.errors import InvalidParameter
from inspector.payload import SchemaRegistry, encode
from inspector.plots import Scatter
from inspector.plugin import load_plugins
from inspector_plugins import jetmet

T0 = dt.datetime(2024, 5, 1, 8, 0, 0)


def _tags(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return sorted(str(n) for (n,) in con.execute("select name from tag"))


TAGS = [(f, t) for f in REAL_CMS_FILES for t in _tags(f)]


def text_file(db: Path, tag: str) -> Path:
    """Tag ``JR_<era>_<kind>_<jet>`` of ``<era>.db``: ``textFiles/<era>/<era>_<kind>_<jet>.txt``."""
    return JER_DATA / "textFiles" / db.stem / f"{tag.removeprefix('JR_')}.txt"


@pytest.fixture(scope="module")
def real_engine() -> Iterator[Engine]:
    if not REAL_CMS_FILES:
        pytest.skip(f"the real CMS files are not there: {REAL_CMS_DIR}")
    config = Config(
        {f.stem: DatabaseConfig(f.stem, f"sqlite:///{f.resolve()}") for f in REAL_CMS_FILES},
        REAL_CMS_FILES[0].stem,
    )
    engine = Engine(config, load_plugins())
    yield engine
    engine.close()


def test_the_three_files_hold_thirty_tags() -> None:
    if not REAL_CMS_FILES:
        pytest.skip(f"the real CMS files are not there: {REAL_CMS_DIR}")
    assert [sum(1 for f, _ in TAGS if f == db) for db in REAL_CMS_FILES] == [12, 2, 16]


@pytest.mark.parametrize(("db", "tag"), TAGS, ids=[t for _, t in TAGS])
def test_every_real_tag_draws_its_text_file(real_engine: Engine, db: Path, tag: str) -> None:
    path = text_file(db, tag)
    if "_SF_" in tag:
        plot = real_engine.plot(PlotRequest(drawer="jetmet.jer_scale_factor", tag=tag, db=db.stem))
        assert isinstance(plot, Scatter)
        rows = [r for r in text_rows(path) if len(r[0]) == 1 or r[0][1][0] <= 100 <= r[0][1][1]]
        assert plot.x.size == 3 * len(rows)
        for bins, _, params in rows:
            centre = (np.float64(bins[0][0]) + np.float64(bins[0][1])) / 2
            at = np.flatnonzero(plot.x == centre)
            assert f32(plot.y[at]).tolist() == params.tolist()  # nominal, down, up
        assert plot.provenance.tags == (tag,) and plot.provenance.db == db.stem
        return
    for eta, rho in ((0.0, 20.0), (-2.7, 5.0), (1.3, 15.0), (4.0, 30.0)):
        plot = real_engine.plot(
            PlotRequest(
                drawer="jetmet.jer_resolution",
                tag=tag,
                db=db.stem,
                params={"eta": str(eta), "rho": str(rho), "points": "12", "pt_max": "5000"},
            )
        )
        assert isinstance(plot, Scatter)
        expected = [resolution_by_hand(path, eta, rho, float(pt)) for pt in plot.x]
        np.testing.assert_array_equal(f32(plot.y), f32(expected), err_msg=f"{tag} η={eta}")
    assert (
        plot.notes[0]
        == f"formula {parse_jer_text(path.read_text())['m_definition']['m_formula_str']}"
    )


def test_compare_two_real_tags_and_the_wrong_drawer(real_engine: Engine) -> None:
    db = next(f for f in REAL_CMS_FILES if f.stem == "Summer15_25nsV6_MC")
    a, b = "JR_Summer15_25nsV6_MC_PtResolution_AK4PF", "JR_Summer15_25nsV6_MC_PtResolution_AK8PF"
    params = {"eta": "0.7", "rho": "10", "points": "30"}
    ratio = real_engine.plot(
        PlotRequest(
            drawer="jetmet.jer_resolution_compare", tag=a, tag2=b, db=db.stem, params=params
        )
    )
    one = [
        real_engine.plot(
            PlotRequest(drawer="jetmet.jer_resolution", tag=t, db=db.stem, params=params)
        )
        for t in (a, b)
    ]
    assert isinstance(ratio, Scatter)
    np.testing.assert_array_equal(
        ratio.y, f32(one[1].y).astype(np.float64) / f32(one[0].y).astype(np.float64)
    )
    assert ratio.provenance.tags == (a, b) and a in ratio.title and b in ratio.title
    sf = real_engine.plot(
        PlotRequest(
            drawer="jetmet.jer_scale_factor_compare",
            tag="JR_Summer15_25nsV6_MC_SF_AK4PF",
            tag2="JR_Summer15_25nsV6_MC_SF_AK8PFchs",
            db=db.stem,
        )
    )
    assert isinstance(sf, Scatter) and sf.y.size == 42
    assert np.all(sf.y == 1.0)  # the 2015 files give every jet type the same factors
    wrong = real_engine.plot(PlotRequest(drawer="jetmet.jer_scale_factor", tag=a, db=db.stem))
    assert isinstance(wrong, Scatter) and wrong.x.size == 0
    assert "draw it with jetmet.jer_resolution" in wrong.notes[0]


# -- JEC through the engine --------------------------------------------------------------

JEC_TAG = demo.jec_tag(demo.JEC_ERAS[0], "AK4PFchs", data=True)


@pytest.fixture(scope="module")
def jec_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One JEC tag: two eras' DATA payloads at runs 1 and 200, an empty collection at 300."""
    path = tmp_path_factory.mktemp("jec") / "jec.sqlite"
    schema = SchemaRegistry.builtin().get(jetmet.JEC_TYPE)
    writer = ConditionsWriter.create_sqlite(path)
    with writer.engine.begin() as conn:
        blobs = [
            encode(schema, demo.jec_payload(demo.JEC_ERAS[0], "AK4PFchs", seed=2, data=True)),
            encode(schema, demo.jec_payload(demo.JEC_ERAS[1], "AK4PFchs", seed=2, data=True)),
            encode(schema, {"corrections_": [], "correctionsL5_": [], "correctionsL7_": []}),
        ]
        assert len(blobs[2]) == 13  # an empty collection, as real ones can be
        hashes = [
            writer.add_payload(conn, jetmet.JEC_TYPE, b, version="dummy", insertion_time=T0)
            for b in blobs
        ]
        writer.add_tag(
            conn, JEC_TAG, time_type=TimeType.RUN, object_type=jetmet.JEC_TYPE, insertion_time=T0
        )
        writer.add_iovs(
            conn, JEC_TAG, [(s, h, T0) for s, h in zip((1, 200, 300), hashes, strict=True)]
        )
    writer.close()
    engine = Engine(
        Config({"jec": DatabaseConfig("jec", f"sqlite:///{path}")}, "jec"), load_plugins()
    )
    yield engine
    engine.close()


@pytest.mark.parametrize("level", ["L1FastJet", "L2Relative", "L3Absolute", "L2L3Residual"])
def test_jec_levels_through_the_engine(jec_engine: Engine, level: str) -> None:
    params = {"level": level, "eta": "-1.7", "rho": "25", "area": "0.5", "points": "40"}
    plot = jec_engine.plot(
        PlotRequest(drawer="jetmet.jec_correction", tag=JEC_TAG, iov="1", params=params)
    )
    assert isinstance(plot, Scatter) and plot.x.size == 40
    decoded = demo.jec_payload(demo.JEC_ERAS[0], "AK4PFchs", seed=2, data=True)
    levels = jetmet.jec_levels(decoded)
    values = jetmet.jet_values(f32(plot.x), -1.7, rho=25.0, area=0.5)
    expected = jetmet.jec_correction(levels[level], values, missing=np.nan)
    assert f32(plot.y).tolist() == expected.tolist()
    assert np.isfinite(plot.y).all()
    if level == "L1FastJet":
        assert plot.y[0] < plot.y[-1] < 1.0  # pile-up offset: largest at low pT
    if level == "L3Absolute":
        assert np.all(plot.y == 1.0)


def test_jec_compare_of_two_iovs_and_the_empty_collection(jec_engine: Engine) -> None:
    params = {"level": "L2Relative", "eta": "0.4", "mode": "ratio", "points": "25"}
    plot = jec_engine.plot(
        PlotRequest(
            drawer="jetmet.jec_correction_compare", tag=JEC_TAG, iov="1", iov2="200", params=params
        )
    )
    assert isinstance(plot, Scatter) and np.isfinite(plot.y).all()
    assert plot.provenance.labels == ("IOV 1", "IOV 200")
    assert not np.all(plot.y == 1.0)  # two eras differ
    empty = jec_engine.plot(PlotRequest(drawer="jetmet.jec_correction", tag=JEC_TAG, iov="300"))
    assert isinstance(empty, Scatter) and empty.x.size == 0
    assert "an empty collection" in empty.notes[0]
    missing = jec_engine.plot(
        PlotRequest(
            drawer="jetmet.jec_correction", tag=JEC_TAG, iov="1", params={"level": "L5Flavor"}
        )
    )
    assert isinstance(missing, Scatter) and missing.x.size == 0
    assert "no L5Flavor; it holds L1FastJet, L2Relative" in missing.notes[0]
    with pytest.raises(InvalidParameter, match="'level'"):
        jec_engine.plot(
            PlotRequest(drawer="jetmet.jec_correction", tag=JEC_TAG, params={"level": "L9"})
        )


@pytest.mark.parametrize("tag", demo.tag_names())
def test_every_demo_jetmet_tag_draws(demo_engine: Engine, tag: str) -> None:
    drawer = (
        "jetmet.jer_scale_factor"
        if "_SF_" in tag
        else "jetmet.jer_resolution"
        if tag.startswith("JR_")
        else "jetmet.jec_correction"
    )
    plot = demo_engine.plot(PlotRequest(drawer=drawer, tag=tag))
    assert isinstance(plot, Scatter) and plot.x.size > 0
    assert np.isfinite(plot.y).all(), plot.notes
