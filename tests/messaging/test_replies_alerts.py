"""The payer's reply link, the case page's messages section, and alerts that reach a person (in-app list,
menu badge, e-mail through the outbox)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.messaging.conftest import NOW, case_with_contact
from tests.support.factories import PASSWORD, World, token_for

from recoup.auth.models import User
from recoup.cases.models import Case, CaseAlert, CaseEvent
from recoup.config import Settings
from recoup.evidence.models import EvidenceItem
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import OutboxMessage
from recoup.web.deps import current_time

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FINANCE = "a-merchant_finance"


def _login(client: TestClient, username: str) -> str:
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    page = client.get("/alerts")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _reply_token(world: World, client: TestClient, number: str) -> str:
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}
    body = client.post(f"/api/v1/cases/{number}/messages", json={"template": "apology"}, headers=headers).json()["body"]
    found = re.search(r"/r/([A-Za-z0-9_-]+)", body)
    assert found is not None
    return found.group(1)


def test_a_reply_lands_on_the_case_as_evidence_and_alerts_the_owner_in_app_and_by_email(
        client: TestClient, world: World, settings: Settings) -> None:
    with world.database.unit_of_work() as session:
        session.execute(update(User).where(User.username == FINANCE).values(email="finance@shop.example"))
    number = case_with_contact(world, settings)
    token = _reply_token(world, client, number)
    client.cookies.clear()
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert number in page.text
    assert "深表歉意" in page.text
    assert "1280" not in page.text.split("reply-form")[1]  # the form shows nothing more of the case
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = client.post(f"/r/{token}", data={"csrf_token": csrf.group(1), "text": "我被扣了1280元,小票见照片"},
                         files=[("photos", ("slip.png", PNG, "image/png"))], follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert "谢谢" in client.get(answer.headers["location"]).text
    with world.database.unit_of_work() as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        events = session.execute(select(CaseEvent.event, CaseEvent.note).where(CaseEvent.case_id == case_id)).all()
        kinds = sorted(session.execute(select(EvidenceItem.kind).where(EvidenceItem.case_id == case_id)).scalars())
        alert = session.execute(select(CaseAlert).where(CaseAlert.case_id == case_id)).scalar_one()
        mails = session.execute(select(OutboxMessage).where(OutboxMessage.purpose == "alert")).scalars().all()
    assert ("reply", "我被扣了1280元,小票见照片") in events
    assert kinds == ["photo", "reply"]
    assert alert.kind == "NEW_REPLY"
    assert alert.owner_role == "merchant_finance"
    assert [(m.to_masked, m.case_id) for m in mails] == [("f***@shop.example", case_id)]
    _login(client, FINANCE)
    listed = client.get("/alerts")
    assert 'data-testid="alert-badge">1<' in listed.text
    assert "顾客新回复" in listed.text
    csrf_token = _login(client, FINANCE)
    client.post("/alerts/read", data={"csrf_token": csrf_token})
    assert 'data-testid="alert-badge"' not in client.get("/cases").text
    _login(client, "a-cashier")  # not the owner role: not their alert
    assert "顾客新回复" not in client.get("/alerts").text


def test_a_forged_or_expired_reply_link_gets_a_clear_page_and_nothing_is_kept(
        client: TestClient, world: World, settings: Settings) -> None:
    number = case_with_contact(world, settings)
    token = _reply_token(world, client, number)
    client.cookies.clear()
    forged = client.get(f"/r/{token[:-2]}xy")
    assert forged.status_code == 404
    assert "此回复链接无效" in forged.text
    assert client.get("/r/short").status_code == 404
    later = NOW + timedelta(days=400)
    client.app.dependency_overrides[current_time] = lambda: later  # type: ignore[attr-defined]
    try:
        expired = client.get(f"/r/{token}")
        assert expired.status_code == 410
        assert "此回复链接已过期" in expired.text
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    page = client.get(f"/r/{token}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    not_image = client.post(f"/r/{token}", data={"csrf_token": csrf.group(1), "text": "see"},
                            files=[("photos", ("x.png", b"<script>alert(1)</script>", "image/png"))])
    assert not_image.status_code == 422
    assert "照片必须是 JPEG、PNG 或 GIF 图片" in not_image.text
    bot = client.post(f"/r/{token}", data={"csrf_token": csrf.group(1), "text": "spam", "website": "http://x"},
                      follow_redirects=False)
    assert bot.status_code == 303
    no_csrf = client.post(f"/r/{token}", data={"text": "hello"})
    assert no_csrf.status_code == 403
    with world.database.unit_of_work() as session:
        assert session.execute(select(CaseEvent).where(CaseEvent.event == "reply")).first() is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_case_page_sends_previews_and_shows_each_state_translated(
        client: TestClient, world: World, settings: Settings) -> None:
    number = case_with_contact(world, settings)
    csrf = _login(client, FINANCE)
    case_page = client.get(f"/cases/{number}")
    assert "p***@example.com" in case_page.text
    assert 'data-testid="message-form"' in case_page.text
    form = {"csrf_token": csrf, "template": "apology", "channel": "email", "to": "", "language": "zh_CN"}
    preview = client.post(f"/cases/{number}/messages/preview", data=form)
    assert preview.status_code == 200
    assert "深表歉意" in preview.text
    assert "p***@example.com" in preview.text
    bad = client.post(f"/cases/{number}/messages", data=form | {"to": "not an address"})
    assert bad.status_code == 422
    sent = client.post(f"/cases/{number}/messages", data=form | {"idempotency_key": "page-1"}, follow_redirects=False)
    assert sent.status_code == 303
    assert "排队中" in client.get(f"/cases/{number}").text
    assert deliver_due(world.database, settings).failed == 1  # the clock of the request: no SMTP server configured
    shown = client.get(f"/cases/{number}").text
    assert "发送失败,将重试" in shown
    assert "RECOUP_SMTP_HOST" in shown
    assert "QUEUED" not in shown
    refused = client.post("/message-templates", data={"csrf_token": csrf, "key": "apology", "locale": "zh_CN",
                                                      "subject": "x", "body": "{nosuch}"})
    assert refused.status_code == 403  # merchant finance reads templates, the admin edits them
    csrf = _login(client, "a-admin")
    refused = client.post("/message-templates", data={"csrf_token": csrf, "key": "apology", "locale": "zh_CN",
                                                      "subject": "致歉", "body": "您好 {nosuch}"})
    assert refused.status_code == 422
    assert "未知占位符 {nosuch}" in refused.text
    assert "您好 {nosuch}" in refused.text
