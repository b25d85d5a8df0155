"""Security headers on every response (SPEC section 9): a pure ASGI middleware, outside every other of the app's
own but the connection recycling (recoup.web.keep_alive), which only ends a connection after its answer.

The Content-Security-Policy allows scripts and styles from Recoup's own /static only: no inline script, no
inline style, no eval (htmx is configured without it, see base.html), no framing, forms posting only to
Recoup. Strict-Transport-Security is sent only when the request came over TLS (the scheme is https, or a
trusted proxy says so in X-Forwarded-Proto: `recoup.web.forwarded`). The API's own documentation page (FastAPI's
Swagger UI: a fixed page loading its script from a CDN) runs one inline script, allowed by its hash only.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recoup.config import Settings
from recoup.web.forwarded import came_over_tls

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
HSTS = "max-age=31536000; includeSubDomains"
ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
DOCS_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(page: bytes) -> str:
    """The policy of the API documentation page: its CDN, and its inline scripts by their SHA-256 only."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
                      for script in _INLINE_SCRIPT.findall(page))
    return (f"default-src 'self'; script-src 'self' {DOCS_CDN} {hashes}; style-src 'self' {DOCS_CDN}; "
            "img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings, docs_path: str | None = None) -> None:
        self.app = app
        self.settings = settings
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_tls = came_over_tls(scope, self.settings)
        if self.docs_path is not None and scope.get("path") == self.docs_path:
            await self.app(scope, receive, _DocsPage(send, over_tls))
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_headers(message, CONTENT_SECURITY_POLICY, over_tls)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_headers(message: Message, policy: str, over_tls: bool) -> None:
    headers = MutableHeaders(scope=message)
    headers.setdefault("content-security-policy", policy)
    for name, value in ALWAYS.items():
        headers.setdefault(name, value)
    if over_tls:
        headers.setdefault("strict-transport-security", HSTS)


class _DocsPage:
    """Holds the documentation page's start until its body is known (a small fixed page), to hash its scripts."""

    def __init__(self, send: Send, over_tls: bool) -> None:
        self.send, self.over_tls = send, over_tls
        self.start: Message | None = None
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if message.get("more_body", False):
            return
        add_headers(self.start, docs_policy(self.body), self.over_tls)
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": self.body})
