"""Value maps on the mapping page: the file's own types and statuses, and the SPEC value each becomes.

The words are the distinct values of the column mapped to txn_type (or status) on the detail lines
(lines as wide as the header; summary lines are shorter), each with the first line it is on. A word
the SPEC already knows (消费, 退货, 成功 …, any case) is proposed; the user chooses the others. Saving
is refused while a word of the file stays unmapped. Pure apart from reading the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recoup.ingest.columns import clean_cells
from recoup.ingest.reading import open_rows
from recoup.transactions.enums import STATUS_ALIASES, TXN_TYPE_ALIASES, Status, TxnType, normalise_alias

MAPPED_TARGETS = ("txn_type", "status")
MAX_WORDS = 40  # more distinct values than this: not a type or status column
MAX_LINES = 200_000  # lines read to find the words (an upload's size is bounded anyway)
EXTRA_WORDS: dict[str, dict[str, str]] = {
    "txn_type": {"付款": "SALE", "支付": "SALE", "消费撤销": "VOID", "退款": "REFUND", "消费冲正": "REVERSAL",
                 "撤销冲正": "REVERSAL", "退货冲正": "REVERSAL", "预授权完成撤销": "VOID"},
    "status": {"交易成功": "APPROVED", "支付成功": "APPROVED", "已支付": "APPROVED", "交易失败": "FAILED",
               "支付失败": "FAILED", "已拒绝": "DECLINED", "拒绝交易": "DECLINED", "交易超时": "TIMEOUT"},
}
CHOICES: dict[str, tuple[str, ...]] = {"txn_type": tuple(m.value for m in TxnType),
                                       "status": tuple(m.value for m in Status)}


@dataclass
class Words:
    """The distinct values of one column: word -> the first line it is on (in file order)."""

    column: int
    first_line: dict[str, int] = field(default_factory=dict)
    more: bool = False  # there were more than MAX_WORDS


def known_value(target: str, word: str) -> str:
    """The SPEC value a word is known to mean ('' when Recoup does not know it)."""
    aliases = TXN_TYPE_ALIASES if target == "txn_type" else STATUS_ALIASES
    found = EXTRA_WORDS[target].get(word.strip()) or aliases.get(normalise_alias(word))
    return str(found) if found else ""


def column_words(path: Path, delimiter: str, prefix: str, header_line: int, width: int,
                 columns: dict[str, int]) -> dict[str, Words]:
    """The distinct words of each column given (target -> column index), on the detail lines after the header."""
    found = {target: Words(index) for target, index in columns.items()}
    if not found:
        return found
    with open_rows(path, delimiter) as (_, rows):
        for line, raw in rows:
            if line > MAX_LINES:
                break
            if line <= header_line or len(raw) < width:
                continue
            cells = clean_cells(raw, prefix)
            for words in found.values():
                _add(words, cells[words.column] if words.column < len(cells) else "", line)
    return found


def _add(words: Words, word: str, line: int) -> None:
    if not word or word in words.first_line:
        return
    if len(words.first_line) >= MAX_WORDS:
        words.more = True
        return
    words.first_line[word] = line


def chosen_values(target: str, words: Words, chosen: dict[str, str]) -> dict[str, str]:
    """word -> SPEC value ('' for unmapped): the user's choice, else the known meaning."""
    allowed = set(CHOICES[target])
    result = {}
    for word in words.first_line:
        if word in chosen:
            result[word] = chosen[word] if chosen[word] in allowed else ""
        else:
            result[word] = known_value(target, word)
    return result


def unmapped_problem(target: str, label: str, words: Words, values: dict[str, str]) -> str | None:
    """The message refusing a value map that leaves a word of the file unmapped (None when complete)."""
    missing = [word for word, value in values.items() if not value]
    if words.more:
        return (f"{label}: more than {MAX_WORDS} different values; this column does not hold "
                f"{'transaction types' if target == 'txn_type' else 'statuses'}")
    if not missing:
        return None
    what = "transaction type" if target == "txn_type" else "status"
    shown = ", ".join(repr(word) for word in missing[:5]) + (", …" if len(missing) > 5 else "")
    lines = ", ".join(str(words.first_line[word]) for word in missing[:5])
    return (f"the value map of {label} leaves {shown} unmapped (first on line {lines}): choose the Recoup {what} "
            "each of these values means")
