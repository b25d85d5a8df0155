"""The loads of a reconcile run alone (what bench/reconcile.py times as its floor) read every input whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.samples import RECON

from recoup.errors import InvalidInput
from recoup.reconciliation.service import load_files_only


def _data_lines(name: str) -> int:
    return len((RECON / name).read_text(encoding="utf-8").splitlines()) - 1


def test_every_input_is_loaded_in_full() -> None:
    rows = load_files_only(RECON / "orders.csv", RECON / "journal.csv", RECON / "settlement.csv",
                           RECON / "merchants.csv", card_key=b"test-key")
    assert rows == {name: _data_lines(f"{name}.csv") for name in ("merchants", "orders", "journal", "settlement")}


def test_a_bad_input_is_refused_as_by_reconcile(tmp_path: Path) -> None:
    broken = tmp_path / "journal.csv"
    broken.write_text((RECON / "journal.csv").read_text(encoding="utf-8").replace(",CNY,", ",XYZ,", 1),
                      encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown currency"):
        load_files_only(RECON / "orders.csv", broken, RECON / "settlement.csv", None, card_key=b"test-key")
