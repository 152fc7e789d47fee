"""The ``[ops]`` table: who may read ``/metrics`` and ``/_stats``, checked when the file loads.

What the setting does to requests is tested in ``tests/unit/inspector/web/test_private.py``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.config import load_config
from inspector.errors import ConfigError
from inspector.ops_settings import OpsSettings

OPS_TOKEN = "ops-token-for-prometheus-0123"


def test_the_configuration_file_reads_the_ops_table(tmp_path: Path) -> None:
    digest = hashlib.sha256(OPS_TOKEN.encode()).hexdigest()
    (tmp_path / "inspector.toml").write_text(
        '[databases.demo]\npath = "demo.sqlite"\n'
        f'[ops]\naccess = "token"\ntoken = "sha256:{digest}"\n'
    )
    config = load_config(tmp_path / "inspector.toml")
    assert config.ops == OpsSettings("token", bytes.fromhex(digest))
    assert digest not in repr(config.ops)
    (tmp_path / "inspector.toml").write_text('[databases.demo]\npath = "demo.sqlite"\n')
    assert load_config(tmp_path / "inspector.toml").ops.access == "open"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"access": "everyone"}, "access must be one of open, loopback, token"),
        ({"access": "token"}, "token is needed"),
        ({"access": "loopback", "token": "sha256:" + "0" * 64}, "token is needed"),
        ({"access": "token", "token": OPS_TOKEN}, "plain tokens are not accepted"),
        ({"access": "token", "token": "env:INSPECTOR_TEST_UNSET"}, r"\[ops\] token: .* unset"),
        ({"who": "me"}, "unknown key"),
    ],
)
def test_bad_ops_tables_are_named(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        OpsSettings.from_table(table, "cfg")
    assert OPS_TOKEN not in str(info.value)


def test_the_table_is_checked_without_importing_flask() -> None:
    code = "import sys, inspector.ops_settings; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
