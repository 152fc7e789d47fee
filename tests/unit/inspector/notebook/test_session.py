"""``inspector.open`` and the Session: the CLI's vocabulary over the server's engine.

Every answer is checked against what the engine (or the database) gives for
the same question, on the session-wide demo database and on the real CMS
files: the API must be the same path, not a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cms_files import CMS_LIKE_TAGS, REAL_CMS_FILES, build_cms_like

import inspector
from inspector.conddb import parse_since
from inspector.config import Config, DatabaseConfig
from inspector.engine import Engine, PlotRequest
from inspector.errors import DatabaseUnavailable, InvalidParameter, NotFound
from inspector.notebook import Session, TagList
from inspector.payload import DecodedPayload
from inspector.plots import DetectorMap, Histogram1D, History, PlotObject

PCL = "BeamSpotObjects_PCL_byLumi_v1"
BYRUN = "BeamSpotObjects_Realistic_byRun_v1"
NOISE = "SiStripNoise_prompt_v1"
NOISE2 = "SiStripNoise_rereco_v2"


@pytest.fixture(scope="module")
def demo_config(demo_path: Path) -> Config:
    """The configuration the session-wide ``demo_engine`` runs on."""
    return Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")


@pytest.fixture(scope="module")
def db(demo_config: Config) -> Iterator[Session]:
    session = inspector.open("demo", config=demo_config)
    yield session
    session.close()


def _same(notebook: PlotObject, engine: PlotObject) -> None:
    assert type(notebook) is type(engine)
    assert notebook == engine  # every array, label and the whole provenance
    assert notebook.to_json() == engine.to_json()


# -- opening ---------------------------------------------------------------------------


def test_open_an_alias_reads_its_database(db: Session, demo_path: Path) -> None:
    assert db.alias == "demo"
    assert db.database.location == str(demo_path)
    assert repr(db) == f"<inspector.Session 'demo': {demo_path}>"


def test_open_without_source_takes_the_default_database(demo_config: Config) -> None:
    with inspector.open(config=demo_config) as session:
        assert session.alias == "demo"


def test_open_a_sqlite_file_names_it_by_its_file_name(demo_path: Path) -> None:
    empty = Config({"other": DatabaseConfig("other", "sqlite:////nowhere.sqlite")}, "other")
    with inspector.open(demo_path, config=empty) as session:
        assert session.alias == demo_path.name
        assert session.tag(BYRUN).object_type == "BeamSpotObjects"
        plot = session.plot("beamspot.position_x", tag=BYRUN)
        assert plot.provenance.db == demo_path.name


def test_a_file_named_like_an_alias_keeps_its_full_path(demo_path: Path) -> None:
    taken = Config({demo_path.name: DatabaseConfig(demo_path.name, "sqlite:////x.db")}, "x")
    # The alias wins over a file of the same name; another path gets its own alias.
    copy = demo_path.parent / "sub"
    copy.mkdir(exist_ok=True)
    other = copy / demo_path.name
    other.write_bytes(demo_path.read_bytes())
    with inspector.open(other, config=taken) as session:
        assert session.alias == str(other.absolute())
        assert session.database.location == str(other.absolute())


def test_open_of_an_unknown_alias_names_it_and_the_known_ones(demo_config: Config) -> None:
    with pytest.raises(NotFound) as caught:
        inspector.open("prod", config=demo_config)
    assert str(caught.value) == "'prod' is neither a configured alias (demo) nor a SQLite file"


def test_open_of_a_missing_file_names_it(demo_config: Config, tmp_path: Path) -> None:
    missing = tmp_path / "no.sqlite"
    with pytest.raises(NotFound, match=rf"'{missing}' is neither a configured alias \(demo\)"):
        inspector.open(missing, config=demo_config)


def test_open_of_an_alias_whose_file_is_gone_fails_at_once(tmp_path: Path) -> None:
    gone = tmp_path / "gone.sqlite"
    config = Config({"gone": DatabaseConfig("gone", f"sqlite:///{gone}")}, "gone")
    with pytest.raises(DatabaseUnavailable):
        inspector.open("gone", config=config)


def test_open_reads_a_configuration_file(demo_path: Path, tmp_path: Path) -> None:
    toml = tmp_path / "inspector.toml"
    toml.write_text(f'[databases.mine]\npath = "{demo_path}"\n')
    with inspector.open("mine", config=toml) as session:
        assert session.tags("PCL").names == [PCL]


# -- browsing --------------------------------------------------------------------------


def test_tags_find_every_match_like_the_database_search(db: Session) -> None:
    everything = db.tags()
    assert isinstance(everything, TagList)
    page = db.database.search_tags(page_size=1000)
    assert everything == page.items and len(everything) == page.total
    assert db.tags("beamspot*byrun*").names == [
        "BeamSpotObjects_Express_byRun_v1",
        "BeamSpotObjects_HLT_byRun_v1",
        "BeamSpotObjects_Realistic_byRun_v1",
    ]
    assert db.tags(object_type="SiStripNoises").names == [NOISE, NOISE2]
    assert db.tags("BeamSpot", time_type="lumi").names == [PCL]


def test_tags_page_through_long_lists(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspector.notebook import session as module

    monkeypatch.setattr(module, "_TAG_PAGE", 2)  # several queries, one list
    assert db.tags() == db.database.search_tags(page_size=1000).items


def test_tags_as_a_data_frame(db: Session) -> None:
    frame = db.tags("BeamSpot").to_pandas()
    tags = db.tags("BeamSpot")
    assert list(frame["name"]) == tags.names
    assert list(frame["time_type"]) == [t.time_type.value for t in tags]
    assert list(frame.columns[:3]) == ["name", "time_type", "object_type"]


def test_iovs_take_the_cli_forms_of_since(db: Session, demo_engine: Engine) -> None:
    everything = db.iovs(PCL)
    assert len(everything) == len(demo_engine.iovs("demo", PCL))
    first, last = int(everything.since[2]), int(everything.since[-3])
    run_ls = f"{first >> 32}:{first & 0xFFFFFFFF}"
    ranged = db.iovs(PCL, since=run_ls, until=f"{last >> 32}:{last & 0xFFFFFFFF}")
    expected = db.database.iovs(
        PCL, since=parse_since(run_ls, "Lumi"), until=parse_since(str(last), "Lumi")
    )
    np.testing.assert_array_equal(ranged.since, expected.since)
    assert int(ranged.since[0]) == first and int(ranged.since[-1]) == last
    assert len(db.iovs(PCL, since=first, until=last)) == len(ranged)  # raw integers too


def test_iovs_of_a_run_tag_by_run_number(db: Session) -> None:
    iovs = db.iovs(BYRUN)
    middle = int(iovs.since[len(iovs) // 2])
    later = db.iovs(BYRUN, since=str(middle))
    assert int(later.since[0]) == middle and len(later) == len(iovs) - len(iovs) // 2


def test_iovs_as_of_a_snapshot(db: Session) -> None:
    iovs = db.iovs(NOISE)
    inserted = np.sort(iovs.insertion_time)
    cut = inserted[len(inserted) // 2].astype("datetime64[s]").astype(dt.datetime)
    text = cut.isoformat() + "Z"
    at_text = db.iovs(NOISE, snapshot=text)
    at_aware = db.iovs(NOISE, snapshot=cut.replace(tzinfo=dt.UTC).astimezone())
    expected = db.database.iovs(NOISE, snapshot=cut)
    assert 0 < len(expected) < len(iovs)
    for got in (at_text, at_aware):
        np.testing.assert_array_equal(got.since, expected.since)
        np.testing.assert_array_equal(got.payload_hash, expected.payload_hash)


def test_iovs_of_a_time_tag_by_iso_time(tmp_path: Path) -> None:
    path = tmp_path / "cms.db"
    build_cms_like(path)
    config = Config({"x": DatabaseConfig("x", "sqlite:////nowhere")}, "x")
    with inspector.open(path, config=config) as session:
        tag = CMS_LIKE_TAGS["time"]
        iovs = session.iovs(tag)
        second = int(iovs.since[1])
        when = (
            dt.datetime(1970, 1, 1) + dt.timedelta(seconds=second >> 32, microseconds=1)
        ).isoformat() + "Z"
        assert int(session.iovs(tag, since=when).since[0]) == second


def test_iovs_refuse_a_malformed_since(db: Session) -> None:
    with pytest.raises(InvalidParameter, match="until"):
        db.iovs(PCL, until="yesterday")


def test_iovs_to_pandas(db: Session) -> None:
    iovs = db.iovs(NOISE)
    frame = iovs.to_pandas()
    assert list(frame.columns) == ["since", "until", "payload_hash", "insertion_time"]
    np.testing.assert_array_equal(frame["since"].to_numpy(), iovs.since)
    np.testing.assert_array_equal(frame["until"].to_numpy(), iovs.until)
    assert list(frame["payload_hash"]) == list(iovs.payload_hash)
    np.testing.assert_array_equal(
        frame["insertion_time"].to_numpy().astype("datetime64[us]"), iovs.insertion_time
    )
    assert frame.attrs == {"tag": NOISE, "time_type": "Run", "snapshot": None}


def test_payload_is_the_engines_decoded_payload(db: Session, demo_engine: Engine) -> None:
    h = str(db.iovs(BYRUN).payload_hash[-1])
    payload = db.payload(h)
    assert isinstance(payload, DecodedPayload) and payload.payload_hash == h
    assert db.payload(h) is payload  # decoded once per hash, then cached
    reference = demo_engine.decoded_payload("demo", h)
    assert list(payload) == list(reference)
    np.testing.assert_array_equal(payload["position_"], reference["position_"])


def test_payload_of_an_unknown_hash(db: Session) -> None:
    with pytest.raises(NotFound, match=r"0{40}"):
        db.payload("0" * 40)


@pytest.mark.skipif(not REAL_CMS_FILES, reason="the real CMS files are not there")
def test_payload_and_plot_of_a_real_cms_file() -> None:
    config = Config({"x": DatabaseConfig("x", "sqlite:////nowhere")}, "x")
    with inspector.open(REAL_CMS_FILES[0], config=config) as session:
        tag = next(t for t in session.tags("_SF_") if t.object_type == "JME::JetResolutionObject")
        h = str(session.iovs(tag.name).payload_hash[0])
        payload = session.payload(h)
        assert payload.is_archive and payload.payload_hash == h
        plot = session.plot("jetmet.jer_scale_factor", tag=tag.name, pt=50.0)
        assert plot.provenance.payload_hashes == (h,)
        assert session.plot("jetmet.jer_scale_factor", tag=tag.name, params={"pt": 50.0}) == plot


# -- plotting: the same plots as the engine's ----------------------------------------------


def test_a_history_is_the_engines(db: Session, demo_engine: Engine) -> None:
    iovs = db.iovs(PCL)
    a, b = int(iovs.since[1]), int(iovs.since[-2])
    since, until = f"{a >> 32}:{a & 0xFFFFFFFF}", f"{b >> 32}:{b & 0xFFFFFFFF}"
    plot = db.plot("beamspot.width", tag=PCL, since=since, until=until)
    assert isinstance(plot, History)
    engine = demo_engine.plot(
        PlotRequest("beamspot.width", PCL, db="demo", since=since, until=until)
    )
    _same(plot, engine)
    assert set(plot.series) == {"width_x", "width_y"}


def test_a_history_reports_progress(db: Session) -> None:
    seen: list[tuple[int, int]] = []
    db.plot("strips.mean_noise_history", tag=NOISE, progress=lambda d, t: seen.append((d, t)))
    distinct = len(db.iovs(NOISE).distinct_hashes()[0])
    assert seen[-1] == (distinct, distinct)


def test_a_single_iov_histogram_is_the_engines(db: Session, demo_engine: Engine) -> None:
    iov = int(db.iovs(NOISE).since[1])
    plot = db.plot("strips.noise_distribution", tag=NOISE, iov=iov, bins=40, partition="TIB")
    assert isinstance(plot, Histogram1D) and plot.counts.size == 40
    engine = demo_engine.plot(
        PlotRequest(
            "strips.noise_distribution",
            NOISE,
            db="demo",
            iov=str(iov),
            params={"bins": "40", "partition": "TIB"},
        )
    )
    _same(plot, engine)
    assert plot.provenance.iovs == (iov,)


def test_the_latest_iov_when_none_is_given(db: Session) -> None:
    plot = db.plot("beamspot.parameters", tag=BYRUN)
    assert plot.provenance.iovs == (int(db.iovs(BYRUN).since[-1]),)


def test_a_detector_map_is_the_engines(db: Session, demo_engine: Engine) -> None:
    plot = db.plot("maps.strip_noise", tag=NOISE)
    assert isinstance(plot, DetectorMap) and plot.geometry
    _same(plot, demo_engine.plot(PlotRequest("maps.strip_noise", NOISE, db="demo")))


def test_a_comparison_of_two_iovs_and_of_two_tags(db: Session, demo_engine: Engine) -> None:
    iovs = db.iovs(NOISE)
    first, last = str(iovs.since[0]), str(iovs.since[-1])
    two_iovs = db.plot("strips.noise_ratio", tag=NOISE, iov=first, iov2=last, bins=30)
    _same(
        two_iovs,
        demo_engine.plot(
            PlotRequest(
                "strips.noise_ratio", NOISE, db="demo", iov=first, iov2=last, params={"bins": 30}
            )
        ),
    )
    assert two_iovs.provenance.labels == (f"IOV {first}", f"IOV {last}")
    two_tags = db.plot("maps.strip_noise_ratio", tag=NOISE, tag2=NOISE2)
    _same(
        two_tags,
        demo_engine.plot(PlotRequest("maps.strip_noise_ratio", NOISE, db="demo", tag2=NOISE2)),
    )
    assert two_tags.provenance.tags == (NOISE, NOISE2)


def test_parameters_are_checked_by_the_drawer(db: Session) -> None:
    with pytest.raises(InvalidParameter, match="unknown parameter"):
        db.plot("strips.noise_distribution", tag=NOISE, colour="red")
    with pytest.raises(InvalidParameter, match="bins"):
        db.plot("strips.noise_distribution", tag=NOISE, bins=10, params={"bins": 20})
    with pytest.raises(InvalidParameter, match="iov"):
        db.plot("strips.noise_distribution", tag=NOISE, iov="not a run")
    with pytest.raises(NotFound, match="drawer"):
        db.plot("strips.nothing", tag=NOISE)


def test_drawers_by_payload_type(db: Session) -> None:
    names = db.drawers("SiStripNoises")
    assert "maps.strip_noise" in names and "beamspot.width" not in names
    assert set(names) < set(db.drawers())


def test_the_session_keeps_one_engine_and_its_caches(db: Session) -> None:
    db.plot("strips.mean_noise_history", tag=NOISE)
    before = {s.name: s for s in db.engine.cache_stats()}
    db.plot("strips.mean_noise_history", tag=NOISE)
    after = {s.name: s for s in db.engine.cache_stats()}
    assert after["reductions"].misses == before["reductions"].misses  # all served warm
    assert after["reductions"].hits > before["reductions"].hits


def test_a_certified_history_is_the_engines(demo_path: Path, tmp_path: Path) -> None:
    golden = demo_path.with_name(f"{demo_path.stem}-golden.json")
    toml = tmp_path / "inspector.toml"
    toml.write_text(
        f'[databases.demo]\npath = "{demo_path}"\n[certification.golden]\npath = "{golden}"\n'
    )
    with inspector.open("demo", config=toml) as session:
        plot = session.plot("beamspot.position_x", tag=BYRUN, cert="golden")
        engine = session.context.engine  # the session's own: built from the same file
        _same(
            plot, engine.plot(PlotRequest("beamspot.position_x", BYRUN, db="demo", cert="golden"))
        )
        assert plot.provenance.certification is not None
        assert plot.provenance.certification["name"] == "golden"
        assert isinstance(plot, History) and plot.notes  # the note says what was kept
        assert set(plot.since) <= set(session.iovs(BYRUN).since)
        with pytest.raises(InvalidParameter, match="cert"):
            session.plot("beamspot.position_x", tag=BYRUN, cert="silver")


def test_a_since_of_another_type_is_refused_naming_its_argument(db: Session) -> None:
    with pytest.raises(InvalidParameter, match="iov2"):
        db.plot("strips.noise_ratio", tag=NOISE, iov=1, iov2=2.5)  # type: ignore[arg-type]
