"""Issue 11, end to end in Chromium: a payer's complaint from the public page to a resolved case.

The payer files on /c/{merchant}; staff find it in the inbox with the right candidate sale, link it, open
a case, send the apology by e-mail (a real SMTP server on loopback) and by SMS (a local gateway that fails
first), add a photo of the slip, refund and resolve; the payer follows it on the status page and rates.
The evidence bundle's manifest proves its files, and the incident report carries the merchant's Chinese
name as text."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.cases.test_case_world import add_sale
from tests.complaints.complaint_world import MERCHANT_A, sale_pair
from tests.evidence.evidence_world import png_bytes
from tests.messaging.conftest import Received, smtp_server, with_smtp  # noqa: F401 (fixture)
from tests.messaging.test_delivery import SECRET, Gateway, gateway  # noqa: F401 (fixture)
from tests.support.factories import PASSWORD, World, token_for
from tests.web.conftest import browser, live_url  # noqa: F401 (fixtures)

from recoup.cases.models import Case
from recoup.cases.worker import run_pass
from recoup.complaints.models import Complaint
from recoup.config import Settings

pytestmark = pytest.mark.browser
PAYER_MAIL = "payer@example.com"
PAYER_MOBILE = "13800138000"
MERCHANT_NAME = "商户A"
RIGHT_RRN = "300000000001"


def _log_in(page: object, live_url: str, username: str = "a-merchant_finance") -> None:  # noqa: F811
    page.goto(f"{live_url}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{live_url}/")  # type: ignore[attr-defined]


def _submit(page: object, button: str, path: str) -> None:
    """Click `button` and wait until the server has answered the POST to a URL ending in `path`."""
    def posted(response: object) -> bool:
        request = response.request  # type: ignore[attr-defined]
        return bool(request.method == "POST" and request.url.split("?")[0].endswith(path))

    with page.expect_response(posted) as answer:  # type: ignore[attr-defined]
        page.click(button)  # type: ignore[attr-defined]
    assert answer.value.status < 400, answer.value.status


def _send_message(page: object, number: str, channel: str, to: str) -> None:
    page.select_option("[data-testid=message-template]", "apology")  # type: ignore[attr-defined]
    page.select_option("[data-testid=message-channel]", channel)  # type: ignore[attr-defined]
    page.fill("[data-testid=message-to]", to)  # type: ignore[attr-defined]
    _submit(page, "[data-testid=message-send]", f"/cases/{number}/messages")


def _pdf_text(content: bytes, folder: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler's pdftotext is needed to read the report back"
    path = folder / "report.pdf"
    path.write_bytes(content)
    done = subprocess.run([pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          timeout=30)
    return done.stdout.decode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_payers_complaint_goes_all_the_way_to_a_resolved_case(
        live_url: str, browser: object, world: World, settings: Settings,  # noqa: F811
        smtp_server: tuple[int, Received], gateway: Gateway, tmp_path: Path) -> None:  # noqa: F811
    port, received = smtp_server
    outgoing = with_smtp(settings, port).model_copy(
        update={"sms_gateway_url": gateway.url, "sms_gateway_secret": SECRET})
    right, _wrong = sale_pair(world)
    with world.database.unit_of_work() as session:  # settled takings of the merchant: the refund is covered
        add_sale(session, world.tenants["A"].id, "300000000009", 1_000_000)

    # The payer files a complaint on the merchant's public page.
    payer = browser.new_page()  # type: ignore[attr-defined]
    payer.goto(f"{live_url}/c/{MERCHANT_A}?lang=en")
    assert payer.locator("[data-testid=merchant-name]").inner_text() == MERCHANT_NAME
    payer.fill("[data-testid=amount]", "128.00")
    payer.fill("[data-testid=when]", "2026-11-02T14:30")
    payer.fill("[data-testid=last4]", "4321")
    payer.fill("[data-testid=description]", "I was charged twice at the till.")
    payer.fill("[data-testid=contact]", PAYER_MAIL)
    payer.click("[data-testid=file-complaint]")
    payer.wait_for_selector("[data-testid=tracking-code]")
    payer.click("[data-testid=status-link]")
    assert payer.locator("[data-testid=complaint-state]").inner_text() == "New"
    status_url = payer.url

    # Staff find it in the inbox: one candidate, the right sale by its RRN; link it and open a case.
    staff = browser.new_page()  # type: ignore[attr-defined]
    _log_in(staff, live_url)
    staff.click("a[href='/complaints']")
    staff.click("[data-testid=complaint-link]")
    candidates = staff.locator("[data-testid=candidate]")
    assert candidates.count() == 1
    assert RIGHT_RRN in candidates.first.inner_text()
    staff.click(f"[data-testid=link-{right}]")
    staff.wait_for_selector("[data-testid=linked-transaction]")
    assert RIGHT_RRN in staff.locator("[data-testid=linked-transaction]").inner_text()
    staff.click("[data-testid=open-case]")
    staff.wait_for_selector("[data-testid=complaint-case]")
    number = staff.locator("[data-testid=complaint-case]").inner_text().strip()
    complaint_url = staff.url
    staff.click("[data-testid=complaint-case]")
    staff.wait_for_selector("[data-testid=case-complaints]")
    case_url = staff.url

    # The apology leaves by e-mail and by SMS; the worker delivers, the gateway refuses the first try.
    _send_message(staff, number, "email", PAYER_MAIL)
    staff.goto(case_url)
    _send_message(staff, number, "sms", PAYER_MOBILE)
    staff.goto(case_url)
    assert staff.locator("[data-testid=message-row]").count() == 2
    first = datetime.now(UTC) + timedelta(seconds=5)
    run_pass(world.database, now=first, settings=outgoing)
    assert len(gateway.requests) == 1
    run_pass(world.database, now=first + timedelta(minutes=2), settings=outgoing)
    apologies = [m for m in received.messages if number in str(m["Subject"])]
    assert len(apologies) == 1
    assert str(apologies[0]["To"]) == PAYER_MAIL
    body = apologies[0].get_payload(decode=True)
    assert isinstance(body, bytes)
    assert number in body.decode()
    assert "¥128.00" in body.decode()  # what the card was charged: the sale's amount, not "-"
    assert " -," not in body.decode()
    assert len(gateway.requests) == 2
    assert [signed for _body, signed in gateway.requests] == [True, True]
    sms = gateway.requests[1][0]
    assert sms["to"] == "+86" + PAYER_MOBILE
    assert number in str(sms["text"])
    staff.goto(case_url)
    states = staff.locator("[data-testid=message-state]").all_inner_texts()
    assert states == ["已发送", "已发送"], states
    timeline = staff.locator("[data-testid=timeline]").inner_text()
    assert "SMS gateway answered HTTP 500" in timeline

    # A photo of the slip, uploaded on the case page, shows in the evidence list.
    staff.select_option("[data-testid=evidence-kind]", "slip")
    staff.set_input_files("[data-testid=evidence-file]", files=[
        {"name": "slip.png", "mimeType": "image/png", "buffer": png_bytes(4, 4, 120)}])
    _submit(staff, "[data-testid=evidence-add]", f"/cases/{number}/evidence")
    staff.goto(case_url)
    assert "slip.png" in staff.locator("[data-testid=evidence-files]").inner_text()

    # The refund of the sale, then the case is resolved.
    staff.select_option("[data-testid=action-form] select[name=kind]", "REFUND")
    staff.fill("[data-testid=action-amount]", "128.00")
    _submit(staff, "[data-testid=perform-action]", f"/cases/{number}/actions")
    staff.goto(case_url)
    refund = staff.locator("[data-testid=actions] tbody tr")
    assert refund.count() == 1
    assert ["退货", "¥128.00", "已指示"] == refund.first.locator("td").all_inner_texts()[1:4]
    assert staff.locator("[data-testid=case-state]").inner_text() == "待处理"  # ACTION_PENDING: the refund is out
    targets = staff.locator("form[action$='/move'] select[name=state] option").evaluate_all(
        "options => options.map(o => o.value)")
    assert "RESOLVED" in targets, targets
    staff.select_option("form[action$='/move'] select[name=state]", "RESOLVED")
    staff.fill("form[action$='/move'] input[name=reason]", "refunded 128.00 to the card")
    _submit(staff, "[data-testid=move-case]", f"/cases/{number}/move")
    staff.goto(case_url)
    assert staff.locator("[data-testid=case-state]").inner_text() == "已解决"
    with world.database.unit_of_work() as session:
        assert session.execute(select(Case.state).where(Case.number == number)).scalar_one() == "RESOLVED"

    # Staff answer the complaint; the payer sees the progress and rates.
    staff.goto(complaint_url)
    staff.fill("[data-testid=answer-text]", f"We refunded 128.00; case {number} is resolved.")
    staff.click("[data-testid=send-answer]")
    staff.wait_for_selector("[data-testid=staff-answers] li:not(.muted)")
    payer.goto(status_url)
    assert payer.locator("[data-testid=complaint-state]").inner_text() == "Answered"
    assert f"case {number} is resolved" in payer.locator("[data-testid=answers]").inner_text()
    payer.check("[data-testid=rate-5]")
    payer.click("[data-testid=send-rating]")
    payer.wait_for_selector("[data-testid=rating-given]")
    assert "5 / 5" in payer.locator("[data-testid=rating-given]").inner_text()
    with world.database.unit_of_work() as session:
        assert session.execute(select(Complaint.rating)).scalar_one() == 5

    # The bundle's manifest proves its files; the report names the merchant in Chinese, as text.
    bundle = staff.request.get(f"{live_url}/cases/{number}/bundle.zip")
    assert bundle.ok, bundle.status
    archive = zipfile.ZipFile(io.BytesIO(bundle.body()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case"] == number
    listed = manifest["files"] + manifest["documents"]
    assert any(entry.get("name") == "slip.png" for entry in manifest["files"])
    for entry in listed:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"], entry["path"]
    token = token_for(world.database, "a-merchant_finance")
    report = staff.request.get(f"{live_url}/api/v1/cases/{number}/report.pdf?lang=zh",
                               headers={"Authorization": f"Bearer {token}"})
    assert report.ok, report.status
    assert MERCHANT_NAME in _pdf_text(report.body(), tmp_path)
    staff.goto(case_url)
    payer.close()
    staff.close()
