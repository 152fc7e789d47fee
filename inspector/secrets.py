"""Secrets (passwords) read from an environment variable or a file, never from a URL.

Databases (``[databases.ALIAS]``) and the shared cache (``[cache]``) name
where their password is, not the password itself, so configuration files,
URLs, logs and error messages never hold one.  The secret is read each time
a connection is opened: a rotated secret is used as soon as old connections
are recycled, with no restart.
"""

from __future__ import annotations

import os
from pathlib import Path

from inspector.errors import ConfigError

__all__ = ["read_secret"]


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
