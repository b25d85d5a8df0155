"""Rows for PostgreSQL's binary COPY, encoded by DuckDB: what the journal's big imports send.

The server reads the binary format with less work than its text format: no number, date or timestamp to
parse (bench/import.py's floor, the same rows both ways: binary took 10% less server time in 9 runs of 11).
DuckDB encodes each row in SQL as the hex digits of its bytes (`hex_row_select`): a field count, then per
field its length and its value in network byte order, -1 for NULL. DuckDB writes them one row per line,
and `binary_file` turns the file into the bytes themselves (`bytes.fromhex` skips the line ends), half its
size, which is what waits on disk for the COPY. The encoding follows each column's type in the database
(`column_types`), so that an int4 column gets 4 bytes and a json column its text, whatever type DuckDB gave
the value.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)  # signature, flags, no header extension
TRAILER = struct.pack("!h", -1)
DUCKDB_OPTIONS = "FORMAT csv, HEADER false, QUOTE '', ESCAPE ''"  # one hex column: nothing to quote
COPY_OPTIONS = "(FORMAT binary)"
BLOCK = 1 << 21
_NULL = "'FFFFFFFF'"
_EPOCH_2000_US = 946_684_800_000_000  # PostgreSQL counts timestamps from 2000-01-01 00:00 UTC
_EPOCH_2000_DATE = "DATE '2000-01-01'"  # and dates from that day


def _fixed(expression: str, digits: int) -> str:
    """A whole number as `digits` hex digits, two's complement (to_hex of a BIGINT gives 16 for a negative)."""
    padded = f"lpad(to_hex(CAST({expression} AS BIGINT)), 16, '0')"
    return padded if digits == 16 else f"right({padded}, {digits})"


# The length of a text in bytes, as 8 hex digits: cut from one text of the 256 short lengths, for the short
# texts most values are (formatting them took a third of the encoder's time: bench, a million journal lines).
# One text, not a list of 256 texts: a list per text column made DuckDB bind 3,500 constants for every piece
# of a journal (planning the encoder took 36-39 ms, now 18 ms: as long as encoding 8,000 lines).
_SHORT_LENGTHS = "'" + "".join(f"{length:08X}" for length in range(256)) + "'"


def _length(expression: str) -> str:
    return (f"CASE WHEN {expression} < 256 THEN substr({_SHORT_LENGTHS}, 8 * {expression} + 1, 8) "
            f"ELSE {_fixed(expression, 8)} END")


def _field(value: str, pg_type: str) -> str:
    """The hex of one field: its length (4 bytes) and its bytes, or -1 when the value is NULL."""
    if pg_type == "int8":
        body = f"'00000008' || {_fixed(value, 16)}"
    elif pg_type == "int4":
        body = f"'00000004' || {_fixed(value, 8)}"
    elif pg_type == "int2":
        body = f"'00000002' || {_fixed(value, 4)}"
    elif pg_type == "bool":
        body = f"'00000001' || CASE WHEN {value} THEN '01' WHEN NOT {value} THEN '00' END"
    elif pg_type == "timestamptz":
        body = f"'00000008' || {_fixed(f'epoch_us(CAST({value} AS TIMESTAMP)) - {_EPOCH_2000_US}', 16)}"
    elif pg_type == "date":
        body = f"'00000004' || {_fixed(f'CAST({value} AS DATE) - {_EPOCH_2000_DATE}', 8)}"
    elif pg_type in ("varchar", "text", "bpchar", "json"):  # json's binary form is its text
        text = f"CAST({value} AS VARCHAR)"
        body = f"{_length(f'strlen({text})')} || hex({text})"
    else:
        raise ValueError(f"no binary COPY encoding for a column of type {pg_type}")
    return f"coalesce({body}, {_NULL})"


def hex_row_select(select_sql: str, pg_types: Sequence[str]) -> str:
    """`select_sql` (its columns in the table's order) as one VARCHAR column: each row's binary COPY bytes,
    in hex."""
    names = [f"c{index}" for index in range(len(pg_types))]
    fields = ", ".join(_field(name, kind) for name, kind in zip(names, pg_types, strict=True))
    # One concat of every field, not a chain of ||: each || copies the row built so far into a new string
    # (110,000 rows of 22 columns: 0.79 -> 0.54 CPU s). No field is NULL (each is coalesced), which concat
    # would drop.
    return (f"SELECT concat('{len(pg_types):04X}', {fields}) AS row_hex "
            f"FROM ({select_sql}) AS encoded ({', '.join(names)})")


def column_types(cursor: Any, table: str, columns: Sequence[str]) -> list[str]:
    """The database type of each of `columns` of `table` (pg_type's names: int8, varchar, timestamptz ...)."""
    found = dict(cursor.execute(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped", (table,)).fetchall())
    return [str(found[column]) for column in columns]


def hex_blocks(path: Path) -> Iterator[bytes]:
    """The bytes of a file of hex rows (one per line), in blocks of whole lines."""
    with path.open("rb") as handle:
        rest = b""
        while block := handle.read(BLOCK):
            block = rest + block
            end = block.rfind(b"\n") + 1
            rest = block[end:]
            if end:
                yield bytes.fromhex(block[:end].decode("ascii"))
        if rest.strip():
            yield bytes.fromhex(rest.decode("ascii"))


def binary_file(hex_path: Path) -> Path:
    """The rows of a file of hex rows as their bytes, in a file beside it (`.bin`); the hex file is removed."""
    target = hex_path.with_suffix(".bin")
    with target.open("wb") as out:
        for block in hex_blocks(hex_path):
            out.write(block)
    hex_path.unlink()
    return target
