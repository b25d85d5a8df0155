"""A user of tenant A gets 404 for every object of tenant B, through every API route there is.

The routes come from the application's route table, so a new route is covered (or fails this test
until its path parameter is known here) without anyone remembering to add it.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.support.factories import OBJECTS, World, token_for

from recoup.auth.roles import Role
from recoup.config import Settings
from recoup.web.app import create_app

# How to name tenant B's object for each path parameter any route uses.
B_OBJECTS = {"merchant_id": OBJECTS["B"][0], "terminal_id": OBJECTS["B"][1]}
OPEN_ROUTES = {("POST", "/api/v1/auth/login")}


def _api_routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1"):
            found.extend((method, route.path) for method in sorted(route.methods - {"HEAD", "OPTIONS"}))
    return found


ROUTES = _api_routes()


def test_every_path_parameter_is_known() -> None:
    for _, path in ROUTES:
        for name in re.findall(r"{(\w+)}", path):
            assert name in B_OBJECTS, f"add tenant B's object for {{{name}}} (route {path}) to this test"


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{" in r[1]])
def test_tenant_a_cannot_reach_tenant_b(client: TestClient, world: World, method: str, path: str) -> None:
    token = token_for(world.database, World.username("A", Role.ADMIN))
    url = re.sub(r"{(\w+)}", lambda m: B_OBJECTS[m.group(1)], path)
    answer = client.request(method, url, headers={"Authorization": f"Bearer {token}"}, json={"reason": "x"})
    assert answer.status_code == 404, (method, url, answer.text)
    a_objects = {"merchant_id": OBJECTS["A"][0], "terminal_id": OBJECTS["A"][1]}
    own = re.sub(r"{(\w+)}", lambda m: a_objects[m.group(1)], path)
    if method == "GET":
        assert client.get(own, headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in OPEN_ROUTES])
def test_every_route_needs_a_token(client: TestClient, world: World, method: str, path: str) -> None:
    url = re.sub(r"{(\w+)}", lambda m: B_OBJECTS[m.group(1)], path)
    assert client.request(method, url).status_code == 401


def test_lists_hold_only_the_callers_tenant(client: TestClient, world: World) -> None:
    token = token_for(world.database, World.username("A", Role.ADMIN))
    headers = {"Authorization": f"Bearer {token}"}
    for path, key in (("/api/v1/merchants", "merchant_id"), ("/api/v1/terminals", "terminal_id")):
        ids = {item[key] for item in client.get(path, headers=headers).json()}
        assert ids == {OBJECTS["A"][0] if key == "merchant_id" else OBJECTS["A"][1]}
