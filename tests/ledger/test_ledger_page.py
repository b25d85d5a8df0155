"""The ledger page of a merchant (issue 12), on SQLite and PostgreSQL: balances by account in words, the
postings newest first with their actions and case links, paged; the hold of a refund and what released it;
another merchant's ledger is not found."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.cases.test_case_world import MERCHANT_A, admin, overcharge_case
from tests.support.factories import OBJECTS, PASSWORD, World

from recoup.ledger import rules
from recoup.ledger.models import LedgerPosting
from recoup.ledger.service import post
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform


def _login(client: TestClient, username: str = "a-admin", locale: str = "zh_CN") -> None:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)})
    if locale != "zh_CN":
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/cases").text)
        assert token is not None
        client.post("/lang", data={"locale": locale, "next": "/", "csrf_token": token.group(1)})


def _refunded(world: World) -> str:
    number = overcharge_case(world, fund_minor=500000)
    perform(world.database, admin(world), number, ActionRequest("refund", "1152.00"), "ledger-page-1")
    return number


def test_balances_postings_and_the_hold_of_a_refund(client: TestClient, world: World) -> None:
    number = _refunded(world)
    _login(client)
    page = client.get(f"/ledger/{MERCHANT_A}")
    assert page.status_code == 200
    html = page.text
    balances = html.split('data-testid="balances"')[1].split("</table>")[0]
    assert "可用" in balances
    assert "冻结" in balances
    assert "待结算" in balances
    assert "AVAILABLE" not in balances.replace('data-account="AVAILABLE"', "")
    assert "¥" in balances
    postings = html.split('data-testid="postings"')[1].split("</table>")[0]
    assert f'href="/cases/{number}"' in postings
    assert "退款已付出" in postings
    assert "退款 #" in postings
    assert postings.index("退款已付出") < postings.index(">冻结<")  # newest first
    holds = html.split('data-testid="holds"')[1].split("</table>")[0]
    assert "¥1,152.00" in holds
    assert "退款已付出" in holds  # released by the payment itself
    assert "仍冻结" not in holds
    assert "Asia/Shanghai" in html  # the zone the times are in


def test_english_page_and_paging(client: TestClient, world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        for index in range(55):
            posting = post(session, tenant_id, f"page-{index}", "transfer.confirmed",
                           rules.transfer_in(MERCHANT_A, 100 + index, "CNY"))
            posting.posted_at = datetime(2026, 11, 20, 8, index % 60, tzinfo=UTC)
    _login(client, locale="en")
    first = client.get(f"/ledger/{MERCHANT_A}").text
    assert "Page 1 of 2" in first
    assert "55 in all" in first
    assert "Transfer confirmed" in first
    assert "Available" in first
    assert "2026-11-20 16:54" in first  # 08:54 UTC in Asia/Shanghai, newest first
    second = client.get(f"/ledger/{MERCHANT_A}?page=2").text
    assert second.count("Transfer confirmed") == 5
    assert "2026-11-20 16:00" in second
    with world.database.unit_of_work() as session:
        assert session.execute(select(LedgerPosting.id).where(LedgerPosting.reference == "page-0")).first()


def test_another_merchants_or_tenants_ledger_is_not_found(client: TestClient, world: World) -> None:
    _login(client)
    assert client.get(f"/ledger/{OBJECTS['B'][0]}").status_code == 404
    assert client.get("/ledger/000000000000000").status_code == 404
    assert client.get(f"/ledger/{MERCHANT_A}?page=abc").status_code == 422
