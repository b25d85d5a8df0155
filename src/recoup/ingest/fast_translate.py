"""The translation of a big statement file as ONE DuckDB SQL projection over read_csv (issue 16, speed).

The same rules as the Python pass (translate.py), written as SQL: cells trimmed and their prefix
stripped, dates and times through the format's regular expression, fen to yuan, a negative refund made
positive, value maps and the SPEC aliases as CASE, masks without leading digits dropped. Every value the
SQL cannot turn into its native text becomes NULL; one aggregate pass counts them. Only a file with none
(and with one detail line per physical line after the header) is written here; otherwise `None` tells
the caller to run the Python pass, which names the line and column of every bad value exactly. Files
this path leaves to Python: workbooks, GB18030 text, profiles with summary lines.
"""

from __future__ import annotations

import csv
import re
from array import array
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recoup.ingest.columns import Resolved, fits, header_names, resolve
from recoup.ingest.profile import Profile
from recoup.ingest.reading import open_rows, sniff
from recoup.ingest.timeformats import TimeFormat
from recoup.ingest.values import REFUND_LIKE
from recoup.scratch import scratch_folder
from recoup.transactions import encoding as enc
from recoup.transactions.duck import configure
from recoup.transactions.enums import STATUS_ALIASES, TXN_TYPE_ALIASES, alias_case_sql
from recoup.transactions.schema import KINDS, MINOR_COLUMN, FieldKind

PREVIEW_ROWS = 10
_CHUNK = 1 << 22


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _cleaned(index: int, prefix: str, spaced: bool) -> str:
    """A cell as clean_cells leaves it (a file with no space at a cell's edge needs no trimming)."""
    cell = f"coalesce(c{index}, '')"
    trimmed = f"trim({cell})" if spaced or prefix else cell
    return f"trim(ltrim({trimmed}, {_literal(prefix)}))" if prefix else trimmed


def _time(format_: TimeFormat, text: str, empty: str) -> str:
    groups = format_.pattern.groupindex
    pattern = _literal(format_.pattern.pattern)

    def part(name: str) -> str:
        return f"lpad(regexp_extract({text}, {pattern}, {groups[name]}), 2, '0')"

    day = f"regexp_extract({text}, {pattern}, {groups['y']}) || '-' || {part('mo')} || '-' || {part('d')}"
    iso = f"{day} || 'T' || {part('h')} || ':' || {part('mi')} || ':' || {part('s')}" if format_.has_time else day
    fixed = _fixed_time(format_, text)
    return (f"CASE WHEN {empty} THEN '' WHEN NOT regexp_full_match({text}, {pattern}) THEN NULL "
            f"{fixed}ELSE {iso} END")


def _fixed_time(format_: TimeFormat, text: str) -> str:
    """The usual case, a value as wide as its format: cut in pieces, as TimeFormat.iso does."""
    cut = format_.slices
    if cut is None:
        return ""

    def piece(at: int) -> str:
        return f"substr({text}, {cut[at][0] + 1}, {cut[at][1] - cut[at][0]})"

    day = f"{piece(0)} || '-' || {piece(1)} || '-' || {piece(2)}"
    iso = day if len(cut) == 3 else f"{day} || 'T' || {piece(3)} || ':' || {piece(4)} || ':' || {piece(5)}"
    return f"WHEN length({text}) = {len(format_.text)} THEN {iso} "


def _amount(cell: str, unit: str, negative_ok: str) -> str:
    if unit == "fen":
        def fen(digits: str) -> str:
            value = f"CAST({digits} AS BIGINT)"
            return f"CAST({value} // 100 AS VARCHAR) || '.' || lpad(CAST({value} % 100 AS VARCHAR), 2, '0')"
        plain, negative = fen(cell), fen(f"substr({cell}, 2)")
        shape = r"\d{1,17}"
    else:
        plain, negative, shape = cell, f"substr({cell}, 2)", r"\d+(\.\d{1,2})?"
    return (f"CASE WHEN {cell} = '' THEN '' WHEN regexp_full_match({cell}, '{shape}') THEN {plain} "
            f"WHEN {negative_ok} AND regexp_full_match({cell}, '-{shape}') THEN {negative} ELSE NULL END")


def _mapped(cell: str, values: dict[str, str], aliases: dict[str, str]) -> str:
    if not values:
        return cell
    branches = " ".join(f"WHEN {_literal(word)} THEN {_literal(code)}" for word, code in values.items())
    return f"CASE {cell} {branches} ELSE {alias_case_sql(cell, aliases)} END"


def _card(cell: str) -> str:
    compact = f"CASE WHEN contains({cell}, ' ') THEN regexp_replace({cell}, '\\s+', '', 'g') ELSE {cell} END"
    return f"CASE WHEN regexp_full_match({compact}, '[*xX]+\\d{{4}}') THEN '' ELSE {compact} END"


