"""The [jobs] table and the heaviness rule."""

from __future__ import annotations

import pytest

from inspector.errors import ConfigError
from inspector.jobs import Cost, JobSettings, is_heavy


def test_defaults_and_a_full_table() -> None:
    assert JobSettings.from_table(None) == JobSettings()
    settings = JobSettings.from_table(
        {"heavy_mb": 1, "workers": 3, "queue": 0, "keep_seconds": 5, "keep": 1, "time_limit": 60}
    )
    assert settings.heavy_bytes == 1 << 20 and settings.workers == 3 and settings.queue == 0


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ([], "must be a table"),
        ({"heavy": 1}, "unknown key(s) heavy"),
        ({"workers": 0}, "workers"),
        ({"workers": 1.5}, "whole number"),
        ({"queue": True}, "queue"),
        ({"heavy_mb": float("inf")}, "heavy_mb"),
        ({"keep_seconds": -1}, "keep_seconds"),
        ({"lease_seconds": 0}, "lease_seconds must be a finite number of at least 1"),
        ({"lease_seconds": 2.5}, "whole number"),
    ],
)
def test_wrong_values_are_named(table: object, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        JobSettings.from_table(table, "inspector.toml")


def test_heavy_means_uncached_bytes_over_the_threshold() -> None:
    cost = Cost.of(300, {"a": 600, "b": 500})
    assert (cost.payloads, cost.uncached, cost.uncached_bytes) == (300, 2, 1100)
    assert is_heavy(cost, 1000) and not is_heavy(cost, 1100)
    assert not is_heavy(Cost.of(300, {}), 0)  # everything cached: answered directly
