"""The reports page and its downloads (issue 14), on SQLite and PostgreSQL: the totals against the previous
period, the charts inline as SVG, the tables, the three files; bad input gets a message and no file; in
Chromium the charts show in Chinese and English with no Content-Security-Policy violation."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests.cases.test_case_world import overcharge_case
from tests.support.factories import OBJECTS, World
from tests.support.web_login import log_in
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)
from tests.web.test_csp_pages import Watched

from recoup.auth.roles import Role

PERIOD = "from=2026-10-01&to=2026-10-31"  # the factories' sale is of 2026-10-12


def test_the_page_shows_totals_charts_tables_and_downloads(client: TestClient, world: World) -> None:
    overcharge_case(world)
    log_in(client, "a-admin")
    page = client.get(f"/reports?{PERIOD}")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 7
    assert "<script>" not in html.split("</header>")[1]
    assert 'data-chart="by-kind"' in html
    assert "多收" in html
    assert "¥1,152.00" in html  # the overcharge's amount at stake (1280.00 charged for 128.00)
    assert ('href="/reports/export.xlsx?from=2026-10-01&amp;to=2026-10-31&amp;merchant=&amp;currency=CNY'
            '&amp;lang=zh_CN"') in html
    assert 'href="/reports"' in html  # the nav link


def test_the_downloads_are_the_report(client: TestClient, world: World) -> None:
    overcharge_case(world)
    log_in(client, "a-admin")
    workbook = client.get(f"/reports/export.xlsx?{PERIOD}&lang=en")
    assert workbook.status_code == 200
    assert "attachment" in workbook.headers["content-disposition"]
    book = load_workbook(io.BytesIO(workbook.content))
    assert [cell.value for cell in book["By kind"][2]][:2] == ["Overcharge", 1]
    summary = client.get(f"/reports/export.csv?{PERIOD}")
    assert summary.status_code == 200
    assert "OVERCHARGE" in summary.text
    pdf = client.get(f"/reports/export.pdf?{PERIOD}&lang=zh")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(("query", "status", "message"), [
    ("from=2026-13-01&to=2026-10-31", 422, "from: a date as YYYY-MM-DD"),
    ("from=2026-10-31&to=2026-10-01", 422, ""),
    (f"{PERIOD}&merchant={OBJECTS['B'][0]}", 404, OBJECTS["B"][0]),
])
def test_bad_input_gets_a_message_and_no_report(client: TestClient, world: World, query: str, status: int,
                                                message: str) -> None:
    log_in(client, "a-admin")
    page = client.get(f"/reports?{query}")
    assert page.status_code == status
    assert 'data-testid="report-error"' in page.text
    assert message in page.text
    assert "<svg" not in page.text
    download = client.get(f"/reports/export.xlsx?{query}")
    assert download.status_code == status
    assert "attachment" not in download.headers.get("content-disposition", "")


def test_an_unknown_language_is_refused(client: TestClient, world: World) -> None:
    log_in(client, "a-admin")
    answer = client.get(f"/reports/export.pdf?{PERIOD}&lang=fr")
    assert answer.status_code == 422
    assert "zh 或 en" in answer.text  # the page speaks the user's language (Chinese by default)
    assert not answer.content.startswith(b"%PDF")


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_browser_shows_the_charts_in_both_languages(live_url: str, browser: object, world: World,  # noqa: F811
                                                        tmp_path: Path) -> None:
    overcharge_case(world)
    watched = Watched(browser)
    try:
        watched.log_in(live_url, World.username("A", Role.ADMIN))
        page = watched.page
        for lang, kind in (("zh_CN", "多收"), ("en", "Overcharge")):
            page.goto(f"{live_url}/reports?{PERIOD}")
            page.click(f"[data-testid=lang-{lang}]")
            page.wait_for_url(re.compile(r".*/reports.*"))
            page.goto(f"{live_url}/reports?{PERIOD}")
            charts = page.locator("[data-testid=report-charts] svg")
            assert charts.count() == 7
            box = charts.first.bounding_box()
            assert box is not None
            assert box["width"] > 300
            assert box["height"] > 100
            assert page.locator("svg[data-chart=by-kind] text", has_text=kind).count() == 1
            page.screenshot(path=str(tmp_path / f"reports-{lang}.png"), full_page=True)
        assert watched.violations() == []
    finally:
        watched.page.close()


def test_the_currency_is_a_choice_and_the_form_says_it_is_working(client: TestClient, world: World) -> None:
    overcharge_case(world)  # in CNY
    log_in(client, "a-admin")
    usd = client.get(f"/reports?{PERIOD}&currency=usd")
    assert usd.status_code == 200
    assert '<option value="USD" selected>' in usd.text
    assert "¥1,152.00" not in usd.text  # the CNY case is left out of a USD report
    assert "currency=USD&amp;lang=zh_CN" in usd.text  # the downloads keep the currency
    assert 'data-testid="report-working"' in usd.text
    assert '<script src="/static/reports.js" defer>' in usd.text
    assert "仍未结的案件" in usd.text  # how ageing is judged, said on the page
    wrong = client.get(f"/reports?{PERIOD}&currency=XYZ")
    assert wrong.status_code == 422
    assert "XYZ" in wrong.text
    assert client.get("/static/reports.js").status_code == 200
