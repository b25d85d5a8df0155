"""0015 keeps each finding's cashier on the finding: the findings stored before it get the cashier of their
journal line (same tenant, merchant, terminal and RRN; none when no line names one), nothing else changes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from tests.support.old_schema import add_run, add_tenant

from recoup.migrations.runner import upgrade

LINE = ("INSERT INTO journal_lines (tenant_id, merchant_id, terminal_id, txn_time, local_date, txn_type, status, "
        "amount_minor, currency, rrn, stan, auth_code, card_masked, card_last4, order_no, cashier_id, orig_rrn, "
        "batch_no, flagged_stopped) VALUES (1, :merchant, :terminal, '2026-10-16 02:00:00', '2026-10-16', "
        ":kind, 'APPROVED', 1000, 'CNY', :rrn, :stan, '', '', '', '', :cashier, '', '', 0)")
FINDING = ("INSERT INTO findings (tenant_id, finding_id, run_id, last_run_id, kind, merchant_id, terminal_id, rrn, "
           "related_rrn, order_no, charged_minor, expected_minor, difference_minor, currency, confidence, "
           "reason_codes, explanation, first_seen_at) VALUES (1, :id, 1, 1, 'OVERCHARGE', :merchant, :terminal, "
           ":rrn, '', '', 10000, 1000, 9000, 'CNY', 1.0, '[]', 'keyed ten times', '2026-10-17 04:00:00')")


def test_the_upgrade_gives_each_stored_finding_the_cashier_of_its_journal_line(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0014")
    with engine.begin() as connection:
        add_tenant(connection)
        add_run(connection, 1, findings=4, new=4, opened=0)
        for merchant, terminal, rrn, kind, stan, cashier in [
                ("M1", "T1", "000000000001", "SALE", "1", "c07"), ("M1", "T1", "000000000001", "VOID", "2", "c03"),
                ("M1", "T1", "000000000002", "SALE", "3", ""), ("M1", "T2", "000000000003", "SALE", "4", "c09")]:
            connection.execute(text(LINE), {"merchant": merchant, "terminal": terminal, "rrn": rrn, "kind": kind,
                                            "stan": stan, "cashier": cashier})
        for finding_id, terminal, rrn in [("F1", "T1", "000000000001"), ("F2", "T1", "000000000002"),
                                          ("F3", "T1", "000000000003"), ("F4", "T1", "")]:
            connection.execute(text(FINDING), {"id": finding_id, "merchant": "M1", "terminal": terminal, "rrn": rrn})
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT finding_id, cashier_id, explanation, difference_minor FROM findings "
                                       "ORDER BY finding_id")).all()
    engine.dispose()
    assert [row[:2] for row in rows] == [
        ("F1", "c03"),  # two lines name a cashier: the smallest, as the reports always counted it
        ("F2", None),  # its line names no cashier
        ("F3", None),  # the line of that RRN is at another terminal
        ("F4", None),  # no RRN
    ]
    assert {row[2:] for row in rows} == {("keyed ten times", 9000)}  # nothing else changed
