"""RECOUP_WEB_REQUESTS_PER_CONNECTION: a keep-alive connection is closed after a set number of answers, so that its
client opens it again where a web process has time (recoup.web.keep_alive)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from tests.support.live_server import served

from recoup.config import Settings
from recoup.web.app import create_app
from recoup.web.keep_alive import RequestsPerConnection


def _counted_app(requests: int) -> RequestsPerConnection:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return RequestsPerConnection(Starlette(routes=[Route("/", hello)]), requests)


def _ask(connection: socket.socket) -> bytes:
    """One GET on an open connection; the whole answer (head and the 5-byte body)."""
    connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    answer = b""
    while not answer.endswith(b"hello"):
        chunk = connection.recv(4096)
        assert chunk, f"the connection closed before the answer was complete: {answer!r}"
        answer += chunk
    return answer


def _closed_by_server(connection: socket.socket) -> bool:
    connection.settimeout(5)
    return connection.recv(1) == b""


def test_the_nth_answer_on_a_connection_closes_it_and_the_client_is_answered_on_a_new_one() -> None:
    with served(_counted_app(3)) as url:  # type: ignore[arg-type]
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as first:
            answers = [_ask(first) for _ in range(3)]
            assert [b"connection: close" in answer.lower() for answer in answers] == [False, False, True]
            assert _closed_by_server(first)
        with socket.create_connection(("127.0.0.1", port)) as second:  # the client comes back: counted anew
            assert b"connection: close" not in _ask(second).lower()
            assert b"connection: close" not in _ask(second).lower()
            assert b"connection: close" in _ask(second).lower()


def test_zero_keeps_a_connection_open_however_many_requests_it_carries() -> None:
    with served(_counted_app(0)) as url, socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as kept:  # type: ignore[arg-type]
        for _ in range(60):
            assert b"connection: close" not in _ask(kept).lower()


def test_each_connection_is_counted_on_its_own() -> None:
    with served(_counted_app(2)) as url:  # type: ignore[arg-type]
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as one, socket.create_connection(("127.0.0.1", port)) as two:
            assert b"connection: close" not in _ask(one).lower()
            assert b"connection: close" not in _ask(two).lower()
            assert b"connection: close" in _ask(one).lower()
            assert b"connection: close" in _ask(two).lower()


def test_recoup_closes_a_connection_after_the_settings_number_of_answers(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", var_dir=tmp_path / "var",
                        web_requests_per_connection=4)
    with TestClient(create_app(settings)) as client:  # one client address: one connection to the middleware
        closing = [client.get("/healthz").headers.get("connection") for _ in range(8)]
    assert closing == [None, None, None, "close"] * 2


def test_unset_it_is_one_answer_a_connection_for_one_request_at_a_time_processes_and_25_with_threads() -> None:
    assert Settings(web_request_threads=0).answers_per_connection == 1
    assert Settings(web_request_threads=4).answers_per_connection == 25
    assert Settings(web_request_threads=0, web_requests_per_connection=7).answers_per_connection == 7
    assert Settings(web_request_threads=4, web_requests_per_connection=0).answers_per_connection == 0


def test_a_one_request_at_a_time_process_closes_every_connection_after_its_answer(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", var_dir=tmp_path / "var",
                        web_request_threads=0)
    with TestClient(create_app(settings)) as client:
        closing = [client.get("/healthz").headers.get("connection") for _ in range(3)]
    assert closing == ["close"] * 3


def test_the_setting_refuses_a_negative_number() -> None:
    with pytest.raises(ValidationError, match="web_requests_per_connection"):
        Settings(web_requests_per_connection=-1)
