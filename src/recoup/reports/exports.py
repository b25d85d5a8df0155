"""The report as files people open (issue 14): an XLSX workbook (openpyxl) and a PDF (reportlab, in
`recoup.reports.pdf`), in Chinese or English.

The XLSX has one sheet per table of `recoup.reports.tables`, with real numbers and dates (money in major
units with the currency's number format, rates as percentages), the heading row frozen, columns sized
to their content, and native Excel charts for the days and the kinds.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from recoup.money import CURRENCY_SYMBOLS, exponent_of
from recoup.reports.pdf import render_pdf
from recoup.reports.summary import Summary, major
from recoup.reports.tables import Table, Value, cell_format, report_tables, scope_text, translator

__all__ = ["render_pdf", "render_xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"int": "#,##0", "rate": "0.0%", "hours": "0.0", "permille": "0.0", "date": "yyyy-mm-dd"}
_SHEET_NAME_REFUSED = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def money_number_format(currency: str) -> str:
    """An Excel number format showing the currency's symbol (or code) and its decimals: "¥"#,##0.00."""
    decimals = exponent_of(currency)
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f'"{symbol}"{number};-"{symbol}"{number}'


def _cell_value(value: Value, fmt: str, currency: str) -> Value:
    if fmt == "money" and isinstance(value, int | float) and value is not None:
        return major(int(value), currency)
    return value


def _display_width(value: object) -> int:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _write_table(sheet: Worksheet, table: Table, currency: str) -> None:
    sheet.append(list(table.headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [_display_width(heading) for heading in table.headings]
    for row_index, row in enumerate(table.rows):
        formats = [cell_format(table, row_index, column) for column in range(len(row))]
        sheet.append([_cell_value(value, fmt, currency) for value, fmt in zip(row, formats, strict=True)])
        for column, (value, fmt) in enumerate(zip(row, formats, strict=True)):
            cell = sheet.cell(row=row_index + 2, column=column + 1)
            if fmt == "money":
                cell.number_format = money_number_format(currency)
            elif fmt in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[fmt]
            widths[column] = max(widths[column], _display_width(value) + (4 if fmt == "money" else 0))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 60)
    sheet.freeze_panes = "A2"


def _day_chart(sheet: Worksheet, t: Callable[[str], str]) -> None:
    rows = sheet.max_row
    bars = BarChart()
    bars.title = t("Findings and differences by day")
    bars.y_axis.title = t("Findings")
    bars.add_data(Reference(sheet, min_col=2, min_row=1, max_row=rows), titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows))
    line = LineChart()
    line.add_data(Reference(sheet, min_col=3, min_row=1, max_row=rows), titles_from_data=True)
    line.y_axis.axId = 200
    line.y_axis.title = t("Difference")
    line.y_axis.crosses = "max"
    bars += line
    bars.width, bars.height = 22, 9
    sheet.add_chart(bars, "E2")


def _kind_chart(sheet: Worksheet, t: Callable[[str], str]) -> None:
    rows = sheet.max_row
    bars = BarChart()
    bars.type = "bar"  # horizontal: kind names read along the axis
    bars.title = t("Findings by kind")
    bars.add_data(Reference(sheet, min_col=2, min_row=1, max_row=rows), titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows))
    bars.width, bars.height = 18, 9
    sheet.add_chart(bars, "G2")


def _about_sheet(sheet: Worksheet, summary: Summary, t: Callable[[str], str]) -> None:
    sheet.title = t("Report")[:31]
    sheet.append([t("Recoup report"), ""])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in ((t("From"), summary.date_from), (t("To"), summary.date_to),
                         (t("Merchants"), scope_text(summary, t)), (t("Currency"), summary.currency)):
        sheet.append([label, value])
        if isinstance(value, date):
            sheet.cell(row=sheet.max_row, column=2).number_format = NUMBER_FORMATS["date"]
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 40


def sheet_name(title: str) -> str:
    return title.translate(_SHEET_NAME_REFUSED)[:31]


def render_xlsx(summary: Summary, lang: str) -> bytes:
    t = translator(lang)
    workbook = Workbook()
    about = workbook.active
    assert about is not None  # a new workbook has its first sheet
    _about_sheet(about, summary, t)
    for table in report_tables(summary, t):
        sheet = workbook.create_sheet(sheet_name(table.title))
        _write_table(sheet, table, summary.currency)
        if table.key == "by_day" and table.rows:
            _day_chart(sheet, t)
        elif table.key == "by_kind" and table.rows:
            _kind_chart(sheet, t)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
