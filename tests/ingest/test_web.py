"""The upload page for statements (detected profile, first mapped rows, then the import; a mapping page for
an unknown layout) and the API's `profile` field. Both engines; Chinese and English pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.factories import PASSWORD, World, token_for

from recoup.auth.roles import Role
from recoup.ingest.models import StatementProfile
from recoup.transactions.models import SettlementLine

STATEMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
ADMIN = World.username("A", Role.ADMIN)
ODD_HEADER = "记账日,商户编码,终端,MCC,日期,时间,类别,系统参考号,账号,金额(元),费用,币别"
ODD_LINES = [
    "2026-10-13,898301054111439,61027889,5411,20261012,081237,消费,148361841774,621661*********8652,69.00,0.26,CNY",
    "2026-10-13,898301054111439,61027889,5411,20261012,090117,退货,464696392975,621483******1944,172.00,0.65,CNY",
]


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def log_in(client: TestClient, locale: str) -> str:
    login = csrf_of(client.get("/login").text)
    client.post("/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": login})
    client.post("/lang", data={"locale": locale, "next": "/imports", "csrf_token": csrf_of(client.get("/").text)})
    return csrf_of(client.get("/imports").text)


def settled(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(SettlementLine)).scalar_one())


@pytest.mark.parametrize(("locale", "words"), [("zh_CN", ("对账单预览", "清算日期", "消费")),
                                               ("en", ("Statement preview", "Settlement date", "Transaction time"))])
def test_the_page_shows_the_detected_profile_and_the_first_rows_then_imports(
        world: World, client: TestClient, locale: str, words: tuple[str, ...]) -> None:
    csrf = log_in(client, locale)
    upload = client.post("/imports/statement", data={"kind": "settlement", "profile": "", "csrf_token": csrf},
                         files={"file": ("bill.xlsx", (STATEMENTS / "wallet-bill.xlsx").read_bytes())})
    assert upload.status_code == 200, upload.text
    assert "wallet-bill" in upload.text.split('data-testid="detected-profile"')[1].split("</p>")[0]
    preview = upload.text.split('data-testid="statement-preview"')[1].split("</table>")[0]
    assert "148361841774" in preview
    assert preview.count("<tr>") == 1 + 10  # the header and the first ten rows
    assert "¥69.00" in preview
    assert all(word in upload.text for word in words)
    assert settled(world) == 0  # a preview imports nothing
    action = upload.text.split('action="/imports/statement/')[1].split('"')[0]
    done = client.post(f"/imports/statement/{action}", data={"profile": "wallet-bill", "csrf_token": csrf})
    assert done.status_code == 200, done.text
    assert 'data-testid="import-imported">12<' in done.text
    assert settled(world) == 12
    gone = client.post(f"/imports/statement/{action}", data={"profile": "wallet-bill", "csrf_token": csrf})
    assert gone.status_code == 404


def test_an_unknown_layout_gets_a_proposed_mapping_that_is_saved_for_the_tenant(
        world: World, client: TestClient) -> None:
    csrf = log_in(client, "en")
    body = "\n".join([ODD_HEADER, *ODD_LINES]) + "\n"
    upload = client.post("/imports/statement", data={"kind": "settlement", "csrf_token": csrf},
                         files={"file": ("odd.csv", body.encode())}, follow_redirects=True)
    assert upload.status_code == 200
    page = upload.text
    assert "Map a statement" in page
    proposed = page.split('data-testid="map-rrn"')[1].split("</select>")[0]
    assert 'value="7" selected' in proposed  # 系统参考号: name and 12-character values
    assert 'value="5" selected' in page.split('data-testid="time-txn_time"')[1].split("</select>")[0]
    token = upload.url.path.split("/")[3]
    form = {"csrf_token": csrf, "name": "odd-bank", "unit": "yuan", "sign": "positive",
            **{f"map_{name}": "" for name in ("merchant_name", "stan", "net_amount", "order_no", "fee")},
            "map_settle_date": "0", "fmt_settle_date": "yyyy-MM-dd", "map_merchant_id": "1", "map_terminal_id": "2",
            "map_mcc": "3", "map_txn_time": "4", "time_txn_time": "5", "fmt_txn_time": "yyyyMMdd",
            "tfmt_txn_time": "HHmmss", "map_txn_type": "6", "map_rrn": "", "map_card": "8", "map_amount": "9",
            "map_currency": "11"}
    missing = client.post(f"/imports/statement/{token}/mapping", data={**form, "action": "preview"})
    assert missing.status_code == 422
    assert "required field(s) of settlement mapped to nothing: rrn" in missing.text
    shown = client.post(f"/imports/statement/{token}/mapping", data={**form, "map_rrn": "7", "action": "preview"})
    assert shown.status_code == 200, shown.text
    assert "464696392975" in shown.text.split('data-testid="statement-preview"')[1]
    saved = client.post(f"/imports/statement/{token}/mapping", data={**form, "map_rrn": "7", "action": "save"})
    assert "profile odd-bank saved for your tenant" in saved.text
    with world.database.unit_of_work() as session:
        assert session.execute(select(StatementProfile.name)).scalars().all() == ["odd-bank"]
    done = client.post(f"/imports/statement/{token}/import", data={"profile": "odd-bank", "csrf_token": csrf})
    assert 'data-testid="import-imported">2<' in done.text
    assert settled(world) == 2


def test_the_api_reads_a_statement_through_the_named_or_detected_profile(world: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, ADMIN)}"}
    sent = client.post("/api/v1/imports", headers=headers, data={"kind": "settlement"},
                       files={"file": ("check.txt", (STATEMENTS / "check-file-fen.txt").read_bytes())})
    assert sent.status_code == 201, sent.text
    assert sent.json()["imported"] == 12
    assert "read with profile check-file-fen" in sent.json()["warnings"][0]
    wrong = client.post("/api/v1/imports", headers=headers, data={"kind": "settlement", "profile": "wallet-bill"},
                        files={"file": ("check.txt", (STATEMENTS / "check-file-fen.txt").read_bytes())})
    assert wrong.status_code == 422
    assert "no header with the columns of profile wallet-bill" in wrong.text
