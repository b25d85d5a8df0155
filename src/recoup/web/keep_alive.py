"""Keep-alive connections end after a set number of requests, so that the web processes share them out again.

`recoup serve --workers N` runs N processes that accept from one listening socket. Clients that keep their
connections open (a proxy's upstream pool, an API client, bench/load.py's eight) open them at about the same
moment, and the event loop that wakes first accepts every connection waiting: seen with `ss` during
bench/load.py, all eight landed in one process in two runs of three, which then served 87-160 requests/s while
the other idled (282 when they split four and four). A connection that ends after `requests` answers (the last
one says `Connection: close`, as nginx does after its `keepalive_requests`) is opened again by its client, and
the process that is idle at that moment, waiting on the socket while the busy one serves, accepts it: the
connections drift to where there is time for them, within a few dozen requests of any start. A process that serves
one request at a time (RECOUP_WEB_REQUEST_THREADS=0) closes every connection after its answer
(Settings.answers_per_connection): each request then goes to whichever process is free, as with gunicorn's
synchronous workers, where 25 answers still queued a client behind its process's other clients.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLOSE = (b"connection", b"close")
# A process forgets the counts of connections that ended before their last request once it holds this many
# (a client that comes back with the same address and port then starts counting again: harmless).
FORGET_AFTER = 4096


class RequestsPerConnection:
    """A pure ASGI middleware: the `requests`-th answer on a connection closes it (0: never)."""

    def __init__(self, app: ASGIApp, requests: int) -> None:
        self.app = app
        self.requests = requests
        self._served: dict[object, int] = {}  # the client's (address, port): answers so far on its connection

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or not self.requests or client is None:
            await self.app(scope, receive, send)
            return
        key = tuple(client)
        served = self._served.get(key, 0) + 1
        if served < self.requests:
            if len(self._served) >= FORGET_AFTER:
                self._served.clear()
            self._served[key] = served
            await self.app(scope, receive, send)
            return
        self._served.pop(key, None)

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), CLOSE]
            await send(message)

        await self.app(scope, receive, closing)
