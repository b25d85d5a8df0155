"""The reject file of `--skip-bad-rows`: every rejected line, its text as in the file, and why.

It is a CSV in UTF-8 with the file's own header plus `reject_line` and `reject_reason`, so the
lines can be corrected and imported again (unknown columns are kept aside, not an error). A card
number is masked here too: a reject file is an output like any other, and like any other its cells
go through `output.safe_cell` (a formula-like value is written as text).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from recoup.output import csv_writer, safe_cell
from recoup.transactions.cards import clean_card, is_full_pan, mask_pan
from recoup.transactions.pan_guard import mask_pans

REJECT_COLUMNS = ("reject_line", "reject_reason")
ID_LENGTHS = {"merchant_id": 15, "rrn": 12, "orig_rrn": 12}  # ids kept as they are when of their format
_LONG_DIGITS = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
_SEPARATED_PAN = re.compile(r"(?<![\d])\d{4,6}(?:[ -]\d{2,6}){2,4}(?![\d])")


def mask_digits(text: str) -> str:
    """Every run of 13 to 19 digits (spaced or not) masked as a card number would be, and every card
    number pan_guard finds (in any grouping)."""
    text = _SEPARATED_PAN.sub(lambda m: _masked_if_pan(m.group(0)), text)
    return mask_pans(_LONG_DIGITS.sub(lambda m: mask_pan(m.group(0)), text))


def _masked_if_pan(value: str) -> str:
    cleaned = clean_card(value)
    return mask_pan(cleaned) if is_full_pan(cleaned) and len(cleaned) >= 13 else value


def _safe_fields(fields: list[str], card_column: int | None, id_columns: Mapping[int, int]) -> list[str]:
    safe = []
    for position, value in enumerate(fields):
        if position == card_column and is_full_pan(clean_card(value)):
            value = mask_pan(clean_card(value))
        elif position not in id_columns:
            value = mask_digits(value)
        elif len(value.strip()) != id_columns[position]:  # not an id of its format: a card number is masked
            value = mask_pans(value)
        safe.append(value)
    return safe


def safe_line(text: str, header: list[str]) -> list[str] | str:
    """The fields of a line with card numbers masked, or the masked raw text when it does not split."""
    try:
        fields = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return mask_digits(text)
    if len(fields) != len(header):
        return mask_digits(text)
    card = header.index("card") if "card" in header else None
    ids = {i: ID_LENGTHS[name] for i, name in enumerate(header) if name in ID_LENGTHS}
    return _safe_fields(fields, card, ids)


def write_reject_file(source: Path, target: Path, rejected: Iterable[tuple[int, str]], *, encoding: str) -> int:
    """Copy the rejected lines of `source` (1-based line numbers, ascending) to `target`; returns how many."""
    text_encoding = "utf-8-sig" if encoding.startswith("utf-8") else encoding
    wanted = iter(rejected)
    current = next(wanted, None)
    written = 0
    with source.open("rb") as reader, target.open("w", encoding="utf-8", newline="") as out:
        header_text = reader.readline().decode(text_encoding, errors="replace").rstrip("\r\n")
        header = [name.strip().lower() for name in next(csv.reader([header_text]), [])]
        writer = csv_writer(out)
        writer.writerow([*header, *REJECT_COLUMNS])
        for line_no, raw in enumerate(reader, start=2):
            while current is not None and current[0] < line_no:
                current = next(wanted, None)
            if current is None:
                break
            if current[0] != line_no:
                continue
            text = raw.decode(text_encoding, errors="replace").rstrip("\r\n")
            fields = safe_line(text, header)
            if isinstance(fields, str):
                out.write(_raw_row(fields, current))
            else:
                writer.writerow([*fields, str(current[0]), current[1]])
            written += 1
            current = next(wanted, None)
    return written


def _raw_row(text: str, rejected: tuple[int, str]) -> str:
    buffer = io.StringIO()
    csv_writer(buffer).writerow([str(rejected[0]), rejected[1]])
    return f"{safe_cell(text)},{buffer.getvalue()}"  # the line as it was (it does not split), its start neutralised


def write_message_rejects(source: Path, target: Path, rejected: Iterable[tuple[int, str, str]]) -> int:
    """The reject file of a switch log: line, field, reason and the message with its PAN masked."""
    by_line = {line: (column, reason) for line, column, reason in rejected}
    written = 0
    with source.open("rb") as reader, target.open("w", encoding="utf-8", newline="") as out:
        writer = csv_writer(out)
        writer.writerow(["reject_line", "reject_field", "reject_reason", "message"])
        for line_no, raw in enumerate(reader, start=1):
            if line_no in by_line:
                column, reason = by_line[line_no]
                writer.writerow([line_no, column, reason, masked_message(raw.rstrip(b"\r\n"))])
                written += 1
    return written


def masked_message(message: bytes) -> str:
    """An ISO 8583 ASCII message with field 2 masked; withheld when field 2 cannot be found for sure."""
    text = message.decode("ascii", errors="replace")
    bitmap_end = 4 + 16
    if len(text) < bitmap_end or not re.fullmatch(r"[0-9A-Fa-f]{16}", text[4:bitmap_end]):
        return "(message withheld: it cannot be read and may hold a card number)"
    primary = int(text[4:bitmap_end], 16)
    if primary >> 63 & 1:  # a secondary bitmap follows
        bitmap_end += 16
    if not primary >> 62 & 1:  # no field 2: no card number in the message
        return mask_digits(text)
    length_text = text[bitmap_end:bitmap_end + 2]
    if not length_text.isdigit() or not 12 <= int(length_text) <= 19:
        return "(message withheld: it cannot be read and may hold a card number)"
    start, end = bitmap_end + 2, bitmap_end + 2 + int(length_text)
    pan = text[start:end]
    if not pan.isdigit() or len(pan) != int(length_text):
        return "(message withheld: it cannot be read and may hold a card number)"
    return text[:start] + mask_pan(pan) + text[end:]
