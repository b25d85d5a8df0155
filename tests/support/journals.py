"""Small journal files for import tests: lines of tenant A's terminal, in the journal's own layout."""

from __future__ import annotations

from tests.support.factories import OBJECTS

from recoup.transactions.layouts import JOURNAL_LAYOUT

M_A, T_A = OBJECTS["A"]
JOURNAL_HEADER = ",".join(JOURNAL_LAYOUT)


def journal_line(amount: str = "128.00", *, at: str = "2026-10-12T10:00:00", currency: str = "CNY",
                 rrn: str = "000000000001", stan: str = "000001", auth_code: str = "123456",
                 card: str = "6228480012345678", order_no: str = "NO1", cashier: str = "001") -> str:
    """One approved sale of tenant A's terminal (a full card number unless told otherwise)."""
    return (f"{M_A},{T_A},{at},SALE,APPROVED,{amount},{currency},{rrn},{stan},{auth_code},{card},{order_no},"
            f"{cashier},,1")


def csv_bytes(*lines: str, header: str = JOURNAL_HEADER) -> bytes:
    """A CSV file (a journal unless told another header): the header, then the lines."""
    return ("\n".join([header, *lines]) + "\n").encode()


def journal_bytes(count: int, *, bad_amount_at: int | None = None) -> bytes:
    """`count` approved sales with masked cards, one bad (negative) amount if asked."""
    lines = [JOURNAL_HEADER]
    for n in range(1, count + 1):
        amount = "-1.00" if n == bad_amount_at else f"{n % 900 + 1}.00"
        lines.append(f"{M_A},{T_A},2026-10-12T10:{n // 60 % 60:02d}:{n % 60:02d},SALE,APPROVED,{amount},CNY,"
                     f"{n:012d},{n % 1_000_000:06d},1,622848******1234,NO{n},001,,1")
    return ("\n".join(lines) + "\n").encode()
