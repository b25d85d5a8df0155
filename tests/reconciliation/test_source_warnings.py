"""Sources that do not fit together are reported, not silently mismatched (another currency, other dates)."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.support.samples import RECON

from recoup.reconciliation.service import reconcile_files

KEY = b"test-card-key"


def rewrite_settlement(target: Path, change: dict[str, str]) -> Path:
    with (RECON / "settlement.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, **change} for row in rows)
    return target


def reconcile(tmp_path: Path, settlement: Path) -> list[str]:
    summary = reconcile_files(RECON / "orders.csv", RECON / "journal.csv", settlement, RECON / "merchants.csv",
                              tmp_path / "findings.csv", card_key=KEY)
    assert (tmp_path / "findings.csv").exists()
    return summary.warnings


def test_matching_samples_raise_no_warning(tmp_path: Path) -> None:
    assert reconcile(tmp_path, RECON / "settlement.csv") == []


def test_a_settlement_in_another_currency_is_reported(tmp_path: Path) -> None:
    warnings = reconcile(tmp_path, rewrite_settlement(tmp_path / "usd.csv", {"currency": "USD"}))
    assert any("the journal is in CNY but the settlement in USD" in warning for warning in warnings)
    assert any("in another currency than their journal line" in warning for warning in warnings)


def test_a_settlement_of_other_days_is_reported(tmp_path: Path) -> None:
    moved = rewrite_settlement(tmp_path / "later.csv", {"txn_time": "2026-11-02T10:00:00+08:00",
                                                         "settle_date": "2026-11-03"})
    warnings = reconcile(tmp_path, moved)
    assert any("the journal runs" in warning and "2026-11-02" in warning for warning in warnings)
