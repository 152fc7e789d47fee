"""Golden JSON files: what is read, what is merged, and how a broken file is named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inspector.certification import Certifications, load_certification, parse_golden_json
from inspector.certification.registry import parse_certification_table
from inspector.errors import ConfigError, InvalidParameter


def test_ranges_are_sorted_by_run_and_merged_within_a_run() -> None:
    lumis = parse_golden_json(
        {"379060": [[40, 50], [1, 10], [11, 12], [45, 60]], "379058": [[5, 5]]}
    )
    assert lumis.run.tolist() == [379058, 379060, 379060]
    assert lumis.first.tolist() == [5, 1, 40]
    assert lumis.last.tolist() == [5, 12, 60]
    assert lumis.runs.tolist() == [379058, 379060]
    assert lumis.lumisections == 1 + 12 + 21
    assert parse_golden_json(lumis.to_json_dict()).to_json_dict() == lumis.to_json_dict()


def test_an_empty_file_certifies_nothing() -> None:
    lumis = parse_golden_json({})
    assert len(lumis) == 0 and lumis.runs.size == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([[1, 2]], "top level must be an object"),
        ({"12a": [[1, 2]]}, "key '12a' is not a run number"),
        ({"-5": [[1, 2]]}, "key '-5' is not a run number"),
        ({"0": [[1, 2]]}, "run 0 is not within"),
        ({"4294967296": [[1, 2]]}, "run 4294967296 is not within"),
        ({"100": []}, "run 100 must map to a non-empty list"),
        ({"100": [[1, 2, 3]]}, "run 100 range 0 must be \\[first, last\\]"),
        ({"100": [[1, 2], [3.5, 4]]}, "run 100 range 1 must be"),
        ({"100": [[True, 4]]}, "run 100 range 0 must be"),
        ({"100": [[5, 4]]}, "1 <= first <= last"),
        ({"100": [[0, 4]]}, "1 <= first <= last"),
    ],
)
def test_malformed_documents_say_what_is_wrong(document: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_golden_json(document, where="certification 'x' (f.json)")


def test_loading_names_the_file_and_fingerprints_it(tmp_path: Path) -> None:
    path = tmp_path / "golden.json"
    path.write_text(json.dumps({"100": [[1, 10]]}))
    cert = load_certification("g", path, "desc")
    assert cert.provenance() == {"name": "g", "file": "golden.json", "sha256": cert.sha256}
    assert len(cert.sha256) == 64
    path.write_text("{'100': [[1, 10]]}")
    with pytest.raises(ConfigError, match=r"certification 'g' \(.*golden.json\): not valid JSON"):
        load_certification("g", path)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_certification("g", path)
    with pytest.raises(ConfigError, match=r"cannot read .*missing\.json"):
        load_certification("g", tmp_path / "missing.json")


def test_the_configuration_table_is_checked(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"100": [[1, 2]]}')
    certs = parse_certification_table({"a": {"path": "a.json"}}, tmp_path, "cfg")
    assert list(certs) == ["a"] and certs["a"].path == tmp_path / "a.json"
    for table, message in [
        ({"a": {"path": "a.json", "file": "x"}}, r"unknown key\(s\) file"),
        ({"a": {"description": "x"}}, "needs 'path'"),
        ({"a b": {"path": "a.json"}}, "a name uses letters"),
        ({"a": "a.json"}, "must be a table"),
        ({"a": {"path": "a.json", "description": 3}}, "description must be a string"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_certification_table(table, tmp_path, "cfg")


def test_an_unknown_name_is_a_400_naming_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    certs = Certifications({"a": load_certification("a", tmp_path / "a.json")})
    with pytest.raises(InvalidParameter, match=r"unknown certification 'b' \(known: a\)") as info:
        certs.get_named("b")
    assert info.value.parameter == "cert"
    with pytest.raises(InvalidParameter, match="none are configured"):
        Certifications().get_named("b")
    assert np.array_equal(certs.get_named("a").lumis.run, np.zeros(0, np.int64))