class _Unsupported(Exception):
    """A field the SQL path does not handle: the Python pass reads the file."""


def _expression(target: str, resolved: Resolved, profile: Profile, kind_sql: str) -> str:
    mapping = resolved.mapping
    if mapping.value is not None and not resolved.indexes:
        return _literal(mapping.value)
    cells = [f"k{index}" for index in resolved.indexes]
    spec = KINDS[profile.kind].field(target)
    if spec.kind in (FieldKind.TIME, FieldKind.DATE):
        if mapping.time_format is None:
            return cells[0]
        if len(cells) > 1:
            return _time(mapping.time_format, f"({cells[0]} || ' ' || {cells[1]})",
                         f"{cells[0]} = '' AND {cells[1]} = ''")
        return _time(mapping.time_format, cells[0], f"{cells[0]} = ''")
    if target in MINOR_COLUMN:
        refunds = ", ".join(_literal(kind) for kind in sorted(REFUND_LIKE))
        negative_ok = f"({kind_sql}) IN ({refunds})" if profile.sign == "negative_refunds" else "false"
        return _amount(cells[0], profile.amount_unit, negative_ok)
    if spec.kind is FieldKind.TXN_TYPE:
        return _mapped(cells[0], mapping.values, TXN_TYPE_ALIASES)
    if spec.kind is FieldKind.STATUS:
        return _mapped(cells[0], mapping.values, STATUS_ALIASES)
    if spec.kind is FieldKind.CARD:
        return _card(cells[0])
    return cells[0]


def _header(path: Path, profile: Profile) -> tuple[int, list[str], int] | None:
    """(line, names, cells on the header line) of the profile's header, or None."""
    with open_rows(path, profile.delimiter) as (_, rows):
        for line, cells in rows:
            names = header_names(cells, profile.strip_prefix)
            if fits(profile, names):
                return line, names, len(cells)
            if line >= profile.header_within:
                return None
    return None


@dataclass(frozen=True)
class Scan:
    lines: int  # physical lines
    odd_space: bool  # white space other than the space, which str.strip() would remove at a cell's edge
    spaced: bool  # a space next to a separator or a line end: cells need trimming


_ODD_BYTES = re.compile(rb"[\x0b\x0c\x1c-\x1f]")
_ODD_SEQUENCES = tuple(c.encode() for c in map(chr, range(0x80, 0x3001)) if c.isspace())
_RARE = bytes(sorted({0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F} | {sequence[0] for sequence in _ODD_SEQUENCES}))


def scan(path: Path, delimiter: str, header_line: int) -> Scan:
    """One pass over the bytes (UTF-8): lines, and the white space the SQL reading would treat otherwise."""
    sep = delimiter.encode()
    edges = (b" " + sep, sep + b" ", b"\n ", b" \n", b" \r\n")
    count, odd, spaced, tail = 0, False, False, b""
    with path.open("rb") as handle:
        chunk = handle.read(_CHUNK)
        while chunk:
            following = handle.read(_CHUNK)
            window = tail + chunk
            if count < header_line:  # the title and header lines may have spaces where cells may not
                start = _after_lines(window, header_line - count)
                window, tail = window[start:], b""
            count += chunk.count(b"\n")
            odd = odd or _odd(window, delimiter, bool(following))
            spaced = spaced or (b" " in window and any(edge in window for edge in edges))
            tail, chunk = chunk[-3:], following
    return Scan(count + (0 if tail[-1:] in (b"\n", b"") else 1), odd, spaced)


def _after_lines(window: bytes, lines: int) -> int:
    at = -1
    for _ in range(lines):
        at = window.find(b"\n", at + 1)
        if at < 0:
            return len(window)
    return at


def _odd(window: bytes, delimiter: str, more: bool) -> bool:
    """White space other than the space (a tab only when it does not separate the cells); a lone CR."""
    rare = _RARE if delimiter == "\t" else _RARE + b"\t"
    if len(window.translate(None, rare)) == len(window):  # the usual case: none of their bytes at all
        return False
    if _ODD_BYTES.search(window) or (delimiter != "\t" and b"\t" in window):
        return True
    lone_cr = window.count(b"\r") - window.count(b"\r\n") - (1 if more and window.endswith(b"\r") else 0)
    return lone_cr > 0 or any(sequence in window for sequence in _ODD_SEQUENCES)


def _source(path: Path, profile: Profile, header_line: int, width: int) -> str:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    quote = "quote = '', escape = ''" if profile.delimiter == "|" else "quote = '\"', escape = '\"'"
    return (f"read_csv({_literal(str(path))}, delim = {_literal(profile.delimiter)}, {quote}, header = false, "
            f"skip = {header_line}, auto_detect = false, columns = {{{columns}}}, strict_mode = true, "
            "null_padding = false)")


