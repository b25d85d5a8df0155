"""The incident report of a case (issue 11, part 2): a PDF in Chinese and in English, read back with
pdftotext and rendered with pdftoppm; through the service, the API, the page and `recoup case report`."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.cases.test_case_world import MERCHANT_A, Finding, add_sale, admin, principal, save
from tests.support.cli import run_in_process
from tests.support.factories import PASSWORD, World, token_for

from recoup.cases.service import add_note, move_case
from recoup.errors import InvalidInput, NotFound
from recoup.evidence.incident_report import render_incident_report
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import confirm_by_hand, perform

NOW = datetime(2026, 10, 20, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai
POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) is not installed")
HOSTILE = "<script>alert(1)</script> & <b>not bold</b>"
EXPLANATION = ("收银员可能多输了一个0:订单 128.00 元,实收 1,280.00 元 / The cashier probably typed an extra 0: "
               "order CNY 128.00, charged CNY 1,280.00 [UnionPay 4507; Visa 12.5]")


def worked_case(world: World) -> str:
    """An overcharge case worked a little: a note (with markup in it), a move and a confirmed adjustment."""
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, "700000000001", 128000, order_no="NO-1")
        add_sale(session, tenant_id, "799999999999", 500000)
    number = save(world, [Finding("OVERCHARGE", MERCHANT_A, "700000000001", 128000, 12800, order_no="NO-1",
                                  cause="EXTRA_DIGIT", reason_codes=("UnionPay 4507", "Visa 12.5"),
                                  explanation=EXPLANATION)]).cases[0]
    who = admin(world)
    with world.database.unit_of_work() as session:
        add_note(session, who, number, HOSTILE)
        move_case(session, who, number, "INVESTIGATING", "顾客来电反映多扣款")
    adjustment = ActionRequest("adjustment", "1152.00", direction="debit")
    action = perform(world.database, who, number, adjustment, "incident-adj-1").action
    confirm_by_hand(world.database, who, number, int(str(action["id"])), "ACQ-ADJ-778")
    return number


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "report.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def flat(text: str) -> str:
    """pdftotext's layout breaks lines inside table cells: compare without whitespace."""
    return "".join(text.split())


@needs_poppler
def test_the_chinese_report_tells_time_place_people_cause_measures_and_outcome(world: World, tmp_path: Path) -> None:
    number = worked_case(world)
    with world.database.unit_of_work() as session:
        pdf = render_incident_report(session, admin(world), number, "zh", NOW)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    squeezed = flat(text)
    for expected in ("差错事件报告", number, "商户A", "一楼收银台", "Landi E350", "多收", "多输一位",
                     "收银员可能多输了一个0", "UnionPay4507", "a-admin", "管理员", "顾客来电反映多扣款",
                     "ACQ-ADJ-778", "¥1,152.00", "¥1,280.00", "2026-10-2009:05", "Asia/Shanghai", "第1页"):
        assert flat(expected) in squeezed, expected
    assert "The cashier probably" not in text  # the explanation in the report's language only
    for raw in ("OVERCHARGE", "EXTRA_DIGIT", "MERCHANT_OWES_PAYER", "INVESTIGATING"):
        assert raw not in text, raw
    assert "622848******1234" in squeezed  # the card only masked


@needs_poppler
def test_the_english_report_names_codes_in_words_and_prints_markup_as_typed(world: World, tmp_path: Path) -> None:
    number = worked_case(world)
    with world.database.unit_of_work() as session:
        pdf = render_incident_report(session, admin(world), number, "en", NOW)
    text = pdf_text(pdf, tmp_path)
    squeezed = flat(text)
    for expected in ("Incident report", number, "Overcharge", "extra digit", "The cashier probably typed an extra 0",
                     "Investigating", "Adjustment", "Confirmed", "¥1,152.00", "page 1 of"):
        assert flat(expected) in squeezed, expected
    for raw in ("OVERCHARGE", "EXTRA_DIGIT", "INVESTIGATING", "action_confirmed", "收银员可能"):
        assert raw not in text, raw
    assert flat(HOSTILE) in squeezed  # markup typed in a note is printed as typed, never interpreted
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True, capture_output=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5000


def test_an_unknown_language_and_another_tenants_case_are_refused(world: World) -> None:
    number = save(world, [Finding("UNSETTLED", MERCHANT_A, "710000000001", 7000, 7000)]).cases[0]
    with world.database.unit_of_work() as session:
        with pytest.raises(InvalidInput, match="zh or en"):
            render_incident_report(session, admin(world), number, "fr", NOW)
        with pytest.raises(NotFound):
            render_incident_report(session, admin(world, "B"), number, "zh", NOW)
        with pytest.raises(NotFound):
            render_incident_report(session, principal(world.database, "b-auditor"), number, "en", NOW)


def test_the_api_and_the_case_page_send_the_pdf_with_its_name(client: TestClient, world: World) -> None:
    number = worked_case(world)
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-auditor')}"}
    answer = client.get(f"/api/v1/cases/{number}/report.pdf?lang=en", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert f'filename="{number}-incident-report-en.pdf"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"%PDF")
    refused = client.get(f"/api/v1/cases/{number}/report.pdf?lang=klingon", headers=headers)
    assert refused.status_code == 422
    assert "zh or en" in refused.text
    other = {"Authorization": f"Bearer {token_for(world.database, 'b-admin')}"}
    assert client.get(f"/api/v1/cases/{number}/report.pdf?lang=zh", headers=other).status_code == 404

    login = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "a-cashier", "password": PASSWORD, "csrf_token": login})
    page = client.get(f"/cases/{number}")
    assert page.status_code == 200
    assert f"/cases/{number}/report.pdf?lang=zh" in page.text
    assert f"/cases/{number}/report.pdf?lang=en" in page.text
    assert "中文 PDF" in page.text
    assert "英文 PDF" in page.text
    download = client.get(f"/cases/{number}/report.pdf")  # without lang: the page's language
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    assert f"{number}-incident-report-zh.pdf" in download.headers["content-disposition"]


def test_the_cli_writes_the_report(world: World, database_url: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    number = worked_case(world)
    target = tmp_path / "out.pdf"
    ran = run_in_process(["case", "report", number, "--lang", "en", "--out", str(target)], database_url,
                         monkeypatch, capsys)
    assert ran.code == 0, ran.err
    assert str(target) in ran.out
    assert target.read_bytes().startswith(b"%PDF")
    refused = run_in_process(["case", "report", number, "--lang", "de", "--out", str(tmp_path / "de.pdf")],
                             database_url, monkeypatch, capsys)
    assert refused.code != 0
    assert "zh or en" in refused.err + refused.out
    assert not (tmp_path / "de.pdf").exists()
