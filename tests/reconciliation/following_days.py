"""Generated days of files for tenant A's merchant, as an acquirer's desk receives them (issue 17).

Each day brings its orders and journal and the settlement of the day before. The stories, by the
sale that opens a case on 10-15 or 10-16:

- `refund`: a duplicate charge of 136.54, refunded at the terminal on 10-17 (REFUND with orig_rrn),
  settled in the file of 10-18;
- `late`: a sale left out of the settlement of 10-15 (UNSETTLED), whose line arrives late, on 10-17;
- `reversal`: a duplicate reversed on 10-16, the reversal settled on 10-17;
- `touched`: a duplicate refunded on 10-16 (settled 10-17) on a case a person writes a note on;
- `missing`: a duplicate refunded on 10-18 whose settlement file (the lines of 10-18) comes last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tests.support.factories import OBJECTS
from tests.support.files import write_lines

from recoup.transactions.layouts import JOURNAL_LAYOUT, ORDER_LAYOUT, SETTLEMENT_LAYOUT

MERCHANT, TERMINAL = OBJECTS["A"]
CARD = "622848******1234"
FIRST = date(2026, 10, 15)
DAYS = [FIRST + timedelta(days=n) for n in range(5)]  # 10-15 .. 10-19
HELD_BACK = date(2026, 10, 18)  # the settlement of this day's lines arrives after all the others
RRN = {"refund": "100000000002", "late": "200000000001", "reversal": "300000000002", "touched": "400000000002",
       "missing": "500000000002"}
MONEY_BACK_RRN = {"refund": "100000000009", "reversal": "300000000009", "touched": "400000000009",
                  "missing": "500000000009"}


@dataclass
class Day:
    orders: list[str] = field(default_factory=list)
    journal: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)  # lines of this day, in the settlement file of the next


@dataclass
class Files:
    days: dict[date, Day] = field(default_factory=dict)
    late: dict[date, list[str]] = field(default_factory=dict)  # settlement lines delivered late, by file day

    def day(self, when: date) -> Day:
        return self.days.setdefault(when, Day())


def _time(when: date, clock: str) -> str:
    return f"{when.isoformat()}T{clock}+08:00"


def _sale(files: Files, when: date, clock: str, rrn: str, amount: str, order_no: str = "", *,
          settle: bool = True) -> None:
    day = files.day(when)
    day.journal.append(f"{MERCHANT},{TERMINAL},{_time(when, clock)},SALE,APPROVED,{amount},CNY,{rrn},{rrn[-6:]},"
                       f"123456,{CARD},{order_no},001,,1")
    if settle:
        day.settled.append(_settlement(when, clock, "SALE", rrn, amount, order_no))


def _settlement(when: date, clock: str, txn_type: str, rrn: str, amount: str, order_no: str = "") -> str:
    settle_day = when + timedelta(days=1)
    fee = "0.00" if txn_type != "SALE" else "0.10"
    net = f"{float(amount) - float(fee):.2f}"
    return (f"{settle_day.isoformat()},{MERCHANT},商户A,5411,{TERMINAL},{_time(when, clock)},{txn_type},{rrn},"
            f"{CARD},{amount},{fee},{net},CNY,{order_no}")


def _money_back(files: Files, when: date, clock: str, txn_type: str, rrn: str, orig: str, amount: str) -> None:
    day = files.day(when)
    day.journal.append(f"{MERCHANT},{TERMINAL},{_time(when, clock)},{txn_type},APPROVED,{amount},CNY,{rrn},"
                       f"{rrn[-6:]},123456,{CARD},,001,{orig},1")
    day.settled.append(_settlement(when, clock, txn_type, rrn, amount))


def _paid_order(files: Files, when: date, clock: str, rrn: str, amount: str) -> None:
    order_no = f"NO{rrn}"
    files.day(when).orders.append(f"{order_no},{MERCHANT},{TERMINAL},{_time(when, clock)},{amount},CNY,001,")
    _sale(files, when, clock, rrn, amount, order_no)


def _duplicate(files: Files, when: date, clock: str, story: str, amount: str) -> None:
    """A paid order and, three minutes later, the terminal charging the same card and order again."""
    first = RRN[story][:-1] + "1"
    _paid_order(files, when, clock, first, amount)
    later = f"{clock[:3]}{int(clock[3:5]) + 3:02d}{clock[5:]}"
    _sale(files, when, later, RRN[story], amount, f"NO{first}")


def generate() -> Files:
    files = Files()
    d15, d16, d17, d18 = DAYS[0], DAYS[1], DAYS[2], DAYS[3]
    for when in DAYS:  # every day has ordinary, settled business
        _paid_order(files, when, "09:00:00", f"9{when.day:02d}000000001", "25.00")
    _duplicate(files, d15, "10:00:00", "refund", "136.54")
    _money_back(files, d17, "15:00:00", "REFUND", MONEY_BACK_RRN["refund"], RRN["refund"], "136.54")
    files.day(d15).orders.append(f"NO{RRN['late']},{MERCHANT},{TERMINAL},{_time(d15, '11:00:00')},88.00,CNY,001,")
    _sale(files, d15, "11:00:00", RRN["late"], "88.00", f"NO{RRN['late']}", settle=False)
    files.late[d17] = [_settlement(d15, "11:00:00", "SALE", RRN["late"], "88.00", f"NO{RRN['late']}")
                       .replace(f"{d15 + timedelta(days=1)},", f"{d17},", 1)]
    _duplicate(files, d15, "12:00:00", "reversal", "99.00")
    _money_back(files, d16, "16:00:00", "REVERSAL", MONEY_BACK_RRN["reversal"], RRN["reversal"], "99.00")
    _duplicate(files, d15, "13:00:00", "touched", "42.00")
    _money_back(files, d16, "17:00:00", "REFUND", MONEY_BACK_RRN["touched"], RRN["touched"], "42.00")
    _duplicate(files, d16, "14:00:00", "missing", "61.20")
    _money_back(files, d18, "18:00:00", "REFUND", MONEY_BACK_RRN["missing"], RRN["missing"], "61.20")
    return files


@dataclass(frozen=True)
class DayFiles:
    when: date
    paths: list[tuple[str, Path]]  # (import kind, file), in import order


def write_days(files: Files, folder: Path) -> list[DayFiles]:
    """The files of each day (orders, journal, yesterday's settlement, late lines), then the held-back file."""
    out: list[DayFiles] = []
    held: Path | None = None
    for when in DAYS:
        day = files.day(when)
        paths = [("orders", write_lines(folder / f"orders-{when}.csv", ",".join(ORDER_LAYOUT), *day.orders)),
                 ("journal", write_lines(folder / f"journal-{when}.csv", ",".join(JOURNAL_LAYOUT), *day.journal))]
        yesterday = when - timedelta(days=1)
        if yesterday in files.days:
            lines = files.day(yesterday).settled
            path = write_lines(folder / f"settlement-{when}.csv", ",".join(SETTLEMENT_LAYOUT), *lines)
            if yesterday == HELD_BACK:
                held = path
            else:
                paths.append(("settlement", path))
        if when in files.late:
            paths.append(("settlement", write_lines(folder / f"settlement-late-{when}.csv",
                                                    ",".join(SETTLEMENT_LAYOUT), *files.late[when])))
        out.append(DayFiles(when, paths))
    assert held is not None
    last = files.day(DAYS[-1]).settled
    out.append(DayFiles(DAYS[-1] + timedelta(days=1), [
        ("settlement", held),
        ("settlement", write_lines(folder / "settlement-last.csv", ",".join(SETTLEMENT_LAYOUT), *last))]))
    return out
