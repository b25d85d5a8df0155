"""The scheduled reports' page and API (issue 14), on SQLite and PostgreSQL: the list names each schedule's
scope, frequency, weekday, local time and zone, state, recipients by role and last period sent; a user who
may change them sets, changes and switches one off through the form (audited as the CLI's changes are); a
refused value is told beside its field in the user's language, with what was typed kept and nothing saved;
`GET|PUT /api/v1/reports/schedules` do the same as JSON; in Chromium a schedule is set in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.support.factories import OBJECTS, World, token_for
from tests.support.web_login import log_in
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)
from tests.web.test_csp_pages import Watched
from tests.web.test_one_language import _visible, problems

from recoup.audit.models import AuditEntry
from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.errors import InvalidInput
from recoup.reports.models import ReportSchedule, ReportSent
from recoup.reports.schedule_rules import Frequency
from recoup.reports.schedule_views import ScheduleForm, schedule_views
from recoup.reports.schedules import list_schedules, set_schedule

MERCHANT_A, MERCHANT_B = OBJECTS["A"][0], OBJECTS["B"][0]
NOW = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def _principal(world: World, username: str):  # type: ignore[no-untyped-def]
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        return principal_for(session, user, "test")


def _two_schedules(world: World) -> None:
    """The tenant's weekly summary (Friday 07:30) for its operations and support users, and merchant A's
    daily one (08:00) for its finance user, which queued 2026-03-10 at NOW."""
    with world.database.unit_of_work() as session:
        session.execute(update(User).where(User.username.in_(["a-acquirer_ops", "a-provider_support",
                                                              "a-merchant_finance", "b-acquirer_ops"]))
                        .values(email="someone@bank.test"))
        admin = principal_for(session, session.execute(select(User).where(User.username == "a-admin")).scalar_one(),
                              "test")
        set_schedule(session, admin, None, Frequency.WEEKLY, (7, 30), 4, NOW)
        daily = set_schedule(session, admin, MERCHANT_A, Frequency.DAILY, (8, 0), None, NOW)
        session.add(ReportSent(schedule_id=daily.id, period="daily:2026-03-10", first_day=date(2026, 3, 10),
                               last_day=date(2026, 3, 10), recipients=1, queued_at=NOW))


# --- what the list says ---------------------------------------------------------------------------------

def test_each_schedule_is_named_timed_and_counted(world: World) -> None:
    _two_schedules(world)
    admin = _principal(world, "a-admin")
    with world.database.unit_of_work() as session:
        views = schedule_views(session, admin, list_schedules(session, admin))
    tenant, merchant = views
    assert (tenant.merchant_id, tenant.frequency, tenant.weekday, tenant.at, tenant.zone) == \
        ("", "weekly", "fri", "07:30", "Asia/Shanghai")
    assert (tenant.recipients, tenant.roles) == (2, {"acquirer_ops": 1, "provider_support": 1})  # not B's
    assert tenant.last_sent is None
    assert (merchant.merchant_id, merchant.merchant_name, merchant.at, merchant.weekday) == \
        (MERCHANT_A, "商户A", "08:00", None)
    assert (merchant.recipients, merchant.roles) == (1, {"merchant_finance": 1})
    assert merchant.last_sent is not None
    assert (merchant.last_sent.first_day, merchant.last_sent.queued_at.replace(tzinfo=UTC)) == ("2026-03-10", NOW)
    finance = _principal(world, "a-merchant_finance")
    with world.database.unit_of_work() as session:  # a merchant role sees its merchants' schedules only
        assert [view.merchant_id for view in schedule_views(session, finance, list_schedules(session, finance))] \
            == [MERCHANT_A]


@given(st.text(max_size=8), st.text(max_size=8), st.sampled_from(["daily", "weekly", "monthly", ""]))
def test_the_form_refuses_each_bad_field_by_name(at: str, weekday: str, frequency: str) -> None:
    form = ScheduleForm(frequency=frequency, weekday=weekday, at=at)
    good_at = re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", at.strip()) is not None
    day_text = weekday.strip().lower()[:3]
    good_day = day_text in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") or day_text in set("1234567")
    try:
        chosen, moment, day = form.parsed()
    except InvalidInput:
        assert form.errors
    else:
        hour, minute = at.strip().split(":")
        assert (chosen.value, moment, day is None) == (frequency, (int(hour), int(minute)), frequency == "daily")
    assert ("at" in form.errors) == (not good_at)
    assert ("frequency" in form.errors) == (frequency not in ("daily", "weekly"))
    assert ("weekday" in form.errors) == (frequency == "weekly" and not good_day)


# --- the page -------------------------------------------------------------------------------------------

def _row(page: str, scope: str, frequency: str) -> str:
    found = re.search(rf'<tr data-testid="schedule" data-scope="{scope}" data-frequency="{frequency}">(.*?)</tr>',
                      page, re.S)
    assert found is not None, (scope, frequency)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_the_list_reads_in_chinese_and_english(client: TestClient, world: World) -> None:
    _two_schedules(world)
    log_in(client, "a-admin", "zh_CN")
    page = client.get("/reports/schedules")
    assert page.status_code == 200
    weekly = _row(page.text, "tenant", "weekly")
    for words in ("整个租户", "周报", "星期五", "07:30 (Asia/Shanghai)", "已开启", "2 位收件人", "收单运营",
                  "尚未发送"):
        assert words in weekly
    daily = _row(page.text, MERCHANT_A, "daily")
    for words in ("商户A", "日报", "08:00 (Asia/Shanghai)", "1 位收件人", "2026-03-10", "2026-03-11 09:00"):
        assert words in daily
    assert "merchant_finance" not in daily  # the role in words, never its code
    assert problems(_visible(page.text, "zh_CN"), "zh_CN", []) == []  # no code, no English sentence
    log_in(client, "a-admin", "en")
    english = client.get("/reports/schedules").text
    assert "Friday" in _row(english, "tenant", "weekly")
    assert "Daily summary" in _row(english, MERCHANT_A, "daily")
    assert "Scheduled reports" in english
    assert problems(_visible(english, "en"), "en", []) == []
    assert 'href="/reports/schedules"' in client.get("/reports?from=2026-03-01&to=2026-03-31").text  # the link


def test_set_change_and_switch_off_through_the_form(client: TestClient, world: World) -> None:
    csrf = log_in(client, "a-admin", "zh_CN")
    form = {"csrf_token": csrf, "merchant": MERCHANT_A, "frequency": "weekly", "weekday": "tue", "at": "06:45"}
    saved = client.post("/reports/schedules", data=form, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "计划已保存并开启" in page
    assert "星期二" in _row(page, MERCHANT_A, "weekly")
    assert "06:45" in _row(page, MERCHANT_A, "weekly")
    edit = client.get(f"/reports/schedules?merchant={MERCHANT_A}&frequency=weekly").text  # the form, filled
    assert 'value="06:45"' in edit
    assert '<option value="tue" selected>' in edit
    assert client.post("/reports/schedules", data={**form, "at": "7:05"}, follow_redirects=False).status_code == 303
    page = client.get("/reports/schedules").text
    assert page.count('data-testid="schedule"') == 1  # changed, not added
    assert "07:05" in _row(page, MERCHANT_A, "weekly")
    off = client.post("/reports/schedules/disable", follow_redirects=False,
                      data={"csrf_token": csrf, "merchant": MERCHANT_A, "frequency": "weekly"})
    assert off.status_code == 303
    assert "已关闭" in _row(client.get("/reports/schedules").text, MERCHANT_A, "weekly")
    with world.database.unit_of_work() as session:
        actions = session.execute(select(AuditEntry.action, AuditEntry.actor)
                                  .where(AuditEntry.action.like("report_schedule.%"))
                                  .order_by(AuditEntry.seq)).all()
    assert [tuple(row) for row in actions] == [("report_schedule.set", "a-admin"), ("report_schedule.set", "a-admin"),
                                               ("report_schedule.disable", "a-admin")]


BAD_INPUT = (  # the fields posted, the field told, what it is told (in Chinese), what is kept
    ({"frequency": "daily", "at": "25:00"}, "at", "00:00 到 23:59 之间的当地时间，而不是 &#39;25:00&#39;",
     'value="25:00"'),
    ({"frequency": "weekly", "weekday": "someday", "at": "08:00"}, "weekday", "请选择星期一到星期日之一",
     '<option value="someday" selected>'),
    ({"merchant": MERCHANT_B, "frequency": "daily", "at": "08:00"}, "merchant", f"没有商户 {MERCHANT_B}",
     f'<option value="{MERCHANT_B}" selected>'),
    ({"frequency": "monthly", "at": "08:00"}, "frequency", "请选择日报或周报", '<option value="monthly" selected>'),
)


def test_bad_input_is_told_beside_its_field_and_kept(client: TestClient, world: World) -> None:
    csrf = log_in(client, "a-admin", "zh_CN")
    for fields, field, said, kept in BAD_INPUT:
        answer = client.post("/reports/schedules", data={"csrf_token": csrf, **fields})
        assert answer.status_code in (404, 422), fields
        beside = re.search(rf'data-testid="error-{field}">([^<]*)<', answer.text)
        assert beside is not None, fields
        assert said in beside.group(1)
        assert kept in answer.text
        assert 'aria-invalid="true"' in answer.text
    nothing = client.post("/reports/schedules/disable", data={"csrf_token": csrf, "merchant": "", "frequency": "daily"})
    assert nothing.status_code == 404
    assert "整个租户没有日报计划" in nothing.text
    with world.database.unit_of_work() as session:
        assert session.execute(select(ReportSchedule)).first() is None  # nothing saved
    csrf = log_in(client, "a-admin", "en")
    english = client.post("/reports/schedules", data={"csrf_token": csrf, "frequency": "daily", "at": "12:60"})
    assert english.status_code == 422
    assert "A local time as HH:MM between 00:00 and 23:59, not &#39;12:60&#39;" in english.text
    assert "--at" not in english.text


def test_merchant_roles_schedule_their_own_merchants_only(client: TestClient, world: World) -> None:
    csrf = log_in(client, "a-merchant_finance", "zh_CN")
    page = client.get("/reports/schedules").text
    assert '<option value=""' not in page  # no tenant scope to choose
    assert "整个租户" not in page.split('data-testid="schedule-form"')[1]
    tenant = client.post("/reports/schedules", data={"csrf_token": csrf, "merchant": "", "frequency": "daily",
                                                     "at": "08:00"})
    assert tenant.status_code == 422
    assert "商户角色只能为自己的商户安排报表" in tenant.text.split('data-testid="error-merchant"')[1]
    done = client.post("/reports/schedules", data={"csrf_token": csrf, "merchant": MERCHANT_A, "frequency": "daily",
                                                   "at": "08:00"}, follow_redirects=False)
    assert done.status_code == 303
    client.cookies.clear()
    csrf = log_in(client, "a-cashier", "zh_CN")
    page = client.get("/reports/schedules").text
    assert "商户A" in _row(page, MERCHANT_A, "daily")  # a cashier sees it, and may not change it
    assert 'data-testid="schedule-form"' not in page
    assert 'data-testid="schedules-read-only"' in page
    refused = client.post("/reports/schedules/disable", data={"csrf_token": csrf, "merchant": MERCHANT_A,
                                                              "frequency": "daily"})
    assert refused.status_code == 403


# --- the API --------------------------------------------------------------------------------------------

def test_the_api_lists_sets_and_switches_off(client: TestClient, world: World) -> None:
    _two_schedules(world)
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-acquirer_ops')}"}
    listed = client.get("/api/v1/reports/schedules", headers=headers).json()["schedules"]
    assert [(item["scope"], item["frequency"], item["at"]) for item in listed] == \
        [("tenant", "weekly", "07:30"), ("merchant", "daily", "08:00")]
    assert listed[1]["merchant_name"] == "商户A"
    assert listed[1]["recipients"] == {"count": 1, "roles": {"merchant_finance": 1}}
    assert listed[1]["last_sent"]["from"] == "2026-03-10"
    changed = client.put("/api/v1/reports/schedules", headers=headers,
                         json={"merchant": MERCHANT_A, "frequency": "daily", "at": "18:15"})
    assert changed.status_code == 200
    assert (changed.json()["at"], changed.json()["enabled"], changed.json()["timezone"]) == \
        ("18:15", True, "Asia/Shanghai")
    off = client.put("/api/v1/reports/schedules", headers=headers,
                     json={"merchant": None, "frequency": "weekly", "enabled": False})
    assert (off.status_code, off.json()["enabled"], off.json()["at"]) == (200, False, "07:30")
    for body, status, said in (({"frequency": "daily", "at": "25:00"}, 422, "HH:MM"),
                               ({"frequency": "weekly", "weekday": "someday"}, 422, "weekday"),
                               ({"frequency": "daily", "weekday": "mon"}, 422, "only a weekly schedule"),
                               ({"merchant": MERCHANT_B, "frequency": "daily"}, 404, f"no merchant {MERCHANT_B}")):
        refused = client.put("/api/v1/reports/schedules", headers=headers, json=body)
        assert refused.status_code == status, body
        assert said in refused.text, body
    cashier = {"Authorization": f"Bearer {token_for(world.database, 'a-cashier')}"}
    assert client.put("/api/v1/reports/schedules", headers=cashier,
                      json={"merchant": MERCHANT_A, "frequency": "daily"}).status_code == 403


# --- in the browser -------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_schedule_is_set_through_the_form_in_chinese(live_url: str, browser: object, world: World,  # noqa: F811
                                                       tmp_path: Path) -> None:
    watched = Watched(browser)
    page = watched.page
    try:
        watched.log_in(live_url, World.username("A", Role.ADMIN))
        page.goto(f"{live_url}/reports/schedules")
        assert page.locator("h1").inner_text() == "定时报表"
        page.select_option("#f-merchant", MERCHANT_A)
        page.select_option("#f-frequency", "weekly")
        page.select_option("#f-weekday", "wed")
        page.fill("#f-at", "25:00")
        page.click("[data-testid=schedule-save]")
        assert "而不是 '25:00'" in page.locator("[data-testid=error-at]").inner_text()
        assert page.input_value("#f-at") == "25:00"  # kept, to correct
        page.fill("#f-at", "07:15")
        page.click("[data-testid=schedule-save]")
        page.wait_for_url(re.compile(r".*done=set.*"))
        row = page.locator(f"tr[data-scope='{MERCHANT_A}'][data-frequency=weekly]")
        assert "星期三" in row.inner_text()
        assert "07:15" in row.inner_text()
        page.screenshot(path=str(tmp_path / "schedules-zh.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off a phone
        assert row.bounding_box() is not None
        page.screenshot(path=str(tmp_path / "schedules-zh-390.png"), full_page=True)
        assert watched.violations() == []
    finally:
        page.close()
