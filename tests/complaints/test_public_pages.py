"""The payer's public pages: filing, the status page, and abuse resistance (honeypot, rate limits, uploads,
forged codes, script injection), in Chinese (default) and English."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.complaints.complaint_world import MERCHANT_A, sale_pair
from tests.complaints.pages import PNG, form_token, post_complaint, tracking_code
from tests.support.factories import World
from tests.support.web_login import log_in

from recoup.complaints.models import Complaint
from recoup.complaints.rules import MAX_PHOTO_BYTES
from recoup.messaging.models import OutboxMessage

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SCRIPT = "<script>alert('x')</script>"
LINK = "javascript:alert(document.cookie)"


def _count(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(Complaint)).scalar_one())


def test_a_payer_files_from_the_public_page_and_follows_it(client: TestClient, world: World) -> None:
    token = form_token(client, MERCHANT_A)
    status, html = post_complaint(client, MERCHANT_A, token, contact="li.lei@example.com", photo=("slip.png", PNG,
                                                                                               "image/png"))
    assert status == 200, html
    assert "投诉已收到" in html  # Chinese by default
    code = tracking_code(html)
    page = client.get(f"/c/status/{code}")
    assert page.status_code == 200
    assert "新投诉" in page.text
    assert "商户A" in page.text
    assert "4321" not in page.text  # nothing of the complaint's facts, only its progress
    assert "rating-form" not in page.text
    english = client.get(f"/c/status/{code}?lang=en")
    assert "Your complaint" in english.text
    assert "New" in english.text
    with world.database.unit_of_work() as session:
        complaint_id = session.execute(select(Complaint.id)).scalar_one()
        sent = session.execute(select(OutboxMessage).where(OutboxMessage.complaint_id == complaint_id)).scalar_one()
        assert code in sent.body  # the payer's link, in the outbox with the complaint
    log_in(client, "a-merchant_finance")
    photo = re.search(r'href="(/complaints/[0-9]+/photos/[0-9]+)"', client.get(f"/complaints/{complaint_id}").text)
    assert photo is not None
    assert client.get(photo.group(1)).content == PNG


def test_a_filled_honeypot_or_a_forged_form_token_stores_nothing(client: TestClient, world: World) -> None:
    token = form_token(client, MERCHANT_A, "en")
    status, html = post_complaint(client, MERCHANT_A, token, website="http://spam.example")
    assert status == 200
    assert "Complaint received" in html
    assert client.get(f"/c/status/{tracking_code(html)}").status_code == 404

    status, html = post_complaint(client, MERCHANT_A, "forged-token", description="my words stay")
    assert status == 403
    assert "the form has expired" in html
    assert "my words stay" in html
    assert _count(world) == 0


def test_the_sixth_complaint_from_one_address_within_an_hour_is_refused(client: TestClient, world: World) -> None:
    token = form_token(client, MERCHANT_A, "zh_CN")
    for number in range(5):
        assert post_complaint(client, MERCHANT_A, token, description=f"complaint {number}")[0] == 200
    status, html = post_complaint(client, MERCHANT_A, token, description="one too many")
    assert status == 429
    assert "请稍后再试" in html
    assert "one too many" in html  # what the payer typed is still there
    assert _count(world) == 5


PHOTOS = [
    (("slip.png", b"MZ this is no picture" * 10, "image/png"), "文件内容与其类型不符"),
    (("slip.html", b"<html></html>", "text/html"), "必须是图片"),
    (("big.png", PNG + b"\x00" * MAX_PHOTO_BYTES, "image/png"), "照片太大"),
]


def test_mislabelled_or_oversized_photos_are_refused_clearly(client: TestClient, world: World) -> None:
    token = form_token(client, MERCHANT_A)
    for photo, message in PHOTOS:
        status, html = post_complaint(client, MERCHANT_A, token, description="keep me", photo=photo)
        assert status == 422, photo[0]
        assert message in html
        assert "keep me" in html
    assert _count(world) == 0


def test_bad_facts_and_unknown_pages_say_why_in_the_users_language(client: TestClient, world: World) -> None:
    token = form_token(client, MERCHANT_A, "en")
    status, html = post_complaint(client, MERCHANT_A, token, last4="6222021234567890")
    assert status == 422
    assert "exactly 4 digits" in html
    assert "6222021234567890" not in html  # a card number typed in is not even echoed back
    forged = client.get("/c/status/" + "A" * 32)
    assert forged.status_code == 404
    assert "no complaint has this tracking code" in forged.text
    zh = client.get("/c/status/" + "A" * 32 + "?lang=zh_CN")
    assert "没有与此查询码对应的投诉" in zh.text
    assert "不存在" in client.get("/c/898300000000000").text
    assert _count(world) == 0


def test_script_payloads_are_stored_as_text_and_escaped_on_every_staff_page(client: TestClient,
                                                                          world: World) -> None:
    sale_pair(world)
    token = form_token(client, MERCHANT_A)
    status, _html = post_complaint(client, MERCHANT_A, token, description=f"{SCRIPT} {LINK}")
    assert status == 200
    with world.database.unit_of_work() as session:
        stored = session.execute(select(Complaint)).scalar_one()
        assert stored.description == f"{SCRIPT} {LINK}"
        complaint_id = stored.id
    csrf = log_in(client, "a-merchant_finance")
    opened = client.post(f"/complaints/{complaint_id}/open-case", data={"csrf_token": csrf}, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    number = re.search(r'href="/cases/(RC-[0-9-]+)"', client.get(f"/complaints/{complaint_id}").text)
    assert number is not None
    pages = ["/complaints", f"/complaints/{complaint_id}", f"/cases/{number.group(1)}"]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, path
        assert 'href="javascript:' not in page.text, path
    assert "&lt;script&gt;" in client.get(f"/complaints/{complaint_id}").text
    report = client.get(f"/cases/{number.group(1)}/report.pdf")
    assert report.status_code == 200
    assert report.content.startswith(b"%PDF")
