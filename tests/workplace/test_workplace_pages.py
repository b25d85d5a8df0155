"""The dashboard as each role's work queue (TestClient, both languages): what a person of that role sees first,
merchants by name, kinds and states in words, money and the merchant's time; nothing of tenant B."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.auth.logins import csrf, web_login
from tests.support.factories import OBJECTS, World
from tests.workplace.workplace_data import NOW, add_case, add_dispute, add_finding, username

from recoup.auth.roles import Role
from recoup.cases.models import CaseAlert
from recoup.merchants.models import Terminal
from recoup.web.deps import current_time

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MERCHANT_A, TERMINAL_A = OBJECTS["A"]


def _desk(world: World) -> dict[str, str]:
    """An overdue overcharge and a duplicate charge due today for finance, a dispute due in two days, a new
    finding, an unread alert, a stopped terminal; and a case of tenant B."""
    with world.database.unit_of_work() as session:
        overdue = add_case(session, world, deadline=NOW - timedelta(hours=1))
        today = add_case(session, world, deadline=NOW + timedelta(hours=3), kind="DUPLICATE_CHARGE",
                         at_stake_minor=212000)
        disputed = add_case(session, world, deadline=NOW + timedelta(days=9), rung="SCHEME_DISPUTE",
                            owner_role="acquirer_ops")
        dispute = add_dispute(session, disputed, due_on=(NOW + timedelta(days=2)).date())
        other = add_case(session, world, tenant="B", deadline=NOW - timedelta(hours=1))
        add_finding(session, world, kind="UNDERCHARGE", seen_at=NOW - timedelta(days=1))
        session.add(CaseAlert(tenant_id=world.tenants["A"].id, case_id=overdue.id, kind="DEADLINE_PASSED",
                              message="case overdue", owner_role="merchant_finance", created_at=NOW))
        session.execute(update(Terminal).where(Terminal.terminal_id == TERMINAL_A).values(
            stopped=True, stopped_by="a-cashier", stopped_at=NOW - timedelta(hours=2), stop_reason="金额多一位"))
        return {"overdue": overdue.number, "today": today.number, "disputed": disputed.number,
                "dispute": str(dispute.id), "other": other.number}


def _pages(client: TestClient, role: Role) -> dict[str, str]:
    """The dashboard's work part (before the charts) in Chinese, then in English."""
    client.app.dependency_overrides[current_time] = lambda: NOW  # type: ignore[attr-defined]
    assert web_login(client, username(role)) == 303
    pages = {}
    for locale in ("zh_CN", "en"):
        client.post("/lang", data={"locale": locale, "next": "/", "csrf_token": csrf(client, "/")})
        answer = client.get("/")
        assert answer.status_code == 200
        main = answer.text.split("<main>")[1]
        pages[locale] = main.split('data-testid="dashboard-charts"')[0]
    return pages


def _no_codes(html: str) -> None:
    text = re.sub(r"<[^>]+>", " ", html)
    for code in ("OVERCHARGE", "DUPLICATE_CHARGE", "UNDERCHARGE", "OPEN", "MERCHANT_FINANCE", "CHARGEBACK",
                 "DEADLINE_PASSED", "SCHEME_DISPUTE", MERCHANT_A):
        assert code not in text


def test_finance_sees_its_overdue_and_due_today_cases_new_findings_money_and_alerts(client: TestClient,
                                                                                     world: World) -> None:
    numbers = _desk(world)
    pages = _pages(client, Role.MERCHANT_FINANCE)
    zh, en = pages["zh_CN"], pages["en"]
    overdue = zh.split('data-testid="queue-overdue"')[1].split("</table>")[0]
    assert f'href="/cases/{numbers["overdue"]}"' in overdue
    assert "商户A" in overdue
    assert "多收" in overdue
    assert "¥1,152.00" in overdue
    assert "2026-11-20 17:00 (UTC+8)" in overdue  # the deadline in the merchant's zone
    today = zh.split('data-testid="queue-today"')[1].split("</table>")[0]
    assert numbers["today"] in today
    assert "重复扣款" in today
    assert "¥2,120.00" in today
    assert numbers["disputed"] not in zh  # the acquirer's rung, not finance's
    assert numbers["other"] not in zh
    assert re.search(r'data-testid="tile-overdue"><span class="num">1</span> 已逾期', zh)
    assert re.search(r'data-testid="tile-today"><span class="num">1</span> 今天到期', zh)
    assert 'href="/findings?kind=UNDERCHARGE">少收</a>' in zh
    assert "本周已追回" in zh
    assert "已过期限" in zh
    assert f'href="/cases/{numbers["overdue"]}"' in zh.split('data-testid="work-alerts"')[1]
    _no_codes(zh)
    assert "Overdue" in en
    assert "Due today" in en
    assert "Overcharge" in en
    assert "Recovered this week" in en
    assert "New findings since my last visit" in en
    assert "多收" not in en
    _no_codes(en)


