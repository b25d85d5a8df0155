"""The rows of a statement file as text cells with their line numbers: delimited text or an XLSX workbook.

Text: UTF-8 (with or without BOM) or GB18030, sniffed as for native files (transactions/encoding.py);
Windows line ends are fine. XLSX: the first sheet, values only; a formula whose value was never
computed is refused with its row and column (there is no value to read). Rows are numbered as the
user sees them: the line of a text file, the row of the sheet.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TextIO

from recoup.errors import InvalidInput
from recoup.transactions import encoding as enc

XLSX_MAGIC = b"PK\x03\x04"
csv.field_size_limit(1 << 20)


@dataclass(frozen=True)
class SourceInfo:
    container: str  # "text" or "xlsx"
    encoding: str  # the text's encoding ("xlsx" for a workbook)

    @property
    def typed_numbers(self) -> bool:
        """Numbers arrive as numbers (a workbook): their written shape says nothing about the unit."""
        return self.container == "xlsx"


def is_xlsx(path: Path) -> bool:
    return enc.read_head(path, 4) == XLSX_MAGIC


def sniff(path: Path) -> SourceInfo:
    if is_xlsx(path):
        return SourceInfo("xlsx", "xlsx")
    head = enc.read_head(path)
    if not head.strip():
        raise InvalidInput(f"{path.name}: empty file")
    return SourceInfo("text", enc.sniff_encoding(head, path.name))


@contextmanager
def open_rows(path: Path, delimiter: str) -> Iterator[tuple[SourceInfo, Iterator[tuple[int, list[str]]]]]:
    """(what the file is, its rows as (line number, cells)); for use in a with block."""
    info = sniff(path)
    if info.container == "xlsx":
        with _xlsx_rows(path) as rows:
            yield info, rows
        return
    text_encoding = "utf-8-sig" if info.encoding in (enc.UTF8, enc.UTF8_BOM) else enc.GB18030
    with path.open(encoding=text_encoding, newline="", errors="strict") as handle:
        yield info, _text_rows(handle, delimiter, path.name)


def _text_rows(handle: TextIO, delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    if delimiter == "|":
        reader = csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(handle, delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except UnicodeDecodeError:
        raise InvalidInput(f"{name}: after line {reader.line_num}: bytes that are neither UTF-8 nor "
                           "GB18030 text") from None
    except csv.Error as error:
        raise InvalidInput(f"{name}: line {reader.line_num}: malformed line ({error})") from None


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: object) -> str:
    """A workbook value as the text a statement would hold (never through float formatting of money)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[Iterator[tuple[int, list[str]]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # Opened from handles: the workbook's own name (an upload's private file) may have no .xlsx ending.
    with path.open("rb") as value_handle, path.open("rb") as formula_handle:
        try:
            values = openpyxl.load_workbook(value_handle, read_only=True, data_only=True)
            formulas = openpyxl.load_workbook(formula_handle, read_only=True, data_only=False)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
            raise InvalidInput(f"{path.name}: not a readable XLSX workbook") from None
        try:
            yield _sheet_rows(values.worksheets[0], formulas.worksheets[0], path.name)
        finally:
            values.close()
            formulas.close()


def _sheet_rows(values: object, formulas: object, name: str) -> Iterator[tuple[int, list[str]]]:
    pairs = zip(values.iter_rows(values_only=True), formulas.iter_rows(values_only=True),  # type: ignore[attr-defined]
                strict=False)
    for number, (row, raw) in enumerate(pairs, start=1):
        cells = []
        for index, value in enumerate(row):
            written = raw[index] if index < len(raw) else None
            if value is None and isinstance(written, str) and written.startswith("="):
                raise InvalidInput(f"{name}: line {number}, column {column_letter(index)}: a formula "
                                   f"({written[:40]}) with no computed value; save the sheet with values "
                                   "(or paste it as values) and import it again")
            cells.append(cell_text(value))
        yield number, cells
