"""A web process warms up before it listens (recoup.web.warm_up): its first case page loads no template,
compiles no message pattern or read statement and builds no route state; `recoup serve --workers` warms each
process (its log says so: tests/web/test_serve_workers.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.auth.logins import web_login
from tests.disputes.dispute_world import sale_case
from tests.support.factories import World

from recoup import db
from recoup.web import i18n, route_gates, templating
from recoup.web.route_gates import GatedRouter
from recoup.web.warm_up import warm_up


def _refuse(*_: object) -> None:
    raise AssertionError("built on a request of a warmed process")


def test_the_first_case_page_of_a_warmed_process_builds_nothing(world: World, client: TestClient,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    number = sale_case(world)
    assert web_login(client) == 303
    environments = [chosen.env for chosen in templating._BY_LOCALE.values()]
    for environment in environments:  # as in a new process
        environment.cache.clear()  # type: ignore[union-attr]
    i18n.message_patterns.cache_clear()
    for route in client.app.router.routes:  # type: ignore[attr-defined]
        if isinstance(route, GatedRouter):
            route.gate_version = -1

    reads = list(db._FIXED_READS)
    for read in reads:  # as in a new process: none compiled
        read._compiled = None

    warmed = warm_up(client.app)  # type: ignore[arg-type]

    pages = len(environments[0].list_templates(extensions=["html"]))
    assert (warmed.templates, warmed.message_patterns > 0) == (len(environments) * pages, True)
    assert warmed.routers == sum(isinstance(route, GatedRouter) for route in client.app.router.routes)  # type: ignore[attr-defined]
    for environment in environments:
        monkeypatch.setattr(environment.loader, "get_source", _refuse)
    monkeypatch.setattr(i18n, "_compile", _refuse)
    monkeypatch.setattr(route_gates, "gate_of", _refuse)
    monkeypatch.setattr(db.FixedRead, "_compile", _refuse)  # on PostgreSQL: the reads are compiled already
    postgres = client.app.state.database.engine.dialect.name == "postgresql"  # type: ignore[attr-defined]
    if postgres:
        assert warmed.statements >= len(reads)
    else:
        assert warmed.statements == 0  # FixedRead goes through the session there: nothing to compile
    for locale, words in (("en", "Timeline"), ("zh_CN", "时间线")):
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/cases").text)
        assert token is not None
        client.post("/lang", data={"locale": locale, "next": "/cases", "csrf_token": token.group(1)})
        answer = client.get(f"/cases/{number}")
        assert answer.status_code == 200
        assert number in answer.text
        assert words in answer.text