def test_the_cashier_reports_a_mis_charge_and_sees_its_terminals_with_who_stopped_them(client: TestClient,
                                                                                        world: World) -> None:
    _desk(world)
    pages = _pages(client, Role.CASHIER)
    zh, en = pages["zh_CN"], pages["en"]
    assert 'href="/complaints/new"' in zh
    assert "报告疑似错误扣款" in zh
    terminals = zh.split('data-testid="work-terminals"')[1]
    assert TERMINAL_A in terminals
    assert "已停止" in terminals
    assert "a-cashier" in terminals
    assert "金额多一位" in terminals
    assert "2026-11-20 16:00 (UTC+8)" in terminals
    assert "我的未结案件" in zh  # no case is the cashier's
    assert "目前没有待办事项。" in zh
    assert "Report a suspected mis-charge" in en
    assert "My terminals" in en
    _no_codes(zh)
    _no_codes(en)


def test_the_acquirer_sees_its_rung_and_the_disputes_due_in_three_days(client: TestClient, world: World) -> None:
    numbers = _desk(world)
    pages = _pages(client, Role.ACQUIRER_OPS)
    zh, en = pages["zh_CN"], pages["en"]
    disputes = zh.split('data-testid="work-disputes"')[1].split("</section>")[0]
    assert f'href="/disputes/{numbers["dispute"]}"' in disputes
    assert numbers["disputed"] in disputes
    assert "退单" in disputes
    assert "还剩 2 天" in disputes
    assert "商户A" in disputes
    queue = zh.split('data-testid="work-queue"')[1].split("</section>")[0]
    assert "升级到本级的案件" in queue
    assert numbers["disputed"] in queue
    assert numbers["overdue"] not in queue
    assert "2 days left" in en
    assert "Cases escalated to my rung" in en
    _no_codes(zh)
    _no_codes(en)


def test_the_auditor_reads_every_open_case_and_can_change_nothing(client: TestClient, world: World) -> None:
    numbers = _desk(world)
    pages = _pages(client, Role.AUDITOR)
    for html in pages.values():
        assert numbers["overdue"] in html
        assert numbers["today"] in html
        assert numbers["disputed"] in html
        assert numbers["other"] not in html
        assert "<form" not in html
        assert "<button" not in html
        assert "/complaints/new" not in html
        assert 'href="/admin"' not in html
    assert "未结案件" in pages["zh_CN"]
    assert "Open cases" in pages["en"]


def test_the_admin_sees_everything_and_the_way_to_administration(client: TestClient, world: World) -> None:
    numbers = _desk(world)
    pages = _pages(client, Role.ADMIN)
    zh, en = pages["zh_CN"], pages["en"]
    assert 'href="/admin"' in zh
    assert "系统管理" in zh
    assert numbers["dispute"] in zh.split('data-testid="work-disputes"')[1]
    assert 'data-testid="work-money"' in zh
    assert 'data-testid="work-terminals"' in zh
    assert numbers["other"] not in zh
    assert "Administration" in en
    _no_codes(zh)
    _no_codes(en)


def test_new_findings_count_since_the_visit_before_this_one(client: TestClient, world: World) -> None:
    _desk(world)
    _pages(client, Role.PROVIDER_SUPPORT)  # the first visit, at NOW: the last 7 days' finding is new
    reload = NOW + timedelta(minutes=25)  # the same visit: what was new stays new
    client.app.dependency_overrides[current_time] = lambda: reload  # type: ignore[attr-defined]
    assert re.search(r'data-testid="tile-findings"><span class="num">1</span>', client.get("/").text)
    later = NOW + timedelta(minutes=50)  # a new visit (the session is still alive)
    client.app.dependency_overrides[current_time] = lambda: later  # type: ignore[attr-defined]
    page = client.get("/").text
    assert re.search(r'data-testid="tile-findings"><span class="num">0</span>', page)
    assert "Since 2026-11-20 18:00 (UTC+8)" in page  # the visit before this one
