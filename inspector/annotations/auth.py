"""Who is writing: a trusted proxy's user header, or a per-user API token.

Reading is open; writing needs an identity, found in this order:

1. ``Authorization: Bearer <token>``: the token's sha256 digest is compared,
   in constant time, with every configured user's digest (all of them, so
   the time taken does not tell which user nearly matched).  A token that
   matches nobody is a 401, even if a proxy header is present too.
2. The proxy user header (e.g. ``X-Remote-User``), honoured **only** when the
   request comes from the proxy: its peer address is one of
   ``trusted_proxies`` (when configured) and it carries
   ``X-Inspector-Proxy-Secret`` with the configured ``proxy_secret`` (when
   configured; compared in constant time).  A single-sign-on proxy in front
   of the server sets both; from anywhere else the header is ignored, so
   nobody can claim a name by sending it themselves.  An address alone does
   not tell the proxy from another process on the proxy's machine: trusting
   loopback without a secret is logged as a warning when the app starts.

Pure: the web layer passes the peer address and headers in.  Tokens are
never logged or echoed; errors say what kind of credential failed, no more.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from inspector.annotations.settings import USER_NAME, AuthConfig
from inspector.errors import Forbidden, Unauthorized
from inspector.secrets import token_matches

__all__ = ["PROXY_SECRET_HEADER", "Authenticator", "Forbidden", "Identity", "Unauthorized"]

#: The header a proxy sends with ``[auth] proxy_secret`` to prove it is the proxy.
PROXY_SECRET_HEADER: Final = "X-Inspector-Proxy-Secret"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """An authenticated user and how they were recognised.

    ``ambient`` identities (the proxy's, carried by the browser's single
    sign-on session) come with every request the browser makes, including
    ones another site triggers, so writes made with them are checked for
    cross-site forgery; a bearer token is never sent by a browser on its own.
    """

    user: str
    method: Literal["proxy", "token"]

    @property
    def ambient(self) -> bool:
        """Whether the browser attaches this credential by itself."""
        return self.method == "proxy"


class Authenticator:
    """Recognises users from the ``[auth]`` configuration (see the module docstring)."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._users = sorted(config.token_digests.items())
        if config.proxy_user_header and config.proxy_secret_digest is None:
            loopback = [str(n) for n in config.trusted_proxies if n.network_address.is_loopback]
            if loopback:
                log.warning(
                    "[auth] trusted_proxies %s without proxy_secret: any local process can "
                    "send %s and claim any user name (docs/annotations.md)",
                    ", ".join(loopback),
                    config.proxy_user_header,
                )

    def identify(self, peer: str | None, headers: Mapping[str, str]) -> Identity | None:
        """The user behind a request, ``None`` if anonymous; a bad token is a 401.

        ``headers`` are keyed by lower-case name (HTTP header names ignore case).
        """
        authorization = headers.get("authorization", "")
        if authorization:
            return Identity(self._token_user(authorization), "token")
        header = self.config.proxy_user_header
        if header and self._from_proxy(peer, headers):
            name = headers.get(header.lower(), "").strip()
            if name:
                if not USER_NAME.match(name):
                    raise Unauthorized("the proxy's user name is not a valid user name")
                return Identity(name, "proxy")
        return None

    def require(self, peer: str | None, headers: Mapping[str, str]) -> Identity:
        """The user behind a request; anonymous requests are a 401."""
        identity = self.identify(peer, headers)
        if identity is None:
            how = []
            if self.config.proxy_user_header:
                how.append("sign in through the site's single sign-on")
            if self.config.token_digests:
                how.append("send 'Authorization: Bearer <your API token>'")
            hint = " or ".join(how) if how else "this server has no writers configured ([auth])"
            raise Unauthorized(f"adding notes needs an identified user: {hint}")
        return identity

    def _token_user(self, authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        digest = hashlib.sha256(token.strip().encode("utf-8")).digest()
        found: str | None = None
        for user, expected in self._users:  # no early exit: same time whoever matches
            if hmac.compare_digest(digest, expected) and found is None:
                found = user
        if found is None:
            raise Unauthorized("the API token is not valid")
        return found

    def _from_proxy(self, peer: str | None, headers: Mapping[str, str]) -> bool:
        """Whether the request passed the configured proxy checks (address and/or secret)."""
        if self.config.trusted_proxies and not self._trusted(peer):
            return False
        digest = self.config.proxy_secret_digest
        if digest is None:
            return True
        return token_matches(headers.get(PROXY_SECRET_HEADER.lower(), ""), digest)

    def _trusted(self, peer: str | None) -> bool:
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.config.trusted_proxies)
