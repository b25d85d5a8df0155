"""Route gates (web/route_gates.py) skip routers that cannot match, and change no answer: every route of the app
resolves to the same endpoint with and without them, wrong methods still get 405, unknown paths 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette.routing import Match

from recoup.config import Settings
from recoup.web.app import create_app
from recoup.web.route_gates import GatedRouter, gate_routers, literal_start


@pytest.fixture(scope="module")
def app(unopened_app: FastAPI) -> FastAPI:
    return unopened_app


def _resolve(routes: list[Any], method: str, path: str) -> tuple[str, str]:
    """(FULL / PARTIAL / NONE, the endpoint's qualified name) as FastAPI's router picks it: the first full
    match in order, else the first partial one (a known path with another method)."""
    scope: dict[str, Any] = {"type": "http", "path": path, "root_path": "", "method": method, "headers": [],
                             "query_string": b""}
    partial: tuple[str, str] | None = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        found = ("FULL" if match is Match.FULL else "PARTIAL", _endpoint(route, scope))
        if match is Match.FULL:
            return found
        partial = partial or found
    return partial or ("NONE", "")


def _endpoint(route: Any, scope: dict[str, Any]) -> str:
    while isinstance(route, _IncludedRouter):
        _, _, inner, context = route._match(scope)
        route = context.original_route if context is not None else inner
    endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
    return f"{getattr(endpoint, '__module__', '')}.{getattr(endpoint, '__qualname__', type(endpoint).__name__)}"


def _ungated(routes: list[Any]) -> list[Any]:
    return [_IncludedRouter(original_router=r.original_router, include_context=r.include_context)
            if isinstance(r, GatedRouter) else r for r in routes]


def _every_route(routes: list[Any]) -> Iterator[tuple[str, str]]:
    """(method, a path the route takes) for every route the app reaches."""
    for route in routes:
        candidates = route.effective_candidates() if isinstance(route, _IncludedRouter) else [route]
        for candidate in candidates:
            if isinstance(candidate, _IncludedRouter):
                yield from _every_route([candidate])
                continue
            path_format = getattr(candidate, "path_format", None)
            if not path_format:
                continue
            for method in sorted(getattr(candidate, "methods", None) or {"GET"}):
                yield method, re.sub(r"\{[^}]+\}", "x1", path_format)


def test_every_router_of_the_app_is_gated(app: FastAPI) -> None:
    included = [route for route in app.router.routes if isinstance(route, _IncludedRouter)]
    assert len(included) > 30
    assert all(isinstance(route, GatedRouter) for route in included)


def test_every_route_resolves_as_without_gates(app: FastAPI) -> None:
    gated = app.router.routes
    plain = _ungated(gated)
    checked = 0
    for method, path in _every_route(plain):
        assert _resolve(gated, method, path) == _resolve(plain, method, path), (method, path)
        checked += 1
    assert checked > 150


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/cases/RC-2026-000001"), ("PUT", "/api/v1/findings"), ("GET", "/api/v1/no-such-thing"),
    ("GET", "/no/such/page"), ("GET", "/cases/"), ("GET", "/api/v1/cases/RC-1/"), ("GET", "/"),
    ("GET", "/static/app.css"), ("GET", "/api/v1/openapi.json"),
])
def test_wrong_methods_and_unknown_paths_answer_as_without_gates(app: FastAPI, method: str, path: str) -> None:
    assert _resolve(app.router.routes, method, path) == _resolve(_ungated(app.router.routes), method, path)


def test_the_case_page_no_longer_tries_the_api_routers(app: FastAPI) -> None:
    scope = {"type": "http", "path": "/cases/RC-2026-000001", "root_path": "", "method": "GET"}
    routers = [route for route in app.router.routes if isinstance(route, GatedRouter)]
    passed = [route for route in routers if route.matches(scope)[0] is not Match.NONE]
    assert len(passed) == 1  # the cases' pages alone: no other router's routes are tried one by one
    assert "/cases/" in passed[0].gate.starts
    assert not any(start.startswith("/api/") for start in passed[0].gate.starts)


def test_a_router_without_routes_takes_no_path_and_one_given_routes_later_takes_theirs() -> None:
    from fastapi import APIRouter

    router = APIRouter()
    app = FastAPI()
    app.include_router(router)
    gate_routers(app)
    gated = app.router.routes[-1]
    assert isinstance(gated, GatedRouter)
    scope = {"type": "http", "path": "/late", "root_path": "", "method": "GET"}
    assert gated.matches(scope)[0] is Match.NONE

    @router.get("/late")
    def late() -> dict[str, str]:
        return {}

    assert gated.matches(scope)[0] is Match.FULL


def test_a_literal_start_is_the_format_up_to_its_first_parameter() -> None:
    assert literal_start("/api/v1/cases/{number}/notes") == "/api/v1/cases/"
    assert literal_start("/healthz") == "/healthz"
    assert literal_start("/{path:path}") == "/"


def test_the_app_still_answers_through_its_gates(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", var_dir=tmp_path / "var",
                        secret_key="test-secret", card_token_key="test-card-key")
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/no/such/page").status_code == 404
        assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/findings"]["get"]
