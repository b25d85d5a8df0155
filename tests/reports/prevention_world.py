"""Generated data for the prevention lists, and the lists counted by hand (plain Python, none of
recoup.reports' code): terminals with maintenance dates, sales, refunds, voids and findings of tenant A
in March 2026 (and noise outside the period and in tenant B)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from tests.support.factories import OBJECTS, World

from recoup.merchants.models import Terminal
from recoup.reconciliation.models import ReconciliationRun, StoredFinding
from recoup.transactions.models import JournalLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 10)
NOW = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 12)
MERCHANT, T1 = OBJECTS["A"]
T2, T3, T4 = "61020002", "61020003", "61020004"
CASHIERS = ("c1", "c2", "c3")
CARDS = [(f"tok{index}", f"{1000 + index}") for index in range(6)]
KEYING = ("DECIMAL_SHIFT", "EXTRA_DIGIT", "MISSING_DIGIT", "TRANSPOSED_DIGITS")


@dataclass
class Lines:
    journal: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    terminals: dict[str, dict[str, Any]] = field(default_factory=dict)


def _moment(rng: random.Random, day: date | None = None) -> datetime:
    day = day or FIRST + timedelta(days=rng.randrange(10))
    local = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI) + timedelta(minutes=rng.randrange(1440))
    return local.astimezone(UTC)


def _line(lines: Lines, terminal: str, kind: str, amount: int, moment: datetime, card: tuple[str, str],
          cashier: str, orig: str = "", tenant: str = "A", merchant: str = MERCHANT) -> dict[str, Any]:
    line = {"tenant": tenant, "merchant": merchant, "terminal": terminal, "type": kind, "amount": amount,
            "time": moment, "day": moment.astimezone(SHANGHAI).date(), "card": card, "cashier": cashier,
            "orig": orig, "rrn": f"{len(lines.journal) + 1:012d}"}
    lines.journal.append(line)
    return line


def generate(seed: int) -> Lines:
    rng = random.Random(seed)
    lines = Lines()
    lines.terminals = {
        T1: {"model": "Landi E350", "firmware": "1.0", "last": None, "stopped": False},
        T2: {"model": "Landi E350", "firmware": "1.0", "last": TODAY - timedelta(days=rng.choice([179, 180, 200])),
             "stopped": False},
        T3: {"model": "Landi E350", "firmware": "2.0", "last": TODAY - timedelta(days=10), "stopped": False},
        T4: {"model": "PAX S90", "firmware": "9", "last": TODAY - timedelta(days=400), "stopped": True},
    }
    sales: list[dict[str, Any]] = []
    for terminal in lines.terminals:
        for _ in range(rng.randrange(25, 45)):
            sales.append(_line(lines, terminal, "SALE", rng.randrange(1000, 30000), _moment(rng), rng.choice(CARDS),
                               rng.choice(CASHIERS)))
    for _ in range(rng.randrange(0, 5)):  # outside the period, and in tenant B: never counted
        _line(lines, T2, "REFUND", 900000, _moment(rng, date(2026, 2, 20)), CARDS[0], "c1", orig=sales[0]["rrn"])
    _line(lines, OBJECTS["B"][1], "REFUND", 900000, _moment(rng), CARDS[0], "c1", tenant="B",
          merchant=OBJECTS["B"][0])
    for _ in range(rng.randrange(2, 6)):  # a card just under the no-PIN limit
        sales.append(_line(lines, T1, "SALE", rng.randrange(90000, 100000), _moment(rng), CARDS[5], "c2"))
    for _ in range(rng.randrange(5, 12)):
        sale = rng.choice(sales)
        card = sale["card"] if rng.random() < 0.5 else rng.choice(CARDS)
        amount = rng.choice([sale["amount"], 2_000_000])
        _line(lines, sale["terminal"], "REFUND", amount, sale["time"] + timedelta(minutes=rng.randrange(1, 90)),
              card, sale["cashier"], orig=sale["rrn"])
    start = _moment(rng)
    for minute in rng.sample(range(40), rng.randrange(2, 5)):  # perhaps a burst
        _line(lines, T2, "REFUND", 500, start + timedelta(minutes=minute), CARDS[1], "c1", orig=sales[1]["rrn"])
    for _ in range(rng.randrange(3, 9)):
        sale = rng.choice(sales)
        cashier = sale["cashier"] if rng.random() < 0.7 else rng.choice(CASHIERS)
        _line(lines, sale["terminal"], "VOID", sale["amount"], sale["time"] + timedelta(minutes=rng.randrange(0, 20)),
              sale["card"], cashier, orig=sale["rrn"])
    weights = {T1: 0.05, T2: 0.05, T3: 0.4, T4: 0.05}
    for sale in sales:
        if rng.random() < weights[sale["terminal"]]:
            lines.findings.append({"kind": "OVERCHARGE", "cause": rng.choice([*KEYING, "OTHER", None]),
                                   "terminal": sale["terminal"], "rrn": sale["rrn"], "time": sale["time"]})
    for _ in range(rng.randrange(0, 3)):
        lines.findings.append({"kind": "MCC_MISMATCH", "cause": None, "terminal": T1, "rrn": sales[2]["rrn"],
                               "time": sales[2]["time"]})
    return lines


def store(world: World, lines: Lines) -> None:
    tenants = {code: tenant.id for code, tenant in world.tenants.items()}
    with world.database.unit_of_work() as session:
        for terminal, facts in lines.terminals.items():
            values = {"model": facts["model"], "firmware": facts["firmware"], "last_maintenance_at": facts["last"],
                      "stopped": facts["stopped"]}
            if terminal == T1:
                session.execute(update(Terminal).where(Terminal.terminal_id == T1).values(**values))
            else:
                session.add(Terminal(terminal_id=terminal, merchant_id=MERCHANT, tenant_id=tenants["A"], **values))
        run = ReconciliationRun(tenant_id=tenants["A"], run_by="test")
        session.add(run)
        session.flush()
        for line in lines.journal:
            token, last4 = line["card"]
            session.add(JournalLine(
                tenant_id=tenants[line["tenant"]], merchant_id=line["merchant"], terminal_id=line["terminal"],
                txn_time=line["time"], local_date=line["day"], txn_type=line["type"], status="APPROVED",
                amount_minor=line["amount"], currency="CNY", rrn=line["rrn"], stan="000001", card_token=token,
                card_last4=last4, card_masked=f"622202******{last4}", cashier_id=line["cashier"],
                orig_rrn=line["orig"]))
        cashier_of = {(line["terminal"], line["rrn"]): line["cashier"] for line in lines.journal
                      if line["tenant"] == "A" and line["cashier"]}
        for number, item in enumerate(lines.findings):
            session.add(StoredFinding(cashier_id=cashier_of.get((item["terminal"], item["rrn"])),
                tenant_id=tenants["A"], finding_id=f"P{number:05d}", run_id=run.id, last_run_id=run.id,
                kind=item["kind"], cause=item["cause"], merchant_id=MERCHANT, terminal_id=item["terminal"],
                rrn=item["rrn"], charged_minor=2, expected_minor=1, difference_minor=1, currency="CNY",
                txn_time=item["time"], first_seen_at=NOW))


def _in_period(line: dict[str, Any]) -> bool:
    return bool(line["tenant"] == "A" and FIRST <= line["day"] <= LAST)


def expected(lines: Lines) -> dict[tuple[str, str], int]:
    """{(list, subject): count} of tenant A's lists, counted by hand."""
    out: dict[tuple[str, str], int] = {}
    journal = [line for line in lines.journal if _in_period(line)]
    by_rrn = {line["rrn"]: line for line in lines.journal if line["type"] == "SALE"}
    for terminal, facts in lines.terminals.items():
        if not facts["stopped"] and (facts["last"] is None or (TODAY - facts["last"]).days >= 180):
            out[("maintenance", terminal)] = -1 if facts["last"] is None else (TODAY - facts["last"]).days
    txns = {t: sum(1 for line in journal if line["terminal"] == t) for t in lines.terminals}
    found = {t: sum(1 for f in lines.findings if f["terminal"] == t) for t in lines.terminals}
    for terminal, facts in lines.terminals.items():
        comparisons = []
        for same in ([t for t in lines.terminals if t != terminal],  # all share the merchant
                     [t for t in lines.terminals if t != terminal and lines.terminals[t]["model"] == facts["model"]]):
            n, f = sum(txns[t] for t in same), sum(found[t] for t in same)
            if n:
                comparisons.append(found[terminal] / txns[terminal] >= 2 * f / n)
        if found[terminal] >= 2 and txns[terminal] >= 20 and comparisons and all(comparisons):
            out[("terminal_rate", terminal)] = found[terminal]
    for version in {(facts["model"], facts["firmware"]) for facts in lines.terminals.values()}:
        mine = [t for t, facts in lines.terminals.items() if (facts["model"], facts["firmware"]) == version]
        rest = [t for t in lines.terminals if t not in mine]
        n, f = sum(txns[t] for t in mine), sum(found[t] for t in mine)
        rn, rf = sum(txns[t] for t in rest), sum(found[t] for t in rest)
        if f >= 2 and n >= 20 and rn and f / n >= 2 * rf / rn:
            out[("firmware", f"{version[0]} {version[1]}")] = f
    keying: dict[str, int] = {}
    for item in lines.findings:
        if item["cause"] in KEYING:
            cashier = by_rrn[item["rrn"]]["cashier"]
            keying[cashier] = keying.get(cashier, 0) + 1
    out.update({("training", cashier): count for cashier, count in keying.items() if count >= 2})
    mcc = sum(1 for item in lines.findings if item["kind"] == "MCC_MISMATCH")
    if mcc:
        out[("mcc", MERCHANT)] = mcc
    _refund_lists(journal, by_rrn, out)
    return out


