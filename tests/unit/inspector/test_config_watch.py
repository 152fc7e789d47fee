"""The [[watch]] entries and [watch_clock] table of the configuration."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from inspector.config import WatchConfig, WatchedTag, load_config, parse_config
from inspector.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
DBS: dict[str, Any] = {"demo": {"path": "demo.sqlite"}, "online": {"url": "sqlite:///x"}}


def _parse(text: str) -> WatchConfig:
    data = {"databases": DBS, **tomllib.loads(text)}
    return parse_config(data, base_dir=Path("/tmp")).watch


def test_watch_entries_and_clock() -> None:
    watch = _parse(
        """
        [[watch]]
        tag = "A"
        max_latency_hours = 48
        stale_after_hours = 168

        [[watch]]
        db = "online"
        tag = "B"
        max_latency_hours = 1.5

        [watch_clock]
        after_newest_run_hours = 72
        """
    )
    assert watch.tags == (WatchedTag("demo", "A", 48.0, 168.0), WatchedTag("online", "B", 1.5))
    assert watch.after_newest_run_hours == 72.0


def test_no_watch_is_an_empty_watch() -> None:
    assert _parse("") == WatchConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[watch]]\ntag = "A"\nmax_latency_hours = 1\nlatency = 2', "unknown key(s) latency"),
        ('[[watch]]\ndb = "x"\ntag = "A"\nmax_latency_hours = 1', "db 'x' is not in"),
        ("[[watch]]\nmax_latency_hours = 1", "needs tag"),
        ('[[watch]]\ntag = "A"', "needs max_latency_hours"),
        ('[[watch]]\ntag = "A"\nmax_latency_hours = 0', "max_latency_hours must be greater"),
        ('[[watch]]\ntag = "A"\nmax_latency_hours = "2"', "finite number of hours"),
        ('[[watch]]\ntag = "A"\nmax_latency_hours = inf', "finite number of hours"),
        ('[[watch]]\ntag = "A"\nmax_latency_hours = true', "finite number of hours"),
        (
            '[[watch]]\ntag = "A"\nmax_latency_hours = 48\nstale_after_hours = 24',
            "stale_after_hours (24) must be greater than max_latency_hours (48)",
        ),
        (
            '[[watch]]\ntag = "A"\nmax_latency_hours = 1\n[[watch]]\ntag = "A"\n'
            "max_latency_hours = 2",
            "tag 'A' of database 'demo' is twice",
        ),
        ('watch = "A"', "array of tables"),
        ("[watch_clock]\nhours = 3", "[watch_clock] unknown key(s) hours"),
        ("[watch_clock]\nafter_newest_run_hours = -1", "must be at least 0"),
        ("watch_clock = 3", "[watch_clock] must be a table"),
    ],
)
def test_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(text)
    assert message in str(caught.value)


def test_the_repository_configuration_watches_the_demo_tags() -> None:
    config = load_config(REPO / "inspector.toml")
    assert [t.tag for t in config.watch.tags] == [
        "BeamSpotObjects_PCL_byLumi_v1",
        "BeamSpotObjects_Express_byRun_v1",
        "BeamSpotObjects_HLT_byRun_v1",
    ]
    assert config.watch.after_newest_run_hours == 72.0
