"""The ``[web]`` table: what the web server needs to know about how it is reached.

Apart from :mod:`inspector.web` so that the configuration can check the
table when the file loads without importing Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from inspector.config_tables import check_table
from inspector.errors import ConfigError

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """The ``[web]`` table.

    ``public_url`` is the origin users reach the server at
    (``https://inspector.example.org``), the only source of the absolute links
    the server writes (the plot page's permalink).  The request's ``Host``
    header is never used for them: any client sets it to what it likes, and
    a link built from it would send whoever follows it elsewhere.  Without a
    ``public_url`` links and redirects are relative (the page's script turns
    the permalink into an absolute one from the address the browser shows).
    """

    public_url: str | None = None

    @classmethod
    def from_table(cls, table: Any, where: str = "configuration") -> WebSettings:
        """Validate a ``[web]`` table; a wrong key or value is named."""
        table = check_table(table, "web", ("public_url",), where)
        raw = table.get("public_url")
        if raw is None:
            return cls()
        return cls(public_url=_origin(raw, where))

    def absolute(self, path: str) -> str:
        """``path`` (from ``url_for``) on the public URL, or as it is when none is configured."""
        return self.public_url + path if self.public_url else path


def _origin(raw: Any, where: str) -> str:
    """``scheme://host[:port]`` of http(s), nothing after it (paths come from the app)."""
    wrong = f"{where}: [web] public_url must be an http(s) origin such as "
    example = "'https://inspector.example.org'"
    if not isinstance(raw, str):
        raise ConfigError(f"{wrong}{example}, not {raw!r}")
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ConfigError(f"{wrong}{example}, not {raw!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{wrong}{example}, not {raw!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(f"{wrong}{example} (no path, query or user), not {raw!r}")
    return f"{parts.scheme}://{parts.netloc}"