def _refund_lists(journal: list[dict[str, Any]], by_rrn: dict[str, dict[str, Any]],
                  out: dict[tuple[str, str], int]) -> None:
    refunds = [line for line in journal if line["type"] == "REFUND"]
    sales = [line for line in journal if line["type"] == "SALE"]
    average = sum(line["amount"] for line in sales) / len(sales)
    for terminal in {line["terminal"] for line in refunds}:
        mine = [line for line in refunds if line["terminal"] == terminal]
        other = sum(1 for line in mine if line["card"][0] != by_rrn[line["orig"]]["card"][0])
        large = sum(1 for line in mine if line["amount"] > 5 * average)
        most = max(sum(1 for b in mine if timedelta(0) <= b["time"] - a["time"] <= timedelta(minutes=30))
                   for a in mine)
        for name, count, minimum in (("refund_other_card", other, 1), ("refund_large", large, 1),
                                     ("refund_burst", most, 3)):
            if count >= minimum:
                out[(name, terminal)] = count
    for card in {line["card"] for line in sales}:
        count = sum(1 for line in sales if line["card"] == card and 90000 <= line["amount"] <= 99999)
        if count >= 3:
            out[("under_limit", f"622202******{card[1]}")] = count
    voids: dict[str, int] = {}
    for line in journal:
        sale = by_rrn.get(line["orig"])
        if line["type"] == "VOID" and sale and sale["cashier"] == line["cashier"] and \
                timedelta(0) <= line["time"] - sale["time"] <= timedelta(minutes=10):
            voids[line["cashier"]] = voids.get(line["cashier"], 0) + 1
    out.update({("void_after_sale", cashier): count for cashier, count in voids.items() if count >= 2})
