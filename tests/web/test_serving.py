"""RECOUP_WEB_REQUEST_THREADS: a web process runs the blocking part of its requests on its event loop (0) or in up
to N worker threads (recoup.web.serving)."""

from __future__ import annotations

import asyncio
import gc
import threading

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from recoup.config import Settings
from recoup.web.serving import COLLECTOR_THRESHOLDS, serve_blocking_work, settle_collector


def _probe_app() -> FastAPI:
    app = FastAPI()

    @app.get("/where")
    def where() -> dict[str, int]:  # a plain `def`: FastAPI hands it to anyio.to_thread.run_sync
        return {"thread": threading.get_ident()}

    @app.get("/limit")
    async def limit() -> dict[str, int]:
        return {"limit": int(anyio.to_thread.current_default_thread_limiter().total_tokens)}

    return app


@pytest.fixture
def restored_anyio(monkeypatch: pytest.MonkeyPatch) -> None:
    """serve_blocking_work(…, 0) is for the whole process: put anyio back after the test."""
    monkeypatch.setattr(anyio.to_thread, "run_sync", anyio.to_thread.run_sync)


@pytest.mark.usefixtures("restored_anyio")
def test_zero_threads_runs_a_blocking_route_on_the_event_loop_itself() -> None:
    app = _probe_app()
    serve_blocking_work(app, 0)

    async def ask() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get("/where") for _ in range(4)))
        threads = {answer.json()["thread"] for answer in answers}
        assert len(threads) == 1
        return threads.pop(), threading.get_ident()

    route_thread, loop_thread = asyncio.run(ask())
    assert route_thread == loop_thread


@pytest.mark.usefixtures("restored_anyio")
def test_n_threads_runs_a_blocking_route_in_a_worker_thread_with_at_most_n_at_once() -> None:
    app = _probe_app()
    serve_blocking_work(app, 3)
    with TestClient(app) as client:  # runs the lifespan, which sets the loop's thread limit
        assert client.get("/limit").json() == {"limit": 3}
        loop_thread = client.portal.call(threading.get_ident)  # type: ignore[union-attr]
        assert client.get("/where").json()["thread"] != loop_thread


def test_the_setting_refuses_a_negative_number() -> None:
    with pytest.raises(ValidationError, match="web_request_threads"):
        Settings(web_request_threads=-1)
    assert Settings().web_request_threads == 4


def test_a_serving_process_freezes_what_start_up_made_and_collects_young_objects_less_often() -> None:
    thresholds = gc.get_threshold()
    made_at_start_up = _probe_app()
    try:
        settle_collector()
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert not gc.is_tracked(made_at_start_up) or made_at_start_up not in gc.get_objects()  # out of sight
        assert gc.collect() >= 0  # collections still run
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
