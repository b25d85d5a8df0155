"""The report as files (issue 14): the XLSX opens with openpyxl with real numbers, dates, money formats,
frozen headings and native charts, its totals equal to the JSON's; the PDF's Chinese and English text
is read back with pdftotext and its first page renders with pdftoppm."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from tests.reports.report_samples import HOSTILE, MERCHANT_NAME, sample_summary

from recoup.reports.exports import render_pdf, render_xlsx
from recoup.reports.summary import Summary, Totals, to_json

POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None


def _workbook(summary: Summary, lang: str = "en"):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(render_xlsx(summary, lang)))


def _totals(sheet) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)}


def test_the_workbook_has_one_sheet_per_table_with_frozen_headings() -> None:
    book = _workbook(sample_summary())
    assert book.sheetnames == ["Report", "Totals", "By kind", "By cause", "By day", "Worst terminals",
                               "Worst cashiers", "Recovery funnel", "Ageing of open cases", "Prevention"]
    for name in book.sheetnames[1:]:
        assert book[name].freeze_panes == "A2", name
        assert book[name].column_dimensions["A"].width >= 10
    assert [cell.value for cell in book["By kind"][1]] == ["Kind", "Findings", "Cases", "Amount at stake",
                                                           "Amount recovered"]


def test_numbers_are_numbers_dates_are_dates_and_money_has_its_currency() -> None:
    book = _workbook(sample_summary())
    days = book["By day"]
    first = days["A2"]
    assert isinstance(first.value, datetime)
    assert first.value.date().isoformat() == "2026-03-01"
    assert first.number_format == "yyyy-mm-dd"
    assert days["B2"].value == 1
    assert isinstance(days["B2"].value, int)
    assert days["C2"].value == pytest.approx(123.45)
    assert "¥" in days["C2"].number_format
    assert days["C2"].number_format.count("0.00") >= 1  # two decimals for CNY
    kinds = book["By kind"]
    assert kinds["D2"].value == pytest.approx(9000.0)
    assert "#,##0.00" in kinds["D2"].number_format
    totals = book["Totals"]
    assert totals["B6"].value == pytest.approx(0.5)
    assert totals["B6"].number_format == "0.0%"
    yen = _workbook(sample_summary(currency="JPY"))["By day"]["C2"]
    assert yen.value == 12345
    assert ".00" not in yen.number_format


def test_the_totals_equal_the_json_and_show_the_previous_period_and_the_change() -> None:
    summary = sample_summary()
    shown = _totals(_workbook(summary)["Totals"])
    report = to_json(summary)["totals"]
    assert isinstance(report, dict)
    assert shown["Findings"] == report["findings"] == 25
    assert shown["Cases"] == report["cases"]
    assert shown["Amount at stake"] == report["amount_at_stake"] == 12345.67
    assert shown["Amount recovered"] == report["amount_recovered"]
    assert shown["Recovery rate (amount)"] == report["recovery_rate"]
    sheet = _workbook(summary)["Totals"]
    findings_row = [cell.value for cell in sheet[2]]
    assert findings_row == ["Findings", 25, 20, 5, 0.25]  # this period, previous, change, change as a fraction


def test_the_days_and_the_kinds_have_native_excel_charts() -> None:
    book = _workbook(sample_summary(), "zh")
    assert len(book["按日"]._charts) == 1
    assert len(book["按类型"]._charts) == 1
    assert [cell.value for cell in book["按类型"]["A"][1:]] == ["多收", "重复扣款"]  # kinds in words


def test_a_formula_like_label_stays_text_in_the_workbook() -> None:
    book = _workbook(sample_summary(terminal=HOSTILE))
    cell = book["Worst terminals"]["A2"]
    assert cell.value == HOSTILE
    assert cell.data_type == "s"


def test_the_worst_lists_name_their_merchants_and_the_json_keeps_ids() -> None:
    book = _workbook(sample_summary())
    assert [cell.value for cell in book["Worst terminals"][2]][:2] == ["61020001", MERCHANT_NAME]
    assert book["Worst cashiers"]["B2"].value == "898301054110002"  # no name on file: the id
    report = to_json(sample_summary())
    assert report["worst_terminals"] == [{"key": "61020001", "merchant_id": "898301054110001", "transactions": 240,
                                          "findings": 3, "per_thousand": 12.5}]


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=10**13),
       st.sampled_from(["CNY", "JPY", "USD"]))
def test_money_in_the_workbook_is_the_jsons_for_any_amount(stake: int, recovered: int, currency: str) -> None:
    summary = sample_summary(currency=currency)
    summary = Summary(**{**summary.__dict__, "totals": Totals(amount_at_stake_minor=stake,
                                                              amount_recovered_minor=recovered)})
    shown = _totals(_workbook(summary)["Totals"])
    report = to_json(summary)["totals"]
    assert isinstance(report, dict)
    assert (shown["Amount at stake"], shown["Amount recovered"]) == (report["amount_at_stake"],
                                                                      report["amount_recovered"])


def _pdf_text(pdf: bytes, folder: Path) -> str:
    path = folder / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True, timeout=30).stdout


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) is not installed: make system-packages")
def test_the_pdf_reads_back_in_chinese_and_renders(tmp_path: Path) -> None:
    pdf = render_pdf(sample_summary(), "zh")
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    assert "差错追回报表" in text  # the title
    assert "多收" in text
    assert "重复扣款" in text
    assert "多输一位" in text
    assert "2026-03-01" in text
    assert "898301054110001" in text  # the report's scope
    assert MERCHANT_NAME in text  # the worst terminal's merchant, by name
    assert "¥12,345.67" in text  # the totals table
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True, timeout=30)
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 10_000  # a drawn page, not a blank one


@pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")
def test_the_pdf_in_english_and_a_hostile_label(tmp_path: Path) -> None:
    text = _pdf_text(render_pdf(sample_summary(terminal=HOSTILE), "en"), tmp_path)
    assert "Recoup report" in text
    assert "Overcharge" in text
    assert "Duplicate charge" in text
    assert '<script>alert("x")</script>' in text  # printed as it is, not taken as markup


def test_the_same_summary_gives_the_same_pdf() -> None:
    assert render_pdf(sample_summary(), "zh") == render_pdf(sample_summary(), "zh")
