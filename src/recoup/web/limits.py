"""Request bodies limited by route, counted as they stream, before any other work (SPEC section 9).

The limit is the route's, never the client's to choose: the routes that take a file (found in the route table:
a body parameter declared with `File`/`UploadFile`) get the upload limit, every other request the small one,
whatever its Content-Type says. A declared Content-Length over the limit is refused without reading a byte;
a body without one (chunked) is counted chunk by chunk and refused as soon as it passes the limit. This
middleware is the outermost of the app's own, so a refused body costs no session, login or form parsing.
The refusal is a 413: JSON under /api/, the translated error page elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recoup.web.errors import error_response
from recoup.web.i18n import translate
from recoup.web.templating import request_locale

BODY_LIMIT = "x-recoup-max-body-bytes"
_PARAMETER = re.compile(r"{[^}/]+}")
TOO_LARGE = "The request is too large: at most {limit} may be sent to this address."


def upload_routes(routes: Sequence[BaseRoute]) -> frozenset[tuple[str, str]]:
    """(method, full path) of every route that takes a file in its body (routers included, prefixes and all)."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute) and _takes_a_file(route) and context.path:
            found.update((method, context.path) for method in context.methods or ())
    return frozenset(found)


def route_body_limits(routes: Sequence[BaseRoute]) -> dict[tuple[str, str], int]:
    """Routes that read a multipart form themselves and name their own cap:
    `openapi_extra={BODY_LIMIT: bytes}` (a public form with photos: more than JSON, far less than imports)."""
    found: dict[tuple[str, str], int] = {}
    for context in iter_route_contexts(routes):
        route = context.original_route
        limit = (route.openapi_extra or {}).get(BODY_LIMIT) if isinstance(route, APIRoute) else None
        if isinstance(limit, int) and context.path:
            found.update({(method, context.path): limit for method in context.methods or ()})
    return found


def _takes_a_file(route: APIRoute) -> bool:
    return any(isinstance(field.field_info, params.File) for field in route.dependant.body_params)


def readable_size(size: int) -> str:
    """1048576 -> "1 MiB", 1536 -> "1.5 KiB": the limit as a person reads it."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_json_bytes: int, max_upload_bytes: int,
                 upload_routes: frozenset[tuple[str, str]],
                 route_limits: Mapping[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_routes = upload_routes
        limits = dict.fromkeys(upload_routes, max_upload_bytes) | dict(route_limits or {})
        self._exact = {route: limit for route, limit in limits.items() if "{" not in route[1]}
        # Paths with parameters (/api/v1/cases/{case_id}/evidence) match any one segment in their place.
        self._patterns = [(method, re.compile("[^/]+".join(map(re.escape, _PARAMETER.split(path))) + "$"), limit)
                          for (method, path), limit in limits.items() if "{" in path]

    def limit_for(self, scope: Scope) -> int:
        method, path = str(scope.get("method", "")), str(scope.get("path", ""))
        exact = self._exact.get((method, path))
        if exact is not None:
            return exact
        for wanted, pattern, limit in self._patterns:
            if method == wanted and pattern.match(path):
                return limit
        return self.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, limit)
            return
        await _Guard(self.app, limit)(scope, receive, send)


class _Guard:
    """One request: counts its body as it arrives; past the limit, answers 413 and cuts the app off."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit
        self.received = 0
        self.refused = self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting_receive() -> Message:
            if self.refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.refused = True
                    if not self.started:
                        await _refuse(scope, send, self.limit)
                    return {"type": "http.disconnect"}  # the app stops reading, whatever it was doing
            return message

        async def guarded_send(message: Message) -> None:
            if self.refused:
                return  # the app's own answer to a body cut off (a 400, a disconnect) is not sent
            self.started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not self.refused:
                raise


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    request = Request(scope)
    page = not request.url.path.startswith("/api/")  # a page speaks the user's language; the API English
    message = translate(request_locale(request) if page else "en", TOO_LARGE).format(limit=readable_size(limit))
    response = error_response(request, 413, message, {"limit_bytes": limit})
    response.headers["connection"] = "close"  # the rest of the body is not read
    await response(scope, _nothing_to_receive, send)


async def _nothing_to_receive() -> Message:
    return {"type": "http.disconnect"}
