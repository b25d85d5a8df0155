"""Importing files: normalised rows, all or nothing, once, within the importer's scope, audited."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.factories import OBJECTS, World

from recoup.audit.models import AuditEntry
from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.config import Settings
from recoup.errors import Forbidden
from recoup.merchants.models import Merchant, Terminal
from recoup.transactions.cards import card_token
from recoup.transactions.contacts import ContactSealer
from recoup.transactions.importer import ImportOptions, ImportRejected, ImportReport, import_file
from recoup.transactions.models import ImportBatch, JournalLine, Order, SettlementLine

M_A, T_A = OBJECTS["A"]
M_B, T_B = OBJECTS["B"]
PAN = "6228480012345678"
JOURNAL_HEADER = ("merchant_id,terminal_id,txn_time,txn_type,status,amount,currency,rrn,stan,auth_code,card,"
                  "order_no,cashier_id,orig_rrn,batch_no")


def jline(rrn: str, amount: str = "128.00", *, card: str = PAN, txn_type: str = "SALE", status: str = "APPROVED",
          orig: str = "", at: str = "2026-10-12T10:00:00", merchant: str = M_A, terminal: str = T_A,
          stan: str | None = None, order: str = "NO1") -> str:
    return (f"{merchant},{terminal},{at},{txn_type},{status},{amount},CNY,{rrn},{stan or rrn[-6:]},123456,{card},"
            f"{order},001,{orig},000001")


def write(tmp_path: Path, name: str, header: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


def principal(world: World, tenant: str = "A", role: Role = Role.ADMIN) -> Principal:
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username(tenant, role))).scalar_one()
        return principal_for(session, user, "cli")


def run(world: World, settings: Settings, kind: str, path: Path, who: Principal | None = None,
        **options: object) -> ImportReport:
    with world.database.unit_of_work() as session:
        return import_file(session, who or principal(world), kind, path, settings, ImportOptions(**options))  # type: ignore[arg-type]


def count(world: World, model: type) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def journal(world: World) -> list[JournalLine]:
    with world.database.unit_of_work() as session:
        return list(session.execute(select(JournalLine).order_by(JournalLine.rrn)).scalars())


def test_journal_lines_are_stored_normalised_and_without_the_card_number(world: World, settings: Settings,
                                                                          tmp_path: Path) -> None:
    path = write(tmp_path, "journal.csv", JOURNAL_HEADER, [
        jline("000000000001", "\"1,280.00\"", at="2026-10-12T10:00:00"),
        jline("000000000002", "12.5", txn_type="消费", status="成功", at="2026-10-12T02:00:00Z",
              card="622848******1234"),
    ])
    report = run(world, settings, "journal", path)
    assert (report.imported, report.rejected_rows, report.already_present) == (2, 0, 0)
    first, second = journal(world)
    assert first.amount_minor == 128000
    assert second.amount_minor == 1250
    assert first.txn_time == datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert second.txn_type == "SALE"
    assert second.status == "APPROVED"
    assert first.card_masked == "622848******5678"
    assert first.card_last4 == "5678"
    assert first.card_token == card_token(PAN, settings.card_key_bytes)
    assert second.card_token is None
    assert second.card_masked == "622848******1234"
    assert str(first.local_date) == "2026-10-12"
    assert first.import_id == report.batch_id


def test_the_same_file_twice_changes_nothing_and_says_so(world: World, settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "journal.csv", JOURNAL_HEADER, [jline("000000000001")])
    first = run(world, settings, "journal", path)
    again = run(world, settings, "journal", path)
    assert again.already_imported
    assert again.batch_id == first.batch_id
    assert "nothing changed" in again.summary()
    assert count(world, JournalLine) == 1
    assert count(world, ImportBatch) == 1


def test_rows_already_stored_are_not_duplicated(world: World, settings: Settings, tmp_path: Path) -> None:
    run(world, settings, "journal", write(tmp_path, "a.csv", JOURNAL_HEADER, [jline("000000000001")]))
    report = run(world, settings, "journal", write(tmp_path, "b.csv", JOURNAL_HEADER, [
        jline("000000000001"), jline("000000000002")]))
    assert (report.imported, report.already_present) == (1, 1)
    assert count(world, JournalLine) == 2


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_line(world: World, settings: Settings,
                                                                      tmp_path: Path) -> None:
    path = write(tmp_path, "journal.csv", JOURNAL_HEADER, [
        jline("000000000001"), jline("000000000002", "-5.00"), jline("000000000003"),
        jline("000000000004", "12.345"), jline("00000000005"),
    ])
    with pytest.raises(ImportRejected) as rejected:
        run(world, settings, "journal", path)
    by_line = {(r.line, r.column) for r in rejected.value.rejects}
    assert by_line == {(3, "amount"), (5, "amount"), (6, "rrn")}
    assert rejected.value.rejected_rows == 3
    assert count(world, JournalLine) == 0
    assert count(world, ImportBatch) == 0


def test_skip_bad_rows_imports_the_good_ones_and_writes_the_bad_ones_masked(world: World, settings: Settings,
                                                                           tmp_path: Path) -> None:
    path = write(tmp_path, "journal.csv", JOURNAL_HEADER, [
        jline("000000000001"), jline("000000000002", "abc"), jline("000000000003", merchant=M_B),
    ])
    rejects = tmp_path / "rejects.csv"
    report = run(world, settings, "journal", path, skip_bad_rows=True, reject_path=rejects)
    assert (report.imported, report.rejected_rows) == (1, 2)
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [row["reject_line"] for row in rows] == ["3", "4"]
    assert "not an amount" in rows[0]["reject_reason"]
    assert "merchant_id" in rows[1]["reject_reason"]
    assert rows[0]["rrn"] == "000000000002"
    assert rows[0]["card"] == "622848******5678"
    assert PAN not in rejects.read_text(encoding="utf-8")


def test_rows_of_merchants_outside_the_importers_scope_are_rejected_or_left_out(
        world: World, settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "journal.csv", JOURNAL_HEADER, [jline("000000000001"), jline("000000000002", merchant=M_B)])
    finance = principal(world, "A", Role.MERCHANT_FINANCE)
    with pytest.raises(ImportRejected) as rejected:
        run(world, settings, "journal", path, finance)
    assert [(r.line, r.column) for r in rejected.value.rejects] == [(3, "merchant_id")]
    report = run(world, settings, "journal", path, finance, tenant_code="A")
    assert (report.imported, report.left_out, report.rejected_rows) == (1, 1, 0)
    with pytest.raises(Forbidden):
        run(world, settings, "journal", write(tmp_path, "c.csv", JOURNAL_HEADER, [jline("000000000009")]),
            finance, tenant_code="B")


def test_a_cashier_may_not_import(world: World, settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(Forbidden):
        run(world, settings, "journal", write(tmp_path, "j.csv", JOURNAL_HEADER, [jline("000000000001")]),
            principal(world, "A", Role.CASHIER))


def test_a_refund_whose_original_is_missing_imports_with_a_warning_and_links_later(
        world: World, settings: Settings, tmp_path: Path) -> None:
    refund = write(tmp_path, "refund.csv", JOURNAL_HEADER, [
        jline("000000000002", "28.00", txn_type="REFUND", orig="000000000001", at="2026-10-13T09:00:00")])
    report = run(world, settings, "journal", refund)
    assert report.imported == 1
    assert any("not in the database" in w and "000000000001" in w for w in report.warnings)
    later = run(world, settings, "journal", write(tmp_path, "sale.csv", JOURNAL_HEADER, [jline("000000000001")]))
    assert any("now find their original" in w for w in later.warnings)


def test_every_import_leaves_an_audit_entry(world: World, settings: Settings, tmp_path: Path) -> None:
    report = run(world, settings, "journal", write(tmp_path, "j.csv", JOURNAL_HEADER, [jline("000000000001")]))
    with world.database.unit_of_work() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "import.journal")).scalar_one()
    assert entry.object_id == str(report.batch_id)
    assert entry.after is not None
    assert entry.after["imported"] == 1
    assert entry.actor == World.username("A", Role.ADMIN)


def test_merchants_and_terminals_are_registered_under_the_importers_tenant(
        world: World, settings: Settings, tmp_path: Path) -> None:
    merchants = write(tmp_path, "merchants.csv", "merchant_id,name,mcc,timezone,tenant", [
        "898301054119999,新店,5812,Asia/Shanghai,A", f"{M_B},他人的店,5411,,", "898301054118888,北方店,5411,,B"])
    with pytest.raises(ImportRejected) as rejected:
        run(world, settings, "merchants", merchants)
    assert {(r.line, r.column) for r in rejected.value.rejects} == {(3, "merchant_id"), (4, "tenant")}
    report = run(world, settings, "merchants", merchants, skip_bad_rows=True)
    assert report.imported == 1
    terminals = write(tmp_path, "terminals.csv", "terminal_id,merchant_id,model,installed_at",
                      ["61099999,898301054119999,Landi A8,2024-05-01"])
    run(world, settings, "terminals", terminals)
    with world.database.unit_of_work() as session:
        merchant = session.get(Merchant, "898301054119999")
        terminal = session.get(Terminal, "61099999")
        assert merchant is not None
        assert terminal is not None
        assert merchant.tenant_id == world.tenants["A"].id
        assert merchant.mcc == "5812"
        assert terminal.tenant_id == world.tenants["A"].id
        assert str(terminal.installed_at) == "2024-05-01"
    with pytest.raises(Forbidden):
        run(world, settings, "merchants", merchants, principal(world, "A", Role.ACQUIRER_OPS))


def test_orders_keep_the_customer_contact_sealed(world: World, settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "orders.csv",
                 "order_no,merchant_id,terminal_id,created_at,expected_amount,currency,cashier_id,customer_contact",
                 [f"NO1,{M_A},{T_A},2026-10-12T09:59:00,128.00,CNY,001,13800138000",
                  f"NO2,{M_A},,2026-10-12 12:00,5,CNY,,"])
    assert run(world, settings, "orders", path).imported == 2
    with world.database.unit_of_work() as session:
        first, second = session.execute(select(Order).order_by(Order.order_no)).scalars()
    assert first.contact_encrypted
    assert "13800138000" not in first.contact_encrypted
    assert ContactSealer(settings.keyring()).open(first.contact_encrypted, "NO1") == "13800138000"
    assert first.expected_minor == 12800
    assert second.terminal_id is None
    assert second.contact_encrypted is None


def test_settlement_lines_are_stored_with_fee_and_net(world: World, settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "settlement.csv", "settle_date,merchant_id,merchant_name,mcc,terminal_id,txn_time,"
                 "txn_type,rrn,card,amount,fee,net_amount,currency,order_no,region",
                 [f"2026-10-13,{M_A},商户A,5411,{T_A},2026-10-12T10:00:00,消费,000000000001,{PAN},128.00,0.49,"
                  "127.51,CNY,NO1,华东"])
    report = run(world, settings, "settlement", path)
    assert report.imported == 1
    assert any("region" in w for w in report.warnings)
    with world.database.unit_of_work() as session:
        line = session.execute(select(SettlementLine)).scalar_one()
    assert (line.amount_minor, line.fee_minor, line.net_minor) == (12800, 49, 12751)
    assert line.card_masked == "622848******5678"
    assert line.extra == {"region": "华东"}
