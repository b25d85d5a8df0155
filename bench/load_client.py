"""A lean HTTP/1.1 client for bench/load.py's timed loop: one keep-alive connection per simulated client, the
request written as bytes, the answer read by Content-Length or chunks. httpx spent about 2.2 ms of CPU per
request here, as much as the floor's whole web process: on a 2-core machine the driver's CPU is taken from
the server it measures, so the driver must cost as little as possible. Cookies the server sets are kept. A
connection the server closed while it sat idle (uvicorn's keep-alive timeout, 5 s) is opened again before it
is used, as browsers do.
"""

from __future__ import annotations

import asyncio
import json as json_module
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit


class ConnectionLost(Exception):
    """The server closed the connection or answered something that is not HTTP/1.1."""


@dataclass
class Answer:
    status_code: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)  # by lower-case name

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass
class LeanClient:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, params: dict[str, object] | None = None,
                  headers: dict[str, str] | None = None) -> Answer:
        return await self.request("GET", path, params=params, headers=headers)

    async def post(self, path: str, json: object = None, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("POST", path, json=json, headers=headers)

    async def request(self, method: str, path: str, *, params: dict[str, object] | None = None,
                      json: object = None, headers: dict[str, str] | None = None) -> Answer:
        target = f"{path}?{urlencode(params)}" if params else path
        body = b"" if json is None else json_module.dumps(json).encode()
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if json is not None:
            sent["Content-Type"] = "application/json"
        if method != "GET":
            sent["Content-Length"] = str(len(body))
        head = f"{method} {target} HTTP/1.1\r\nHost: {urlsplit(self.base_url).netloc}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in sent.items()) + "\r\n"
        async with asyncio.timeout(self.timeout):  # no task of its own per request, as wait_for makes
            return await self._exchange(head.encode() + body)

    async def _exchange(self, request: bytes) -> Answer:
        stale = self._reader is not None and self._reader.at_eof()  # the server closed it while it was idle
        if self._writer is None or self._writer.is_closing() or stale:
            address = urlsplit(self.base_url)
            self._reader, self._writer = await asyncio.open_connection(address.hostname, address.port)
        assert self._reader is not None
        assert self._writer is not None
        try:
            self._writer.write(request)
            return await self._read(self._reader)
        except (ConnectionError, asyncio.IncompleteReadError, ConnectionLost, asyncio.CancelledError):
            # A request cut short (its timeout cancels it) leaves its answer on the way: the next request on
            # this connection would read that answer as its own, so the connection goes.
            self._writer.close()
            self._writer = None
            raise

    async def _read(self, reader: asyncio.StreamReader) -> Answer:
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ConnectionLost(lines[0])
        headers: dict[str, str] = {}  # by lower-case name; Set-Cookie, which may come more than once, kept apart
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, kept = value.split(";", 1)[0].partition("=")
                self.cookies[key.strip()] = kept.strip()
            else:
                headers[name] = value
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = int(headers.get("content-length", 0))
        body = await self._chunks(reader) if chunked else await reader.readexactly(length)
        if headers.get("connection", "").lower() == "close" and self._writer is not None:
            self._writer.close()
            self._writer = None
        return Answer(int(parts[1]), body, headers)

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> bytes:
        pieces: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent
                return b"".join(pieces)
            pieces.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
