"""The SPEC sample data set written out in each shipped style reconciles to exactly the native findings.

Settlement in every style (text and XLSX), the journal in the pos-journal style; `recoup reconcile`'s
file mode is given the translated inputs (ingest.reconcile_inputs), each detected from its header.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.support.samples import RECON
from tests.support.statement_styles import write_style

from recoup.errors import InvalidInput
from recoup.ingest.reconcile_inputs import native_inputs
from recoup.reconciliation.service import reconcile_files
from recoup.transactions.rejects import Reject

CARD_KEY = b"k" * 32


def findings(path: Path) -> list[tuple[str, str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sorted((row["kind"], row["cause"], row["rrn"] or row["order_no"]) for row in csv.DictReader(handle))


@pytest.fixture(scope="module")
def native_findings(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    out = tmp_path_factory.mktemp("native") / "findings.csv"
    reconcile_files(RECON / "orders.csv", RECON / "journal.csv", RECON / "settlement.csv", RECON / "merchants.csv",
                    out, card_key=CARD_KEY)
    expected = findings(out)
    assert len(expected) >= 30  # the sample's findings (expected_findings.csv), every kind
    return expected


def reconcile_styled(folder: Path, settlement: Path, journal: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    out = folder / "findings.csv"
    with native_inputs({"orders": (RECON / "orders.csv", None), "journal": (journal, None),
                        "settlement": (settlement, None)}) as inputs:
        inputs.run(lambda: reconcile_files(inputs.path("orders"), inputs.path("journal"), inputs.path("settlement"),
                                           RECON / "merchants.csv", out, card_key=CARD_KEY))
    return findings(out), inputs.notes


@pytest.mark.parametrize(("style", "xlsx"), [("allinpay-statement", False), ("check-file-fen", False),
                                             ("wallet-bill", False), ("wallet-bill", True)])
def test_each_settlement_style_reconciles_to_the_native_findings(
        style: str, xlsx: bool, tmp_path: Path, native_findings: list[tuple[str, str, str]]) -> None:
    settlement = write_style(style, RECON, tmp_path, xlsx=xlsx)
    journal = write_style("pos-journal", RECON, tmp_path) if style == "allinpay-statement" else RECON / "journal.csv"
    got, notes = reconcile_styled(tmp_path, settlement, journal)
    assert got == native_findings
    assert f"read with profile {style}" in notes[2]
    if style == "allinpay-statement":
        assert "read with profile pos-journal" in notes[1]


def test_a_refusal_of_the_reconciler_names_the_original_line_and_column(tmp_path: Path) -> None:
    settlement = write_style("check-file-fen", RECON, tmp_path, limit=20)
    with native_inputs({"settlement": (settlement, None)}) as inputs:
        refusal = InvalidInput("settlement.csv: 1 bad value(s), nothing loaded:\n"
                               "  line 8, column rrn: must be 12 characters, not 5",
                               detail=[Reject(8, "rrn", "must be 12 characters, not 5")])
        reworded = inputs.reworded(refusal)
    assert "line 8, column 检索参考号: must be 12 characters" in reworded.message  # header on line 1: same line
    assert reworded.detail == [Reject(8, "检索参考号", "must be 12 characters, not 5")]
