"""Small journal files for import tests: `count` approved sales of tenant A's terminal, one bad amount if asked."""

from __future__ import annotations

from tests.support.factories import OBJECTS

from recoup.transactions.layouts import JOURNAL_LAYOUT

M_A, T_A = OBJECTS["A"]


def journal_bytes(count: int, *, bad_amount_at: int | None = None) -> bytes:
    lines = [",".join(JOURNAL_LAYOUT)]
    for n in range(1, count + 1):
        amount = "-1.00" if n == bad_amount_at else f"{n % 900 + 1}.00"
        lines.append(f"{M_A},{T_A},2026-10-12T10:{n // 60 % 60:02d}:{n % 60:02d},SALE,APPROVED,{amount},CNY,"
                     f"{n:012d},{n % 1_000_000:06d},1,622848******1234,NO{n},001,,1")
    return ("\n".join(lines) + "\n").encode()
