"""The configured certification files by name (inspector.certification.registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.certification import CertificationUnavailable
from inspector.certification.registry import parse_certification_table
from inspector.errors import ConfigError


def test_a_file_not_written_yet_loads_and_fails_only_when_used(tmp_path: Path) -> None:
    (tmp_path / "there.json").write_text(json.dumps({"1": [[1, 5]]}))
    table = {"there": {"path": "there.json"}, "later": {"path": "var/later.json"}}
    certs = parse_certification_table(table, tmp_path, "cfg")
    assert list(certs) == ["there"]  # only usable files are offered
    assert certs.missing == {"later": tmp_path / "var" / "later.json"}
    with pytest.raises(CertificationUnavailable) as caught:
        certs.get_named("later")
    assert caught.value.http_status == 503
    assert "later.json" in caught.value.message  # the operator sees the path
    assert str(tmp_path) not in caught.value.public_message  # a remote user does not


def test_a_present_but_broken_file_still_stops_loading(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"bad\.json.*not valid JSON"):
        parse_certification_table({"bad": {"path": "bad.json"}}, tmp_path, "cfg")
