"""The caches' settings: the ``[cache]`` table (web cache budgets, a Redis shared by processes).

Owned beside the shared cache (:mod:`inspector.engine.shared_cache`) and
checked when the configuration loads: every wrong key or value is named,
and a password never sits in the URL.  The engine's own caches (decoded
payloads, reductions, IOV lists) are budgeted in ``[engine]``; the web's
(rendered plots, plot objects, API documents) here, in MiB in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from inspector.config_tables import check_table, checked_number
from inspector.errors import ConfigError

__all__ = ["CacheConfig", "parse_cache_table"]

_MiB: Final = 1 << 20


@dataclass(frozen=True)
class CacheConfig:
    """The optional ``[cache]`` table: a Redis cache shared by server processes.

    Without ``redis_url`` each process keeps only its own in-memory caches.
    With it, rendered pinned plots and history reductions are also read from
    and written to Redis, so several workers or machines compute each once.
    Redis is never required: when it cannot be reached within
    ``timeout_seconds`` the server computes locally and stops asking for
    ``retry_after_seconds`` (see docs/deploy.md).
    """

    redis_url: str | None = None
    key_prefix: str = "inspector"
    ttl_seconds: float = 7 * 24 * 3600.0
    timeout_seconds: float = 0.5
    retry_after_seconds: float = 5.0
    max_value_mb: float = 16.0
    #: Cross-process single flight of rendered pinned plots: a process missing a plot
    #: another one is computing waits for it at most this long, then computes it itself.
    lock_seconds: float = 10.0
    #: Redis 6 ACL user; the password comes from ``password_env`` or
    #: ``password_file`` (never from the URL), read at each new connection.
    user: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    #: Rendered pinned plots (bytes and their gzip form); unpinned ones get a quarter more.
    rendered_bytes: int = 256 * _MiB
    #: Plot objects, reused for the few seconds of one page load (several formats).
    plots_bytes: int = 64 * _MiB
    #: JSON:API documents around plot JSON (``/api/v1/plots/...``).
    documents_bytes: int = 64 * _MiB

    @property
    def enabled(self) -> bool:
        """Whether a shared cache is configured at all."""
        return self.redis_url is not None

    @classmethod
    def from_table(cls, table: Any, base_dir: Path, where: str = "configuration") -> CacheConfig:
        """The ``[cache]`` table (``password_file`` relative to ``base_dir``), checked."""
        return parse_cache_table(table, base_dir, where)


#: ``[cache]`` numeric keys as ``checked_number`` takes them (whole?, lowest,
#: exclusive?).  Timeouts of zero would make every Redis call fail, so they must
#: be positive.
_CACHE_NUMBERS: Final[Mapping[str, tuple[bool, float, bool]]] = {
    "ttl_seconds": (False, 0.0, True),
    "timeout_seconds": (False, 0.0, True),
    "retry_after_seconds": (False, 0.0, True),
    "max_value_mb": (False, 0.0, False),
    "lock_seconds": (False, 0.0, True),
    "rendered_mb": (False, 0.0, False),
    "plots_mb": (False, 0.0, False),
    "documents_mb": (False, 0.0, False),
}
#: ``[cache]`` budgets given in MiB in the file, bytes in :class:`CacheConfig`.
_CACHE_BUDGETS: Final = ("rendered_mb", "plots_mb", "documents_mb")
_CACHE_SECRET_KEYS: Final = ("user", "password_env", "password_file")
_CACHE_KEYS: Final = frozenset({"redis_url", "key_prefix", *_CACHE_SECRET_KEYS, *_CACHE_NUMBERS})
_REDIS_SCHEMES: Final = ("redis://", "rediss://", "unix://")
_KEY_PREFIX: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def parse_cache_table(entry: Any, base_dir: Path, where: str) -> CacheConfig:
    """The ``[cache]`` table, every value checked and named when wrong."""
    entry = check_table(entry, "cache", sorted(_CACHE_KEYS), where)
    values: dict[str, Any] = {
        key: checked_number("cache", key, value, _CACHE_NUMBERS[key], where)
        for key, value in entry.items()
        if key in _CACHE_NUMBERS and key not in _CACHE_BUDGETS
    }
    for key in _CACHE_BUDGETS:
        if key in entry:
            mib = checked_number("cache", key, entry[key], _CACHE_NUMBERS[key], where)
            values[key.removesuffix("_mb") + "_bytes"] = int(mib * _MiB)
    url = entry.get("redis_url")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(_REDIS_SCHEMES):
            schemes = ", ".join(_REDIS_SCHEMES)
            raise ConfigError(f"{where}: [cache] redis_url must start with {schemes}, not {url!r}")
        if urlsplit(url).password is not None:
            raise ConfigError(
                f"{where}: [cache] redis_url carries a password: remove it from the URL and set "
                'password_env = "VARIABLE" (or password_file = "/run/secrets/redis") in [cache]'
            )
        values["redis_url"] = url
    for key in _CACHE_SECRET_KEYS:
        if key in entry:
            text = entry[key]
            if not isinstance(text, str) or not text:
                raise ConfigError(f"{where}: [cache] {key} must be a non-empty string")
            values[key] = base_dir / Path(text).expanduser() if key == "password_file" else text
    if "password_env" in values and "password_file" in values:
        raise ConfigError(f"{where}: [cache] give one of password_env or password_file, not both")
    prefix = entry.get("key_prefix")
    if prefix is not None:
        if not isinstance(prefix, str) or not _KEY_PREFIX.fullmatch(prefix):
            raise ConfigError(
                f"{where}: [cache] key_prefix must be 1-64 letters, digits or _.:-, not {prefix!r}"
            )
        values["key_prefix"] = prefix
    return CacheConfig(**values)
