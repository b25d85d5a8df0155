"""Write a generated data set as the CSV files Recoup imports, in the forms real exports take."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path

from recoup.demo.model import Dataset
from recoup.demo.rows import (
    FINDING_COLUMNS,
    JOURNAL_COLUMNS,
    MERCHANT_COLUMNS,
    ORDER_COLUMNS,
    SETTLEMENT_COLUMNS,
    TERMINAL_COLUMNS,
)
from recoup.errors import InvalidInput

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
# The Chinese names the SPEC accepts for the enumerations (section 3).
CHINESE_ALIASES = {
    "SALE": "消费", "VOID": "撤销", "REFUND": "退货", "REVERSAL": "冲正", "PREAUTH": "预授权",
    "PREAUTH_COMPLETE": "预授权完成", "APPROVED": "成功", "DECLINED": "拒绝", "FAILED": "失败", "TIMEOUT": "超时",
}
_ENUM_COLUMNS = ("txn_type", "status")


def write_dataset(ds: Dataset, folder: Path, *, encoding: str = "utf-8", shuffle_seed: int | None = None,
                  chinese_aliases: bool = False, shuffle_columns: bool = False) -> dict[str, Path]:
    """Write merchants, terminals, orders, journal and settlement CSVs and expected_findings.csv.

    `encoding` is one of utf-8, utf-8-sig (with BOM) or gb18030; `shuffle_seed` shuffles the rows;
    `chinese_aliases` writes txn_type and status in Chinese; `shuffle_columns` reorders the columns.
    expected_findings.csv is ground truth, not input: always UTF-8, sorted, in fixed columns.
    """
    if encoding not in ENCODINGS:
        raise InvalidInput(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(shuffle_seed if shuffle_seed is not None else 0)
    tables: dict[str, tuple[Sequence[str], list[dict[str, str]]]] = {
        "merchants": (MERCHANT_COLUMNS, ds.merchants),
        "terminals": (TERMINAL_COLUMNS, ds.terminals),
        "orders": (ORDER_COLUMNS, ds.orders),
        "journal": (JOURNAL_COLUMNS, ds.journal),
        "settlement": (SETTLEMENT_COLUMNS, ds.settlement),
    }
    paths: dict[str, Path] = {}
    for name, (columns, rows) in tables.items():
        if chinese_aliases:
            rows = [_with_aliases(row) for row in rows]
        if shuffle_seed is not None:
            rows = list(rows)
            rng.shuffle(rows)
        if shuffle_columns:
            columns = rng.sample(list(columns), len(columns))
        paths[name] = _write_csv(folder / f"{name}.csv", columns, rows, encoding)
    paths["expected_findings"] = _write_csv(folder / "expected_findings.csv", FINDING_COLUMNS,
                                            ds.expected_rows(), "utf-8")
    return paths


def _with_aliases(row: dict[str, str]) -> dict[str, str]:
    return {column: CHINESE_ALIASES.get(value, value) if column in _ENUM_COLUMNS else value
            for column, value in row.items()}


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path
