"""Transaction search: every filter, combined, within the caller's scope; exports in the SPEC layout; and the
page of one transaction with its settlement line, order and voids/refunds."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.factories import OBJECTS, PASSWORD, World, token_for

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.cli import main
from recoup.config import Settings, get_settings
from recoup.errors import InvalidInput
from recoup.merchants.models import Merchant, Terminal
from recoup.transactions.importer import ImportOptions, import_file
from recoup.transactions.layouts import JOURNAL_LAYOUT
from recoup.transactions.search import build_filters
from recoup.transactions.service import search_rows

M_A, T_A = OBJECTS["A"]
M_A2, T_A2 = "898301054112222", "61022222"
HEADER = ",".join(JOURNAL_LAYOUT)
#            rrn             time (Shanghai)         type      status     amount    card                terminal
LINES = [
    ("000000000001", "2026-10-13T14:05:00", "SALE", "APPROVED", "1280.00", "6228480012341234", T_A, "NO1", "001"),
    ("000000000002", "2026-10-13T14:20:00", "SALE", "APPROVED", "128.00", "622848******9999", T_A, "NO2", "002"),
    ("000000000003", "2026-10-13T15:00:00", "VOID", "APPROVED", "1280.00", "6228480012341234", T_A, "NO1", "001"),
    ("000000000004", "2026-10-14T09:00:00", "SALE", "DECLINED", "1199.50", "621700******1234", T_A, "NO4", "001"),
    ("000000000005", "2026-10-13T14:30:00", "SALE", "APPROVED", "1210.00", "621700******5555", T_A2, "NO5", "003"),
]


def journal_csv(folder: Path) -> Path:
    rows = []
    for rrn, at, txn_type, status, amount, card, terminal, order, cashier in LINES:
        merchant = M_A2 if terminal == T_A2 else M_A
        orig = "000000000001" if txn_type == "VOID" else ""
        rows.append(f"{merchant},{terminal},{at},{txn_type},{status},{amount},CNY,{rrn},{rrn[-6:]},A{rrn[-5:]},"
                    f"{card},{order},{cashier},{orig},1")
    path = folder / "journal.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def other_files(folder: Path) -> tuple[Path, Path]:
    orders = folder / "orders.csv"
    orders.write_text("order_no,merchant_id,terminal_id,created_at,expected_amount,currency,cashier_id\n"
                      f"NO1,{M_A},{T_A},2026-10-13T14:04:00,128.00,CNY,001\n", encoding="utf-8")
    settlement = folder / "settlement.csv"
    settlement.write_text("settle_date,merchant_id,merchant_name,mcc,terminal_id,txn_time,txn_type,rrn,card,amount,"
                          "fee,net_amount,currency,order_no\n"
                          f"2026-10-14,{M_A},商户A,5411,{T_A},2026-10-13T14:05:00,SALE,000000000001,"
                          "622848******1234,1280.00,4.86,1275.14,CNY,NO1\n", encoding="utf-8")
    return orders, settlement


@pytest.fixture
def loaded(world: World, settings: Settings, tmp_path: Path) -> World:
    with world.database.unit_of_work() as session:
        session.add(Merchant(merchant_id=M_A2, tenant_id=world.tenants["A"].id, name="第二家", mcc="5812"))
        session.flush()
        session.add(Terminal(terminal_id=T_A2, merchant_id=M_A2, tenant_id=world.tenants["A"].id))
        admin = principal(session, World.username("A", Role.ADMIN))
        orders, settlement = other_files(tmp_path)
        for kind, path in (("journal", journal_csv(tmp_path)), ("orders", orders), ("settlement", settlement)):
            import_file(session, admin, kind, path, settings, ImportOptions())
    return world


def principal(session: object, username: str) -> Principal:
    user = session.execute(select(User).where(User.username == username)).scalar_one()  # type: ignore[attr-defined]
    return principal_for(session, user, "cli")  # type: ignore[arg-type]


def rrns(world: World, username: str, **values: str) -> list[str]:
    with world.database.unit_of_work() as session:
        filters = build_filters(values, default_timezone="Asia/Shanghai")
        return [str(row.get("rrn", row.get("order_no"))) for row in
                search_rows(session, principal(session, username), filters)]


ADMIN = World.username("A", Role.ADMIN)


FILTER_CASES: list[tuple[dict[str, str], list[str]]] = [
    ({}, ["000000000001", "000000000002", "000000000005", "000000000003", "000000000004"]),
    ({"rrn": "000000000002"}, ["000000000002"]),
    ({"order_no": "NO1"}, ["000000000001", "000000000003"]),
    ({"stan": "3"}, ["000000000003"]),
    ({"amount": "128.00"}, ["000000000002"]),
    ({"min": "1150", "max": "1250", "from": "2026-10-13T14:00", "to": "2026-10-13T18:00"}, ["000000000005"]),
    ({"from": "2026-10-14", "to": "2026-10-14"}, ["000000000004"]),
    ({"last4": "1234", "type": "消费"}, ["000000000001", "000000000004"]),
    ({"last4": "1234", "status": "declined"}, ["000000000004"]),
    ({"terminal": T_A2}, ["000000000005"]),
    ({"cashier": "001", "type": "VOID"}, ["000000000003"]),
    ({"auth_code": "A00004"}, ["000000000004"]),
    ({"in": "settlement", "last4": "1234"}, ["000000000001"]),
    ({"in": "orders", "amount": "128"}, ["NO1"]),
]


def test_filters_find_the_transaction_and_combine(loaded: World) -> None:
    found = {str(values): rrns(loaded, ADMIN, **values) for values, _ in FILTER_CASES}
    assert found == {str(values): expected for values, expected in FILTER_CASES}


def test_a_merchant_user_finds_only_their_merchants_and_another_tenant_nothing(loaded: World) -> None:
    assert "000000000005" not in rrns(loaded, World.username("A", Role.CASHIER))
    assert len(rrns(loaded, World.username("A", Role.CASHIER))) == 4
    assert rrns(loaded, World.username("B", Role.ADMIN)) == []


@pytest.mark.parametrize("values", [{"last4": "12a4"}, {"in": "orders", "rrn": "000000000001"}, {"amount": "x"},
                                    {"amount": "1", "min": "2"}, {"from": "yesterday"}, {"status": "MAYBE"},
                                    {"in": "everything"}])
def test_a_wrong_filter_is_a_clear_error(values: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        build_filters(values, default_timezone="Asia/Shanghai")


def search_cli(args: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("RECOUP_DATABASE_URL", database_url)
    monkeypatch.setenv("RECOUP_USER", ADMIN)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(sys, "argv", ["recoup", "search", *args])
    get_settings.cache_clear()
    try:
        main()
    finally:
        get_settings.cache_clear()
    return capsys.readouterr().out


def test_the_cli_exports_csv_in_the_journal_layout_and_json(loaded: World, database_url: str,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = search_cli(["--amount", "1280.00", "--format", "csv"], database_url, monkeypatch, capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(JOURNAL_LAYOUT)
    assert [(r["rrn"], r["txn_time"], r["card"]) for r in rows] == [
        ("000000000001", "2026-10-13T14:05:00+08:00", "622848******1234"),
        ("000000000003", "2026-10-13T15:00:00+08:00", "622848******1234")]
    everything = json.loads(search_cli(["--format", "json"], database_url, monkeypatch, capsys))
    assert len(everything) == 5
    assert everything[0]["amount"] == "1280.00"
    table = search_cli(["--rrn", "000000000004"], database_url, monkeypatch, capsys)
    assert "1199.50" in table


def test_the_api_searches_and_shows_one_transaction_with_all_it_links_to(loaded: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(loaded.database, ADMIN)}"}
    page = client.get("/api/v1/transactions", params={"last4": "1234", "type": "SALE", "limit": 1}, headers=headers)
    assert page.status_code == 200
    body = page.json()
    assert [item["rrn"] for item in body["items"]] == ["000000000004"]
    assert body["next_offset"] == 1
    sale = client.get("/api/v1/transactions", params={"rrn": "000000000001"}, headers=headers).json()["items"][0]
    detail = client.get(f"/api/v1/transactions/{sale['id']}", headers=headers).json()
    assert detail["journal"]["rrn"] == "000000000001"
    assert [s["net_amount"] for s in detail["settlement"]] == ["1275.14"]
    assert detail["order"]["expected_amount"] == "128.00"
    assert [r["txn_type"] for r in detail["related"]] == ["VOID"]
    wrong = client.get("/api/v1/transactions", params={"amount": "12.345"}, headers=headers)
    assert wrong.status_code == 422
    assert "decimals" in wrong.json()["error"]
    other = {"Authorization": f"Bearer {token_for(loaded.database, World.username('B', Role.ADMIN))}"}
    assert client.get(f"/api/v1/transactions/{sale['id']}", headers=other).status_code == 404


def test_the_search_page_and_the_transaction_page(loaded: World, client: TestClient) -> None:
    client.post("/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": login_token(client)})
    page = client.get("/transactions", params={"order_no": "NO1"})
    assert page.status_code == 200
    assert "000000000001" in page.text
    assert "000000000003" in page.text
    sale_page = client.get("/transactions", params={"rrn": "000000000001"}).text
    sale_link = sale_page.split('href="/transactions/')[1].split('"')[0]
    detail = client.get(f"/transactions/{sale_link}")
    assert detail.status_code == 200
    assert "¥1,275.14" in detail.text
    assert "NO1" in detail.text
    assert "622848******1234" in detail.text
    assert client.get("/transactions", params={"last4": "12"}).status_code == 200  # error shown on the page


def login_token(client: TestClient) -> str:
    page = client.get("/login").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]
