"""Secrets (passwords, tokens) read from an environment variable or a file, never from a URL.

Databases (``[databases.ALIAS]``) and the shared cache (``[cache]``) name
where their password is, not the password itself, so configuration files,
URLs, logs and error messages never hold one.  Tokens that clients send
(``[auth.tokens]``, ``[auth] proxy_secret``, ``[ops] token``) are written as
``sha256:<hex digest>`` or ``env:<VARIABLE>`` (:func:`token_digest`); only
their digest is kept, and a request's token is compared with it in constant
time (:func:`token_matches`).  The secret is read each time
a connection is opened: a rotated secret is used as soon as old connections
are recycled, with no restart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any, Final

from inspector.errors import ConfigError

__all__ = ["read_secret", "token_digest", "token_matches"]

_DIGEST: Final = re.compile(r"^[0-9a-f]{64}$")
#: Shortest token accepted from the environment.
MIN_TOKEN_LENGTH: Final = 16


def read_secret(env: str | None, file: Path | None, owner: str) -> str | None:
    """The secret in variable ``env`` or in ``file`` (``None``: neither is configured).

    A missing variable or an unreadable file is a :class:`ConfigError` naming
    ``owner`` (e.g. ``database 'online'``) and where it looked, never the
    secret.  One trailing newline (what editors and ``echo`` add) is not part
    of a secret read from a file.
    """
    if env is not None:
        value = os.environ.get(env)
        if value is None:
            raise ConfigError(f"{owner}: environment variable {env} (password_env) is not set")
        return value
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"{owner}: cannot read password_file {file}: {exc.strerror}"
            ) from None
        return text.removesuffix("\n").removesuffix("\r")
    return None


def token_digest(value: Any, label: str, where: str) -> bytes:
    """The sha256 digest of a configured token (``label``, e.g. ``[ops] token``).

    ``sha256:<64 hex digits>`` is the digest itself; ``env:<VARIABLE>`` names
    the variable holding the token (at least :data:`MIN_TOKEN_LENGTH`
    characters).  Messages never repeat a token or a digest.
    """
    text = value.strip() if isinstance(value, str) else ""
    if text.startswith("sha256:") and _DIGEST.match(text[7:].lower()):
        return bytes.fromhex(text[7:])
    if text.startswith("env:") and text[4:]:
        token = os.environ.get(text[4:], "")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                f"{where}: {label}: environment variable {text[4:]} is unset "
                f"or shorter than {MIN_TOKEN_LENGTH} characters"
            )
        return hashlib.sha256(token.encode("utf-8")).digest()
    raise ConfigError(
        f"{where}: {label} must be 'sha256:<64 hex digits>' or "
        "'env:<VARIABLE>' (plain tokens are not accepted in the configuration)"
    )


def token_matches(token: str, digest: bytes) -> bool:
    """Whether ``token`` (as a client sent it) has ``digest``, compared in constant time."""
    candidate = hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(candidate, digest)
