"""The ``[ops]`` table: who may read the operators' routes ``/metrics`` and ``/_stats``.

::

    [ops]                              # optional
    access = "loopback"                # "open" (the default), "loopback" or "token"
    token = "env:INSPECTOR_OPS_TOKEN"  # with access = "token": sha256:<hex> or env:<VARIABLE>

Why: those routes tell whoever reads them the server's cache names, hit
rates, budgets, memory, routes and request rates (docs/deploy.md lists it
all).  ``open`` keeps them public, as before; ``loopback`` answers only
requests whose peer address is 127.0.0.0/8 or ::1 (a scraper on the same
machine; behind a reverse proxy on the same machine every request is
loopback, so block the paths in the proxy or use a token);
``token`` asks for ``Authorization: Bearer <token>`` from anywhere.
Others get a 403 with a JSON:API error body (:mod:`inspector.web.ops.access`).

The probes ``/healthz`` and ``/readyz`` stay open: load balancers call them
without credentials, and they reveal no more than up or down.

Apart from :mod:`inspector.web` so that the configuration can check the
table when the file loads without importing Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from inspector.config_tables import check_table
from inspector.errors import ConfigError
from inspector.secrets import token_digest

__all__ = ["OPS_ACCESS", "OpsSettings"]

#: The values of ``[ops] access``.
OPS_ACCESS: Final = ("open", "loopback", "token")


@dataclass(frozen=True)
class OpsSettings:
    """The ``[ops]`` table (see the module docstring); the ``repr`` never shows the digest."""

    access: str = "open"
    token_digest: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_table(cls, table: Any, where: str = "configuration") -> OpsSettings:
        """Validate an ``[ops]`` table; every wrong key or value is named."""
        table = check_table(table, "ops", ("access", "token"), where)
        access = table.get("access", cls.access)
        if access not in OPS_ACCESS:
            raise ConfigError(
                f"{where}: [ops] access must be one of {', '.join(OPS_ACCESS)}, not {access!r}"
            )
        token = table.get("token")
        if (access == "token") != (token is not None):
            raise ConfigError(f'{where}: [ops] token is needed with access = "token" only')
        digest = None if token is None else token_digest(token, "[ops] token", where)
        return cls(access, digest)
