"""Chargeback lines in a settlement file are no clearing of a terminal's transaction: reconciliation
(the DuckDB engine, over the CSV files) finds exactly what it finds without them, and warns the same."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.support.samples import RECON

from recoup.reconciliation.service import reconcile_files

KEY = b"test-card-key"
SETTLED_SALE = "430327853023"  # a sale of the sample settlement (terminal 61012051, 512.93)


def _with_chargebacks(target: Path) -> Path:
    with (RECON / "settlement.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    sale = next(row for row in rows if row["rrn"] == SETTLED_SALE)
    later = {"settle_date": "2026-10-28", "txn_time": "2026-10-27T09:00:00+08:00"}  # a day nothing else covers
    added = [
        {**sale, **later, "txn_type": "CHARGEBACK"},  # the sale taken back: same terminal, RRN and amount
        {**sale, **later, "txn_type": "退单冲回", "settle_date": "2026-11-20"},  # and returned (Chinese alias)
        {**sale, "txn_type": "CHARGEBACK", "amount": "100.00", "net_amount": "100.00", "fee": "0.00",
         "settle_date": "2026-10-30", "mcc": "9999"},  # a part of it, under another MCC
        {**sale, **later, "txn_type": "CHARGEBACK", "rrn": "999999999999"},  # a sale the journal never saw
    ]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows + added)
    return target


def _reconcile(folder: Path, settlement: Path) -> tuple[str, list[str], int]:
    folder.mkdir()
    out = folder / "findings.csv"
    summary = reconcile_files(RECON / "orders.csv", RECON / "journal.csv", settlement, RECON / "merchants.csv",
                              out, card_key=KEY)
    return out.read_text(encoding="utf-8"), summary.warnings, summary.rows["settlement"]


def test_chargeback_lines_change_no_finding_and_no_warning(tmp_path: Path) -> None:
    plain, plain_warnings, plain_rows = _reconcile(tmp_path / "plain", RECON / "settlement.csv")
    charged, charged_warnings, charged_rows = _reconcile(tmp_path / "charged", _with_chargebacks(tmp_path / "s.csv"))
    assert charged_rows == plain_rows + 4  # the lines were read (and accepted), then left alone
    assert charged == plain
    assert charged_warnings == plain_warnings
    assert "999999999999" not in charged  # no UNKNOWN_SETTLEMENT for the chargeback the journal never saw
