"""Each role's dashboard shows its charts (issue 14): inline SVG, no script; the finance dashboard's charts
in Chromium, in Chinese, with the week's amounts drawn."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.cases.test_case_world import overcharge_case
from tests.support.factories import PASSWORD, World
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)
from tests.web.test_csp_pages import Watched

from recoup.auth.roles import Role
from recoup.web.deps import current_time

NOW = datetime(2026, 10, 20, 4, 0, tzinfo=UTC)

EXPECTED = {Role.MERCHANT_FINANCE: ["amounts-by-week", "ageing"], Role.CASHIER: ["findings-by-week", "by-kind"],
            Role.ACQUIRER_OPS: ["worst-merchants", "worst-terminals", "funnel"],
            Role.AUDITOR: ["recovery-rate-by-week", "funnel"]}


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
                follow_redirects=False)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_its_charts(client: TestClient, world: World, role: Role) -> None:
    overcharge_case(world)  # a sale of 2026-10-12 overcharged by ¥1,152.00
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    _login(client, World.username("A", role))
    html = client.get("/").text
    assert re.findall(r'data-chart="([a-z-]+)"', html) == EXPECTED[role]
    assert "近期趋势" in html
    assert "<script>" not in html.split("</header>")[1]
    if role == Role.MERCHANT_FINANCE:
        assert "每周涉及金额与已追回金额" in html
        assert "¥1,152.00" in html  # the largest week's amount at stake, on the axis
        assert ">10-12<" in html  # the week of the sale (Monday 2026-10-12) under the axis
    if role == Role.AUDITOR:
        assert ">0%<" in html  # nothing recovered yet in that week


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_finance_dashboard_draws_its_charts(live_url: str, browser: object, world: World,  # noqa: F811
                                                tmp_path: Path) -> None:
    watched = Watched(browser)
    try:
        watched.log_in(live_url, World.username("A", Role.MERCHANT_FINANCE))
        page = watched.page
        page.goto(f"{live_url}/")
        charts = page.locator("[data-testid=dashboard-charts] svg")
        assert charts.count() == 2
        for index in range(2):
            box = charts.nth(index).bounding_box()
            assert box is not None
            assert box["width"] > 300
            assert box["height"] > 100
        assert page.locator("svg[data-chart=amounts-by-week] text", has_text="每周涉及金额与已追回金额").count() == 1
        assert page.locator("svg[data-chart=ageing] text", has_text="未结案件账龄").count() == 1
        page.screenshot(path=str(tmp_path / "dashboard-finance.png"), full_page=True)
        assert watched.violations() == []
    finally:
        watched.page.close()