@dataclass(frozen=True)
class FastResult:
    """What the SQL path wrote: the native columns, where they came from, the rows and their lines."""

    header_line: int
    targets: list[str]
    labels: dict[str, str]
    rows: int
    preview: list[dict[str, str]]

    @property
    def line_map(self) -> array[int]:
        return array("l", range(self.header_line + 1, self.header_line + 1 + self.rows))


def translate_sql(path: Path, profile: Profile, target: Path, file_name: str) -> FastResult | None:
    """Write the native file of `path` at `target` with one SQL projection; None: use the Python pass."""
    if profile.delimiter == "xlsx" or profile.summary_pattern is not None:
        return None
    info = sniff(path)
    if info.container != "text" or info.encoding not in (enc.UTF8, enc.UTF8_BOM):
        return None
    header = _header(path, profile)
    if header is None:
        return None
    header_line, names, width = header
    resolved = resolve(profile, names, header_line, file_name)
    order = sorted(resolved, key=lambda name: name != "txn_type")
    kind_sql = "''"
    expressions: dict[str, str] = {}
    for name in order:
        expressions[name] = _expression(name, resolved[name], profile, kind_sql)
        if name == "txn_type":
            kind_sql = expressions[name]
    for spec in KINDS[profile.kind].fields:
        if spec.required and spec.name not in expressions:
            expressions[spec.name] = "''"
    # A DuckDB file of its own, as the importer's: the translated table spills to disk, memory stays flat.
    with scratch_folder("translate") as scratch:
        con = duckdb.connect(str(Path(scratch) / "translate.duckdb"))
        try:
            configure(con, memory_limit="1GB")
            return _run(con, path, profile, (header_line, width), expressions, resolved, target)
        except duckdb.Error:  # a line the SQL reader cannot split as the Python reader would: Python decides
            return None
        finally:
            con.close()


def _run(con: duckdb.DuckDBPyConnection, path: Path, profile: Profile, header: tuple[int, int],
         expressions: dict[str, str], resolved: dict[str, Resolved], target: Path) -> FastResult | None:
    header_line, width = header
    bytes_ = scan(path, profile.delimiter, header_line)
    if bytes_.odd_space:
        return None
    cleaned = ", ".join(f"{_cleaned(i, profile.strip_prefix, bytes_.spaced)} AS k{i}" for i in range(width))
    con.execute(f"CREATE VIEW cells AS SELECT {cleaned} FROM {_source(path, profile, header_line, width)}")
    projected = ", ".join(f'{sql} AS "{name}"' for name, sql in expressions.items())
    blank = " AND ".join(f"k{i} = ''" for i in range(width))
    amounts = _amount_cells(profile, resolved)
    shapes = "".join(f", CASE WHEN {cell} = '' THEN NULL ELSE contains({cell}, '.') END AS shape{n}"
                     for n, cell in enumerate(amounts))
    con.execute(f"CREATE TABLE translated AS SELECT {projected}, {blank} AS blank{shapes} FROM cells")
    any_null = " OR ".join(f'"{name}" IS NULL' for name in expressions)
    counted = con.execute("SELECT count(*), count(*) FILTER (WHERE " + any_null + "), count(*) FILTER "
                          "(WHERE blank)" + "".join(f", count(DISTINCT shape{n})" for n in range(len(amounts)))
                          + " FROM translated").fetchone()
    assert counted is not None
    rows, bad, blanks, *kinds = (int(value or 0) for value in counted)
    if bad or blanks or any(kind > 1 for kind in kinds) or rows == 0 or rows != bytes_.lines - header_line:
        return None
    columns = ", ".join(f"nullif(\"{name}\", '') AS \"{name}\"" for name in expressions)
    con.execute(f"COPY (SELECT {columns} FROM translated) TO {_literal(str(target))} "
                "(HEADER, DELIMITER ',', NEW_LINE '\r\n')")  # byte for byte what csv.writer writes
    with target.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        preview = [dict(row) for _, row in zip(range(PREVIEW_ROWS), reader, strict=False)]
    labels = {name: resolved[name].label if name in resolved else name for name in expressions}
    return FastResult(header_line, list(expressions), labels, rows, preview)


def _amount_cells(profile: Profile, resolved: dict[str, Resolved]) -> list[str]:
    """The cells of yuan amount columns: one may not mix values with and without decimals (AmountShape)."""
    if profile.amount_unit != "yuan":
        return []
    return [f"k{found.indexes[0]}" for name, found in resolved.items() if name in MINOR_COLUMN and found.indexes]
