"""The ``[annotations]`` and ``[auth]`` tables of the configuration.

::

    [annotations]                      # optional
    path = "var/annotations.sqlite"    # SQLite file (relative to the config file), or
    # url = "postgresql+psycopg://notes@db.example.org/inspector_notes"

    [auth]                             # optional: without it nobody can write
    proxy_user_header = "X-Remote-User"          # set by the single-sign-on proxy...
    trusted_proxies = ["10.0.0.5"]               # ...honoured only from these addresses
    proxy_secret = "env:INSPECTOR_PROXY_SECRET"  # ...and only with this X-Inspector-Proxy-Secret

    [auth.tokens]                      # per-user API tokens, never written in plain text
    alice = "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
    robot = "env:INSPECTOR_TOKEN_ROBOT"          # the token itself, read from the environment

Token values (and ``proxy_secret``) are either ``sha256:`` and the hex
digest of the token, or ``env:`` and the name of an environment variable
holding the token; either way only the digest is kept in memory
(:func:`inspector.secrets.token_digest`).

The proxy header needs ``trusted_proxies``, ``proxy_secret`` or both.  An
address alone is weak when the proxy runs on the same machine: trusting
``127.0.0.1`` lets any local process (any user's script, any other service)
send the header and claim any name.  With ``proxy_secret`` the proxy must
also send ``X-Inspector-Proxy-Secret: <secret>``, which local processes do
not know.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from inspector.config_tables import check_table
from inspector.errors import ConfigError
from inspector.secrets import token_digest

__all__ = [
    "DEFAULT_FILENAME",
    "AnnotationsConfig",
    "AuthConfig",
    "IPNetwork",
    "parse_annotations_table",
    "parse_auth_table",
]

DEFAULT_FILENAME: Final = "annotations.sqlite"
#: A user name as a proxy or the token table gives it (CERN logins, e-mail-like names).
USER_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_HEADER: Final = re.compile(r"^[A-Za-z0-9-]{1,64}$")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AnnotationsConfig:
    """Where the notes database is (SQLAlchemy URL)."""

    url: str


@dataclass(frozen=True)
class AuthConfig:
    """Who may write: a trusted proxy's user header and/or per-user token digests.

    ``token_digests`` maps user name → sha256 digest (32 bytes) of the token;
    ``proxy_secret_digest`` is the digest of the secret the proxy sends.
    The ``repr`` never shows digests, so logging the configuration is safe.
    """

    proxy_user_header: str | None = None
    trusted_proxies: tuple[IPNetwork, ...] = ()
    token_digests: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    proxy_secret_digest: bytes | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        """Whether any way of writing is configured."""
        return bool(self.proxy_user_header or self.token_digests)


def parse_annotations_table(entry: Any, base_dir: Path, where: str) -> AnnotationsConfig:
    """``[annotations]``: exactly one of ``path`` or ``url``."""
    entry = check_table(entry, "annotations", ("path", "url"), where)
    if ("path" in entry) == ("url" in entry):
        raise ConfigError(f"{where}: [annotations] needs exactly one of 'path' or 'url'")
    value = entry.get("path", entry.get("url"))
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: [annotations] path/url must be a non-empty string")
    if "path" in entry:
        return AnnotationsConfig(f"sqlite:///{base_dir / Path(value).expanduser()}")
    return AnnotationsConfig(value)


def parse_auth_table(entry: Any, where: str) -> AuthConfig:
    """``[auth]``: the proxy header with its trusted addresses, and ``[auth.tokens]``."""
    entry = check_table(
        entry, "auth", ("proxy_user_header", "trusted_proxies", "proxy_secret", "tokens"), where
    )
    header = entry.get("proxy_user_header")
    if header is not None and (not isinstance(header, str) or not _HEADER.match(header)):
        raise ConfigError(f"{where}: [auth] proxy_user_header must be an HTTP header name")
    proxies = _proxies(entry.get("trusted_proxies", []), where)
    secret = entry.get("proxy_secret")
    digest = None if secret is None else token_digest(secret, "[auth] proxy_secret", where)
    if header and not proxies and digest is None:
        raise ConfigError(
            f"{where}: [auth] proxy_user_header needs trusted_proxies or proxy_secret: "
            "without them anyone could send the header and claim any name"
        )
    if digest is not None and not header:
        raise ConfigError(f"{where}: [auth] proxy_secret is only used with proxy_user_header")
    return AuthConfig(
        proxy_user_header=header,
        trusted_proxies=proxies,
        token_digests=_tokens(entry.get("tokens", {}), where),
        proxy_secret_digest=digest,
    )


def _proxies(values: Any, where: str) -> tuple[IPNetwork, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: [auth] trusted_proxies must be a list of addresses")
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=True))
        except ValueError as exc:
            raise ConfigError(f"{where}: [auth] trusted_proxies: {exc}") from None
    return tuple(out)


def _tokens(table: Any, where: str) -> dict[str, bytes]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [auth.tokens] must be a table of user = token digest")
    out: dict[str, bytes] = {}
    for user, value in table.items():
        if not USER_NAME.match(user):
            raise ConfigError(f"{where}: [auth.tokens] {user!r} is not a valid user name")
        out[user] = token_digest(value, f"[auth.tokens] {user}", where)
    return out
