"""Request bodies are limited by route, whatever their Content-Type says, counted as they stream, before any
login or form work (issue 10, defect 4): a JSON route takes 1 MiB, only the upload routes take files."""

from __future__ import annotations

import gc
import socket
import tracemalloc
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.support.factories import World, token_for
from tests.support.journals import journal_bytes

from recoup.auth.roles import Role
from recoup.config import Settings
from recoup.db import Database
from recoup.web.app import create_app
from recoup.web.limits import readable_size, upload_routes

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MiB = 1 << 20
CHUNK = b"6228480012345678," * 3855  # ~64 KiB of card-number-like text, the same bytes object every time
BOUNDARY = "recoupboundary"


def multipart_header(name: str = "file", filename: str = "journal.csv") -> bytes:
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode()


class Body:
    """A request body of `size` bytes made as it is read, remembering how much was read."""

    def __init__(self, size: int, head: bytes = b"") -> None:
        self.size, self.head, self.read = size, head, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.head:
            self.read += len(self.head)
            yield self.head
        while self.read < self.size:
            self.read += len(CHUNK)
            yield CHUNK


def send(app: FastAPI, path: str, body: Body, headers: dict[str, str]) -> httpx.Response:
    """One request through the whole app, its body streamed chunk by chunk without a Content-Length."""
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(path, content=body, headers=headers)

    return anyio.run(go)


def test_the_upload_routes_are_found_in_the_route_table(settings: Settings, database: Database) -> None:
    found = upload_routes(create_app(settings, database).routes)
    assert {("POST", "/api/v1/imports"), ("POST", "/imports"), ("POST", "/imports/jobs"),
            ("POST", "/api/v1/cases/{case_id}/evidence"), ("POST", "/cases/{case_id}/evidence")} <= found
    assert all(method == "POST" for method, _ in found)
    assert readable_size(MiB) == "1 MiB"
    assert readable_size(200 * MiB) == "200 MiB"
    assert readable_size(1536) == "1.5 KiB"


def test_multipart_on_a_json_route_is_refused_at_1_mib_before_any_login(client: TestClient) -> None:
    body = b"x" * (2 * MiB)
    for path in ("/api/v1/auth/login", "/api/v1/cases"):  # no token: the body is refused before that matters
        answer = client.post(path, content=body, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"})
        assert answer.status_code == 413, (path, answer.text)
        assert answer.json() == {"error": "The request is too large: at most 1 MiB may be sent to this address.",
                                 "detail": {"limit_bytes": MiB}}
    page = client.post("/cases", content=body, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
                       follow_redirects=False)
    assert page.status_code == 413  # not a redirect to the login page: no session work was done
    assert "请求过大:此地址最多接收 1 MiB。" in page.text  # the error page, in the default language
    assert 'role="alert"' in page.text
    small = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    assert small.status_code != 413


def test_a_chunked_body_is_counted_as_it_streams_and_refused_before_it_is_read_whole(settings: Settings,
                                                                                   database: Database) -> None:
    app = create_app(settings, database)
    body = Body(50 * MiB)
    answer = send(app, "/api/v1/auth/login", body, {"content-type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert answer.status_code == 413
    assert answer.json()["detail"] == {"limit_bytes": MiB}
    assert body.read <= MiB + 2 * len(CHUNK)  # the rest of the 50 MiB was never asked for


def test_a_real_server_answers_413_while_the_chunked_body_is_still_coming(live_url: str) -> None:
    host, port = live_url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           b"Content-Type: application/json\r\n\r\n")
        connection.settimeout(0.05)
        answer = b""
        while sent < 20 * MiB and not answer:
            connection.sendall(f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n")
            sent += len(CHUNK)
            try:
                answer = connection.recv(65536)
            except TimeoutError:
                continue
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 3 * MiB  # answered while the body was still streaming: it never had to end


def test_an_upload_route_takes_a_file_larger_than_the_small_limit(world: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.ADMIN))}"}
    journal = journal_bytes(40_000)
    assert len(journal) > 2 * MiB
    answer = client.post("/api/v1/imports", data={"kind": "journal"}, headers=headers,
                         files={"file": ("journal.csv", journal, "text/csv")})
    assert answer.status_code == 201, answer.text
    assert answer.json()["imported"] == 40_000


def test_an_upload_route_refuses_a_body_over_the_upload_limit(world: World, settings: Settings,
                                                             database: Database) -> None:
    app = create_app(settings.model_copy(update={"max_upload_bytes": 4 * MiB}), database)
    headers = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.ADMIN))}",
               "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    body = Body(50 * MiB, multipart_header())
    answer = send(app, "/api/v1/imports", body, headers)
    assert answer.status_code == 413
    assert answer.json()["detail"] == {"limit_bytes": 4 * MiB}
    assert body.read <= 4 * MiB + 2 * len(CHUNK)
    declared = TestClient(app).post("/api/v1/imports", content=b"x" * (5 * MiB), headers=headers)
    assert declared.status_code == 413


def peak_while(app: FastAPI, path: str, body: Body, headers: dict[str, str]) -> tuple[int, httpx.Response]:
    send(app, path, Body(64 << 10), headers)  # warm up: templates, routes, the first connection
    gc.collect()
    tracemalloc.start()
    try:
        answer = send(app, path, body, headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, answer


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/login", "/api/v1/imports"])
def test_the_server_does_not_grow_with_a_refused_50_mib_body(world: World, settings: Settings, database: Database,
                                                            path: str) -> None:
    app = create_app(settings.model_copy(update={"max_upload_bytes": 8 * MiB}), database)
    headers = {"Authorization": f"Bearer {token_for(world.database, World.username('A', Role.ADMIN))}",
               "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    peak, answer = peak_while(app, path, Body(50 * MiB, multipart_header()), headers)
    assert answer.status_code == 413
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB while refusing a 50 MiB body"

