"""A switch log on its way in: decoded by the ISO 8583 parser, then checked like any journal file.

The parser's rows (masked card, token) are written to a temporary journal CSV, with the token in an
extra column, and go through the one CSV reader, so a switch log and a journal file become the same
rows by the same rules. No full card number is ever written to that file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from recoup.errors import InvalidInput
from recoup.scratch import scratch_folder
from recoup.transactions.iso8583 import JOURNAL_COLUMNS, parse_switch_log
from recoup.transactions.rejects import Reject
from recoup.transactions.staging import Scope, Staged, stage_csv
from recoup.transactions.store_sql import TOKEN_COLUMN

MAX_LOG_BYTES = 512 * 1024 * 1024
REQUEST_MTIS = (b"0200", b"0400")
LOCAL_TIME_LENGTH = len("2026-11-16T09:13:46")


@dataclass
class StagedLog:
    staged: Staged  # its rejects name lines of the log: bad messages, then checks of the decoded rows
    warnings: list[str] = field(default_factory=list)


def stage_switch_log(con: duckdb.DuckDBPyConnection, path: Path, scope: Scope, card_key: bytes,
                     year: int | None) -> StagedLog:
    if path.stat().st_size > MAX_LOG_BYTES:
        raise InvalidInput(f"{path.name}: a switch log larger than {MAX_LOG_BYTES >> 20} MiB is not accepted")
    with path.open("rb") as handle:
        parsed = parse_switch_log(handle, year=year, card_key=card_key)
    if not parsed.rows and not parsed.errors:
        raise InvalidInput(f"{path.name}: empty switch log (no message)")
    message_rejects = [Reject(error.line, error.column, error.reason) for error in parsed.errors]
    with scratch_folder("iso") as folder:
        journal = Path(folder) / "journal.csv"
        with journal.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=[*JOURNAL_COLUMNS, TOKEN_COLUMN], lineterminator="\n")
            writer.writeheader()
            writer.writerows(_carried_token(_merchant_local(row)) for row in parsed.rows)
        staged = stage_csv(con, "journal", journal, scope, card_key, display_name=path.name)
    sources = _request_lines(path, {error.line for error in parsed.errors})
    if len(sources) != len(parsed.rows):
        sources = []
    staged.rejects = sorted([*message_rejects, *(_on_log_line(r, sources) for r in staged.rejects)])
    staged.rows_in_file = len(parsed.rows) + len({error.line for error in parsed.errors})
    staged.rejected_lines += len({error.line for error in parsed.errors})
    return StagedLog(staged, list(parsed.warnings))


def _carried_token(row: dict[str, str]) -> dict[str, str]:
    """The parser's `card_token` under the column name only this process's staging knows (store_sql)."""
    carried = dict(row)
    carried[TOKEN_COLUMN] = carried.pop("card_token", "")
    return carried


def _merchant_local(row: dict[str, str]) -> dict[str, str]:
    """Fields 12 and 13 are the merchant's local time: without the parser's +08:00 the reader applies the
    merchant's registered zone (Asia/Shanghai unless the registry says otherwise), as for any journal."""
    return {**row, "txn_time": row["txn_time"][:LOCAL_TIME_LENGTH]}


def _request_lines(path: Path, bad_lines: set[int]) -> list[int]:
    """The log line of each decoded row: the parser yields one row per good request, in file order."""
    with path.open("rb") as handle:
        return [number for number, raw in enumerate(handle, start=1)
                if raw[:4] in REQUEST_MTIS and number not in bad_lines]


def _on_log_line(reject: Reject, sources: list[int]) -> Reject:
    """A check of a decoded row, moved from the temporary file's line to the log's."""
    row = reject.line - 2
    if 0 <= row < len(sources):
        return Reject(sources[row], reject.column, reject.reason)
    return Reject(0, reject.column, f"decoded transaction {row + 1}: {reject.reason}")
