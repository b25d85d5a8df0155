"""Who is calling and whether over TLS: the peer's address and scheme, or what a trusted proxy says.

X-Forwarded-For and X-Forwarded-Proto are believed only when the peer is one of
`settings.trusted_proxies`; anyone else could write them to dodge the login throttle or fake TLS.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Scope

from recoup.config import Settings


def trusted_proxies(settings: Settings) -> frozenset[str]:
    return frozenset(part.strip() for part in settings.trusted_proxies.split(",") if part.strip())


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def client_address(scope: Scope, settings: Settings) -> str:
    """The caller's address: the peer's, or behind trusted proxies the last hop they did not add."""
    peer, proxies = _peer(scope), trusted_proxies(settings)
    if peer not in proxies:
        return peer
    hops = [hop.strip() for hop in Headers(scope=scope).get("x-forwarded-for", "").split(",") if hop.strip()]
    while hops and hops[-1] in proxies:
        hops.pop()
    return hops[-1][:64] if hops else peer


def came_over_tls(scope: Scope, settings: Settings) -> bool:
    if scope.get("scheme") in ("https", "wss"):
        return True
    if _peer(scope) not in trusted_proxies(settings):
        return False
    forwarded = Headers(scope=scope).get("x-forwarded-proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


def secure_cookies(scope: Scope, settings: Settings) -> bool:
    """Cookies get the Secure flag when the request came over TLS or the settings ask for it always."""
    return settings.secure_cookies or came_over_tls(scope, settings)
