"""The admin pages (issue 12), on SQLite and PostgreSQL: users, merchants and terminals, ladder deadlines, the
QR account and webhooks managed without the command line; each change audited and confirmed on the page;
refused input shown again with the error next to its field, in the user's language; other tenants' objects
not found."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.factories import OBJECTS, World
from tests.support.web_login import log_in, try_log_in

from recoup.audit.models import AuditEntry
from recoup.auth.models import User
from recoup.cases.ladder import Rung
from recoup.cases.repository import ladder_config
from recoup.merchants.models import Terminal
from recoup.webhooks.models import WebhookEndpoint

MERCHANT_A = OBJECTS["A"][0]


def _actions(world: World) -> list[str]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_admin_adds_a_user_refused_input_stays_then_disables_enables_and_resets(client: TestClient,
                                                                               world: World) -> None:
    csrf = log_in(client, "a-admin")
    index = client.get("/admin").text
    for link in ("/admin/users", "/admin/merchants", "/admin/ladder", "/admin/qr-account", "/admin/webhooks",
                 "/message-templates"):
        assert f'href="{link}"' in index
    form = {"csrf_token": csrf, "username": "ca-new", "role": "cashier", "password": "short", "display_name": "小王"}
    refused = client.post("/admin/users", data=form)
    assert refused.status_code == 422
    assert 'value="ca-new"' in refused.text
    assert 'value="小王"' in refused.text
    assert "至少 8 个字符" in refused.text
    assert "收银员或商户财务至少要属于一个商户" in refused.text
    assert 'name="password" type="password" value=""' in refused.text  # never sent back
    added = client.post("/admin/users", data={**form, "password": "a-long-password", "merchant_ids": MERCHANT_A})
    assert "已添加用户 ca-new" in added.text
    assert "收银员" in added.text
    assert "ca-new" in added.text
    taken = client.post("/admin/users", data={**form, "password": "a-long-password", "merchant_ids": MERCHANT_A})
    assert taken.status_code == 422
    assert "该用户名已被使用" in taken.text
    disabled = client.post("/admin/users/ca-new/disable", data={"csrf_token": csrf})
    assert "已停用用户 ca-new" in disabled.text
    assert try_log_in(TestClient(client.app), "ca-new", "a-long-password") != 303
    client.post("/admin/users/ca-new/enable", data={"csrf_token": csrf})
    short = client.post("/admin/users/ca-new/password", data={"csrf_token": csrf, "password": "x"})
    assert short.status_code == 422
    assert "至少 8 个字符" in short.text
    client.post("/admin/users/ca-new/password", data={"csrf_token": csrf, "password": "another-password"})
    assert try_log_in(TestClient(client.app), "ca-new", "another-password") == 303
    assert [a for a in _actions(world) if a.startswith("user.") and "refused" not in a][-4:] == [
        "user.add", "user.disable", "user.enable", "user.password"]
    assert "user.add.refused" in _actions(world)


def test_admin_cannot_touch_another_tenants_users_nor_disable_itself(client: TestClient, world: World) -> None:
    csrf = log_in(client, "a-admin")
    assert client.get("/admin/users/b-cashier").status_code == 404
    assert client.post("/admin/users/b-cashier/disable", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/admin/users/b-cashier/password",
                       data={"csrf_token": csrf, "password": "hijacked-password"}).status_code == 404
    myself = client.post("/admin/users/a-admin/disable", data={"csrf_token": csrf})
    assert myself.status_code == 422
    assert "不能停用或启用自己" in myself.text
    with world.database.unit_of_work() as session:
        assert all(session.execute(select(User.active).where(User.username.in_(["b-cashier", "a-admin"]))).scalars())
    assert "b-cashier" not in client.get("/admin/users").text
    log_in(client, "a-merchant_finance")
    assert client.get("/admin").status_code == 403


def test_merchants_and_terminals_added_and_edited_in_english(client: TestClient, world: World) -> None:
    csrf = log_in(client, "a-admin")
    client.post("/lang", data={"locale": "en", "next": "/", "csrf_token": csrf})
    merchant = {"csrf_token": csrf, "merchant_id": "898301054110001", "name": "Tea house", "mcc": "58x",
                "timezone": "Mars/Olympus", "city": "Hangzhou"}
    refused = client.post("/admin/merchants", data=merchant)
    assert refused.status_code == 422
    assert 'data-testid="error-mcc">4 digits' in refused.text
    assert "a time zone such as Asia/Shanghai" in refused.text
    assert 'value="Tea house"' in refused.text
    saved = client.post("/admin/merchants", data={**merchant, "mcc": "5812", "timezone": "Asia/Urumqi"})
    assert "Merchant 898301054110001 added." in saved.text
    terminal = {"csrf_token": csrf, "terminal_id": "T0000001", "merchant_id": OBJECTS["B"][0], "model": "PAX A920",
                "firmware": "1.2", "location": "Counter 2", "last_maintenance_at": "20/11/2026"}
    refused = client.post("/admin/terminals", data=terminal)
    assert "choose a merchant of your organisation" in refused.text
    assert "a date such as 2026-11-20" in refused.text
    added = client.post("/admin/terminals", data={**terminal, "merchant_id": "898301054110001",
                                                  "last_maintenance_at": "2026-11-01"})
    assert "Terminal T0000001 added." in added.text
    edited = client.post("/admin/terminals/T0000001", data={**terminal, "merchant_id": "898301054110001",
                                                            "firmware": "1.3", "last_maintenance_at": ""})
    assert "Terminal T0000001 saved." in edited.text
    assert 'value="1.3"' in edited.text
    with world.database.unit_of_work() as session:
        stored = session.get(Terminal, "T0000001")
        assert stored is not None
        assert (stored.firmware, stored.last_maintenance_at) == ("1.3", None)
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "terminal.edit")).scalar_one()
        assert (entry.before or {})["firmware"] == "1.2"
        assert (entry.after or {})["firmware"] == "1.3"
    assert client.get(f"/admin/terminals/{OBJECTS['B'][1]}").status_code == 404
    assert client.post(f"/admin/merchants/{OBJECTS['B'][0]}", data={**merchant, "mcc": "5812"}).status_code == 404


def test_ladder_qr_account_and_webhooks(client: TestClient, world: World) -> None:
    csrf = log_in(client, "a-admin")
    values = dict(re.findall(r'name="(days_\w+|dispute_window_days)"[^>]*value="(\d+)"',
                                                      client.get("/admin/ladder").text))
    assert values["days_MERCHANT"] == "2"
    form = {"csrf_token": csrf, **values, "days_MERCHANT": "five", **{f"overdue_{r.value}": "ALERT" for r in Rung}}
    refused = client.post("/admin/ladder", data=form)
    assert refused.status_code == 422
    assert "1 至 3650 的整数天数" in refused.text
    assert 'value="five"' in refused.text
    saved = client.post("/admin/ladder", data={**form, "days_MERCHANT": "5天"})
    assert "升级时限已保存" in saved.text
    with world.database.unit_of_work() as session:
        config = ladder_config(session, world.tenants["A"].id)
        assert config.rung_days[Rung.MERCHANT] == 5
    qr = client.post("/admin/qr-account", data={"csrf_token": csrf, "tag": "27", "gui": ""})
    assert qr.status_code == 422
    assert "26 至 51 的模板标签需要卡组织 GUI" in qr.text
    assert "收款码账户已保存" in client.post("/admin/qr-account", data={"csrf_token": csrf, "tag": "27",
                                                                     "gui": "A000000333"}).text
    assert "恢复默认" in client.post("/admin/qr-account/reset", data={"csrf_token": csrf}).text
    bad = client.post("/admin/webhooks", data={"csrf_token": csrf, "url": "ftp://x"})
    assert bad.status_code == 422
    assert 'value="ftp://x"' in bad.text
    added = client.post("/admin/webhooks", data={"csrf_token": csrf, "url": "https://example.com/hook"})
    secret = re.search(r'<code class="secret">(whsec_[^<]+)</code>', added.text)
    assert secret is not None
    assert "只显示这一次" in added.text
    assert secret.group(1) not in client.get("/admin/webhooks").text  # shown once
    with world.database.unit_of_work() as session:
        endpoint_id = session.execute(select(WebhookEndpoint.id)).scalar_one()
    gone = client.post(f"/admin/webhooks/{endpoint_id}/disable", data={"csrf_token": csrf})
    assert f"已停用 Webhook {endpoint_id}" in gone.text
    with world.database.unit_of_work() as session:
        assert session.execute(select(WebhookEndpoint.active)).scalar_one() is False
    changes = {"ladder.set", "qr_account.set", "qr_account.reset", "webhook.add", "webhook.disable"}
    assert changes <= set(_actions(world))
