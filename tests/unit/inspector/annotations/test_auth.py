"""Recognising writers: tokens by digest in constant time, proxy headers only from proxies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from inspector.annotations import Authenticator, Unauthorized
from inspector.annotations.settings import parse_auth_table
from inspector.config import load_config
from inspector.errors import ConfigError

TOKEN = "s3cret-token-of-alice"
DIGEST = hashlib.sha256(TOKEN.encode()).hexdigest()


def _auth(monkeypatch: pytest.MonkeyPatch) -> Authenticator:
    monkeypatch.setenv("ROBOT_TOKEN", "robot-token-0123456789")
    config = parse_auth_table(
        {
            "proxy_user_header": "X-Remote-User",
            "trusted_proxies": ["10.0.0.0/8", "::1"],
            "tokens": {"alice": f"sha256:{DIGEST}", "robot": "env:ROBOT_TOKEN"},
        },
        "cfg",
    )
    assert DIGEST not in repr(config)
    return Authenticator(config)


def test_tokens_and_proxy_users(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = _auth(monkeypatch)
    bearer = {"authorization": f"Bearer {TOKEN}"}
    assert auth.require("192.0.2.1", bearer).user == "alice"
    robot = auth.require(None, {"authorization": "bearer robot-token-0123456789"})
    assert robot.user == "robot" and not robot.ambient
    proxied = auth.require("10.1.2.3", {"x-remote-user": "bob"})
    assert proxied.user == "bob" and proxied.ambient
    assert auth.require("::1", {"x-remote-user": "carol"}).user == "carol"


def test_the_proxy_header_from_elsewhere_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = _auth(monkeypatch)
    assert auth.identify("192.0.2.1", {"x-remote-user": "bob"}) is None
    assert auth.identify(None, {"x-remote-user": "bob"}) is None
    with pytest.raises(Unauthorized, match="needs an identified user"):
        auth.require("192.0.2.1", {"x-remote-user": "bob"})


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"authorization": "Bearer wrong"}, "API token is not valid"),
        ({"authorization": f"Basic {TOKEN}"}, "must be 'Bearer <token>'"),
        ({"authorization": "Bearer "}, "must be 'Bearer <token>'"),
        # A bad token is refused even when a trusted proxy vouches for someone.
        ({"authorization": "Bearer wrong", "x-remote-user": "bob"}, "not valid"),
        ({"x-remote-user": "bob<script>"}, "not a valid user name"),
    ],
)
def test_bad_credentials_are_401s(
    monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], message: str
) -> None:
    with pytest.raises(Unauthorized, match=message) as info:
        _auth(monkeypatch).identify("10.0.0.1", headers)
    assert info.value.http_status == 401
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"proxy_user_header": "X-Remote-User"}, "needs trusted_proxies"),
        ({"trusted_proxies": ["nonsense"]}, "trusted_proxies"),
        ({"trusted_proxies": "10.0.0.1"}, "must be a list"),
        ({"tokens": {"alice": TOKEN}}, "plain tokens are not accepted"),
        ({"tokens": {"alice": "sha256:abc"}}, "plain tokens are not accepted"),
        ({"tokens": {"al ice": f"sha256:{DIGEST}"}}, "not a valid user name"),
        ({"tokens": {"alice": "env:INSPECTOR_TEST_UNSET_VARIABLE"}}, "is unset"),
        ({"proxy_user_header": "X Remote"}, "HTTP header name"),
        ({"proxy_user_header": "X-Remote-User", "proxy_secret": TOKEN}, "plain tokens"),
        ({"proxy_secret": f"sha256:{DIGEST}"}, "only used with proxy_user_header"),
        ({"users": []}, "unknown key"),
    ],
)
def test_bad_auth_tables_are_config_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_auth_table(table, "cfg")
    assert TOKEN not in str(info.value)


PROXY_SECRET = "shared-with-the-proxy-only-0123"


def _proxy_auth(monkeypatch: pytest.MonkeyPatch, proxies: list[str]) -> Authenticator:
    monkeypatch.setenv("PROXY_SECRET", PROXY_SECRET)
    table: dict[str, object] = {
        "proxy_user_header": "X-Remote-User",
        "proxy_secret": "env:PROXY_SECRET",
    }
    if proxies:
        table["trusted_proxies"] = proxies
    config = parse_auth_table(table, "cfg")
    assert config.proxy_secret_digest is not None and PROXY_SECRET not in repr(config)
    return Authenticator(config)


@pytest.mark.parametrize("proxies", [["127.0.0.1"], []])
def test_the_proxy_header_needs_the_proxy_secret(
    monkeypatch: pytest.MonkeyPatch, proxies: list[str]
) -> None:
    auth = _proxy_auth(monkeypatch, proxies)
    claim = {"x-remote-user": "bob"}
    # A local process knows the address but not the secret: its claim is ignored.
    assert auth.identify("127.0.0.1", claim) is None
    assert auth.identify("127.0.0.1", {**claim, "x-inspector-proxy-secret": "guess"}) is None
    proxied = auth.identify("127.0.0.1", {**claim, "x-inspector-proxy-secret": PROXY_SECRET})
    assert proxied is not None and proxied.user == "bob" and proxied.ambient


def test_the_secret_from_an_untrusted_address_is_not_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = _proxy_auth(monkeypatch, ["10.0.0.5"])
    headers = {"x-remote-user": "bob", "x-inspector-proxy-secret": PROXY_SECRET}
    assert auth.identify("192.0.2.1", headers) is None
    assert auth.identify("10.0.0.5", headers) is not None


def test_trusting_loopback_without_a_secret_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = {"proxy_user_header": "X-Remote-User", "trusted_proxies": ["127.0.0.1", "10.0.0.5"]}
    with caplog.at_level("WARNING", logger="inspector.annotations.auth"):
        Authenticator(parse_auth_table(table, "cfg"))
    assert "127.0.0.1/32 without proxy_secret: any local process" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="inspector.annotations.auth"):
        Authenticator(parse_auth_table({**table, "trusted_proxies": ["10.0.0.5"]}, "cfg"))
    assert caplog.text == ""


def test_the_configuration_file_reads_every_new_table(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text('{"5": [[1, 2]]}')
    (tmp_path / "inspector.toml").write_text(
        '[databases.demo]\npath = "demo.sqlite"\n'
        '[certification.g]\npath = "g.json"\ndescription = "good runs"\n'
        '[annotations]\npath = "notes/n.sqlite"\n'
        f'[auth.tokens]\nalice = "sha256:{DIGEST}"\n'
    )
    config = load_config(tmp_path / "inspector.toml")
    assert config.certifications["g"].description == "good runs"
    assert config.annotations is not None
    assert config.annotations.url == f"sqlite:///{tmp_path.resolve() / 'notes' / 'n.sqlite'}"
    assert config.auth.token_digests["alice"] == bytes.fromhex(DIGEST)
    (tmp_path / "g.json").write_text('{"5": [[2, 1]]}')
    with pytest.raises(ConfigError, match=r"certification 'g' \(.*g.json\): run 5 range 0"):
        load_config(tmp_path / "inspector.toml")
