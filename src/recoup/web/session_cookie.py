"""The browser's signed cookie: anonymous state (CSRF token, language) and the id of a server-side session.

Like starlette's SessionMiddleware (whose `Session` dict it hands to `request.session`), with three
differences: the signature is checked against every "session" key of the key ring, so a rotation
(`recoup keys rotate`) does not throw users out; the Secure flag is set per request, when it came over
TLS (or a trusted proxy says so) or `settings.secure_cookies` is on; HttpOnly and SameSite=Lax always.
Who is logged in is not in the cookie: `recoup.auth.sessions` holds it, behind the random id.
"""

from __future__ import annotations

import json
import time
from base64 import b64decode, b64encode
from collections.abc import Sequence

import itsdangerous
from itsdangerous.exc import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recoup.config import Settings
from recoup.web.forwarded import secure_cookies

COOKIE = "recoup_session"
MAX_COOKIE_CHARS = 4096
CHECKED_COOKIES = 1024  # the cookies whose signature this process has checked, kept (oldest dropped first)


class SessionCookie:
    def __init__(self, app: ASGIApp, *, keys: Sequence[bytes], settings: Settings, cookie: str = COOKIE) -> None:
        self.app = app
        # itsdangerous signs with the last key and accepts any: the key ring lists the current one first.
        self.signer = itsdangerous.TimestampSigner(list(reversed(keys)))
        self.settings = settings
        self.cookie = cookie
        self.max_age = settings.session_max_age_seconds
        self._checked: dict[str, tuple[bytes, float]] = {}  # signed cookie -> its JSON and signing time

    def _load(self, connection: HTTPConnection) -> Session | None:
        raw = connection.cookies.get(self.cookie)
        if raw is None or len(raw) > MAX_COOKIE_CHARS:
            return None
        known = self._checked.get(raw)
        if known is not None and time.time() - known[1] <= self.max_age:  # as unsign(max_age) would
            return Session(json.loads(known[0]))  # a dict of its own: the request may change it
        try:
            payload, signed_at = self.signer.unsign(raw.encode(), max_age=self.max_age, return_timestamp=True)
            text = b64decode(payload)
            loaded = json.loads(text)
        except (BadSignature, ValueError):
            return None
        if not isinstance(loaded, dict):
            return None
        self._remember(raw, text, signed_at.timestamp())
        return Session(loaded)

    def _remember(self, raw: str, text: bytes, signed_at: float) -> None:
        """A cookie whose signature was checked: the same browser sends it on every request until it changes,
        so the HMAC is checked once (its age is still checked every time)."""
        if len(self._checked) >= CHECKED_COOKIES:
            self._checked.pop(next(iter(self._checked)))
        self._checked[raw] = (text, signed_at)

    def _flags(self, scope: Scope) -> str:
        return "httponly; samesite=lax" + ("; secure" if secure_cookies(scope, self.settings) else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        loaded = self._load(HTTPConnection(scope))
        had_cookie = loaded is not None
        scope["session"] = loaded if loaded is not None else Session()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._write(scope, message, had_cookie)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _write(self, scope: Scope, message: Message, had_cookie: bool) -> None:
        session: Session = scope["session"]
        message.setdefault("headers", [])
        headers = MutableHeaders(scope=message)
        if session.accessed:
            headers.add_vary_header("Cookie")
        if not session.modified:
            return
        if session:
            value = self.signer.sign(b64encode(json.dumps(session).encode())).decode()
            headers.append("Set-Cookie", f"{self.cookie}={value}; path=/; Max-Age={self.max_age}; {self._flags(scope)}")
        elif had_cookie:
            headers.append("Set-Cookie", f"{self.cookie}=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                                         f"{self._flags(scope)}")
