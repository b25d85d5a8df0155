"""A small generated world with known content for the report tests, and the report counted by hand.

`fill(world, seed)` writes journal lines, settlement lines, findings, cases and recovery actions for
both tenants (some in USD, some outside the period) and returns them as plain records; `expected(...)`
counts the report of SPEC section 8 from those records with plain Python, the way a person would,
sharing no code with recoup.reports.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.support.factories import FACTORY, OBJECTS, PASSWORD, World

from recoup.auth.roles import Role
from recoup.auth.service import add_user
from recoup.cases.models import Case
from recoup.merchants.models import Merchant, Terminal
from recoup.reconciliation.models import ReconciliationRun, StoredFinding
from recoup.recovery.models import RecoveryAction
from recoup.transactions.models import JournalLine, SettlementLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 10)
PREVIOUS = (date(2026, 2, 19), date(2026, 2, 28))
NOW = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)  # after the period: cases are aged at its end
A2_MERCHANT, A2_TERMINAL, A_TERMINAL2 = "898301054119999", "61029999", "61027777"
KINDS = ("OVERCHARGE", "DUPLICATE_CHARGE", "MISSING_FROM_JOURNAL", "UNDERCHARGE")
CAUSES = ("EXTRA_DIGIT", "TRANSPOSED", None)
OPEN_STATES = ("OPEN", "INVESTIGATING", "AWAITING_PAYER", "ESCALATED")
DONE_STATES = ("RESOLVED", "CLOSED", "REJECTED", "WRITTEN_OFF")
HOURS = ("median_hours_to_recovery", "p90_hours_to_recovery")


@dataclass
class Records:
    """What was written, as plain values (tenant code, merchant, ...)."""

    journal: list[dict[str, Any]] = field(default_factory=list)
    settlement: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)


def add_second_merchant(world: World) -> None:
    """Tenant A gets a second terminal, a second merchant with its own cashier (a2-cashier)."""
    with world.database.unit_of_work() as session:
        tenant = world.tenants["A"]
        session.add(Merchant(merchant_id=A2_MERCHANT, tenant_id=tenant.id, name="商户A2", mcc="5812"))
        session.flush()
        session.add(Terminal(terminal_id=A2_TERMINAL, merchant_id=A2_MERCHANT, tenant_id=tenant.id))
        session.add(Terminal(terminal_id=A_TERMINAL2, merchant_id=OBJECTS["A"][0], tenant_id=tenant.id))
        add_user(session, FACTORY, tenant=tenant, username="a2-cashier", password=PASSWORD, role=Role.CASHIER,
                 merchant_ids=[A2_MERCHANT])


def _places() -> list[tuple[str, str, str]]:
    (ma, ta), (mb, tb) = OBJECTS["A"], OBJECTS["B"]
    return [("A", ma, ta), ("A", ma, A_TERMINAL2), ("A", A2_MERCHANT, A2_TERMINAL), ("B", mb, tb)]


def _moment(rng: random.Random) -> datetime:
    """A moment from 2026-02-14 to 2026-03-15 (Shanghai), days around midnight included."""
    day = date(2026, 2, 14) + timedelta(days=rng.randrange(30))
    local = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    return (local + timedelta(minutes=rng.choice([0, 5, 600, 1439, rng.randrange(1440)]))).astimezone(UTC)


def _journal(rng: random.Random, records: Records) -> None:
    counter = 0
    for tenant, merchant, terminal in _places():
        for _ in range(rng.randrange(70, 110)):
            counter += 1
            moment = _moment(rng)
            records.journal.append({
                "tenant": tenant, "merchant": merchant, "terminal": terminal, "time": moment,
                "day": moment.astimezone(SHANGHAI).date(), "rrn": f"{counter:012d}",
                "cashier": rng.choice(["c01", "c02", "c03", ""]), "currency": rng.choice(["CNY"] * 9 + ["USD"]),
                "amount": rng.randrange(100, 100000)})


def _findings(rng: random.Random, records: Records) -> None:
    lines = rng.sample(records.journal, len(records.journal) // 3)
    for number, line in enumerate(lines):
        records.findings.append({**{k: line[k] for k in ("tenant", "merchant", "terminal", "rrn", "currency")},
                                 "time": line["time"], "seen": NOW, "id": f"F{number:05d}"})
    for number in range(12):  # findings on no journal line: by when they were seen, or their own time
        tenant, merchant, terminal = rng.choice(_places())
        records.findings.append({"tenant": tenant, "merchant": merchant, "terminal": rng.choice([terminal, ""]),
                                 "rrn": "", "currency": "CNY", "time": rng.choice([None, _moment(rng)]),
                                 "seen": _moment(rng), "id": f"G{number:05d}"})
    for found in records.findings:
        found.update(kind=rng.choice(KINDS), cause=rng.choice(CAUSES), difference=rng.choice([-1, 1])
                     * rng.randrange(1, 50000), case=None)


def _case_of(rng: random.Random, found: dict[str, Any], number: int) -> dict[str, Any]:
    moment = found["time"] if isinstance(found["time"], datetime) else found["seen"]
    assert isinstance(moment, datetime)
    opened = moment + timedelta(minutes=rng.randrange(10, 60 * 24 * 3))
    state = rng.choice(OPEN_STATES + DONE_STATES)
    at_stake = abs(int(found["difference"]))
    recovered = {"RESOLVED": at_stake, "CLOSED": rng.choice([at_stake, at_stake // 2])}.get(
        state, rng.choice([0, 0, at_stake // 3]))
    return {"tenant": found["tenant"], "merchant": found["merchant"], "kind": found["kind"],
            "currency": found["currency"], "time": found["time"], "opened": opened, "state": state,
            "at_stake": at_stake, "recovered": recovered, "number": f"RC-2026-{number:06d}",
            "deadline": opened + timedelta(hours=rng.randrange(1, 24 * 6)),
            "closed": opened + timedelta(hours=rng.randrange(1, 300)) if state in DONE_STATES else None}


def _cases(rng: random.Random, records: Records) -> None:
    for found in records.findings:
        if rng.random() < 0.6:
            case = _case_of(rng, found, len(records.cases) + 1)
            found["case"] = case["number"]
            records.cases.append(case)
    for case in records.cases:
        recovered = int(case["recovered"])
        if recovered and rng.random() < 0.8:
            opened = case["opened"]
            assert isinstance(opened, datetime)
            records.actions.append({"case": case["number"], "status": "CONFIRMED", "amount": recovered,
                                    "confirmed": opened + timedelta(minutes=rng.randrange(30, 60 * 24 * 9))})
        elif rng.random() < 0.3:
            records.actions.append({"case": case["number"], "status": "PENDING", "amount": 100, "confirmed": None})


def _settlement(rng: random.Random, records: Records) -> None:
    for line in rng.sample(records.journal, len(records.journal) // 2):
        records.settlement.append({**{k: line[k] for k in ("tenant", "merchant", "terminal", "rrn", "currency",
                                                            "time", "day")}, "fee": rng.randrange(1, 900)})


def generate(seed: int) -> Records:
    rng = random.Random(seed)
    records = Records()
    _journal(rng, records)
    _findings(rng, records)
    _cases(rng, records)
    _settlement(rng, records)
    return records


def store(world: World, records: Records) -> None:
    """Write the records through the ORM (what the importer, the engine and the cases would have written)."""
    with world.database.unit_of_work() as session:
        tenants = {code: tenant.id for code, tenant in world.tenants.items()}
        runs = {}
        for code, tenant_id in tenants.items():
            runs[code] = ReconciliationRun(tenant_id=tenant_id, run_by="test")
            session.add(runs[code])
        for line in records.journal:
            session.add(JournalLine(
                tenant_id=tenants[str(line["tenant"])], merchant_id=line["merchant"], terminal_id=line["terminal"],
                txn_time=line["time"], local_date=line["day"], txn_type="SALE", status="APPROVED",
                amount_minor=line["amount"], currency=line["currency"], rrn=line["rrn"], stan="000001",
                cashier_id=line["cashier"]))
        for line in records.settlement:
            session.add(SettlementLine(
                tenant_id=tenants[str(line["tenant"])], settle_date=line["day"], merchant_id=line["merchant"],
                terminal_id=line["terminal"], txn_time=line["time"], local_date=line["day"], txn_type="SALE",
                rrn=line["rrn"], amount_minor=10000, fee_minor=line["fee"], net_minor=10000 - int(line["fee"]),
                currency=line["currency"]))
        session.flush()
        cases = {}
        for item in records.cases:
            case = Case(number=item["number"], tenant_id=tenants[str(item["tenant"])], merchant_id=item["merchant"],
                        kind=item["kind"], direction="OVERCHARGED", currency=item["currency"],
                        at_stake_minor=item["at_stake"], recovered_minor=item["recovered"], txn_time=item["time"],
                        state=item["state"], rung="MERCHANT", rung_started_at=item["opened"],
                        deadline_at=item["deadline"], opened_by="test", opened_at=item["opened"],
                        closed_at=item["closed"])
            session.add(case)
            cases[item["number"]] = case
        session.flush()
        cashier_of = _cashiers(records)
        for item in records.findings:
            case_id = cases[str(item["case"])].id if item["case"] else None
            session.add(StoredFinding(
                tenant_id=tenants[str(item["tenant"])], finding_id=item["id"], run_id=runs[str(item["tenant"])].id,
                last_run_id=runs[str(item["tenant"])].id, kind=item["kind"], cause=item["cause"],
                merchant_id=item["merchant"], terminal_id=item["terminal"], rrn=item["rrn"], charged_minor=1,
                expected_minor=1, difference_minor=item["difference"], currency=item["currency"],
                txn_time=item["time"], first_seen_at=item["seen"], case_id=case_id,
                cashier_id=cashier_of.get((item["tenant"], item["merchant"], item["terminal"], item["rrn"]))))
        for number, item in enumerate(records.actions):
            case = cases[str(item["case"])]
            session.add(RecoveryAction(
                tenant_id=case.tenant_id, case_id=case.id, merchant_id=case.merchant_id, kind="REFUND",
                status=item["status"], amount_minor=item["amount"], currency=case.currency,
                idempotency_key=f"report-test-{number}", request_hash="x", requested_by="test",
                requested_at=case.opened_at, confirmed_at=item["confirmed"]))


@dataclass(frozen=True)
class Seen:
    """Whose report is counted: a tenant, its merchants (None: all), a currency."""

    tenant: str
    merchants: frozenset[str] | None = None
    currency: str = "CNY"

    def sees(self, row: dict[str, Any]) -> bool:
        return (row["tenant"] == self.tenant and row["currency"] == self.currency
                and (self.merchants is None or row["merchant"] in self.merchants))


def _local_day(moment: object) -> date:
    assert isinstance(moment, datetime)
    return moment.astimezone(SHANGHAI).date()


def _finding_day(found: dict[str, Any]) -> date:
    return _local_day(found["time"] if found["time"] is not None else found["seen"])


def _case_day(case: dict[str, Any]) -> date:
    return _local_day(case["time"] if case["time"] is not None else case["opened"])


def _money(minor: int) -> float:
    return round(minor / 100, 2)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _end(last: date) -> datetime:
    return datetime(last.year, last.month, last.day, tzinfo=SHANGHAI) + timedelta(days=1)


def _in(day: date, first: date, last: date) -> bool:
    return first <= day <= last


def _recovery_hours(records: Records, cases: list[dict[str, Any]]) -> list[float]:
    hours = []
    for case in cases:
        if not (int(case["at_stake"]) > 0 and int(case["recovered"]) >= int(case["at_stake"])):
            continue
        confirmed = [a["confirmed"] for a in records.actions
                     if a["case"] == case["number"] and a["status"] == "CONFIRMED"]
        back = max(confirmed) if confirmed else case["closed"]
        if back is not None:
            hours.append((back - case["opened"]).total_seconds() / 3600)
    return hours


def expected_totals(records: Records, seen: Seen, first: date, last: date, now: datetime) -> dict[str, Any]:
    as_of = min(_end(last), now)
    findings = [f for f in records.findings if seen.sees(f) and _in(_finding_day(f), first, last)]
    cases = [c for c in records.cases if seen.sees(c) and _in(_case_day(c), first, last)]
    at_stake = sum(int(c["at_stake"]) for c in cases)
    recovered = sum(int(c["recovered"]) for c in cases)
    full = [c for c in cases if int(c["at_stake"]) > 0 and int(c["recovered"]) >= int(c["at_stake"])]
    still_open = [c for c in cases if c["state"] in OPEN_STATES]
    named = {(f["merchant"], f["terminal"], f["rrn"]) for f in findings if f["rrn"]}
    fees = sum(int(s["fee"]) for s in records.settlement
               if s["tenant"] == seen.tenant and s["currency"] == seen.currency
               and (s["merchant"], s["terminal"], s["rrn"]) in named)
    hours = _recovery_hours(records, cases)
    return {
        "findings": len(findings), "cases": len(cases), "amount_at_stake": _money(at_stake),
        "amount_recovered": _money(recovered), "recovery_rate": _ratio(recovered, at_stake),
        "cases_recovered": len(full), "recovery_rate_by_count": _ratio(len(full), len(cases)),
        "median_hours_to_recovery": round(statistics.median(hours), 2) if hours else None,
        "p90_hours_to_recovery": (round(statistics.quantiles(hours, n=10, method="inclusive")[8], 2)
                                  if len(hours) > 1 else round(hours[0], 2) if hours else None),
        "open_past_deadline": sum(1 for c in still_open if c["deadline"] < as_of),
        "fees_lost": _money(fees),
        "transactions": sum(1 for j in records.journal if seen.sees(j) and _in(j["day"], first, last)),
    }


def _worst(counts: dict[tuple[str, str], int], base: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    rows = []
    for (merchant, key), found in counts.items():
        txns = base.get((merchant, key), 0)
        rows.append({"key": key, "merchant_id": merchant, "transactions": txns, "findings": found,
                     "per_thousand": round(found * 1000 / txns, 2) if txns else 0.0,
                     "_order": (-(found * 1000 / txns) if txns else 0.0, -found, merchant, key)})
    rows.sort(key=lambda row: row["_order"])
    return [{k: v for k, v in row.items() if k != "_order"} for row in rows[:10]]


def _rates(records: Records, seen: Seen, findings: list[dict[str, Any]], first: date, last: date,
           by: str) -> list[dict[str, Any]]:
    lines = [j for j in records.journal if seen.sees(j) and _in(j["day"], first, last)]
    cashier_of = {(j["tenant"], j["merchant"], j["terminal"], j["rrn"]): j["cashier"] for j in records.journal}
    counts: dict[tuple[str, str], int] = {}
    base: dict[tuple[str, str], int] = {}
    for line in lines:
        key = str(line[by])
        if key:
            base[(str(line["merchant"]), key)] = base.get((str(line["merchant"]), key), 0) + 1
    for found in findings:
        if by == "terminal":
            key = str(found["terminal"])
        else:
            key = str(cashier_of.get((found["tenant"], found["merchant"], found["terminal"], found["rrn"]), "")
                      if found["rrn"] else "")
        if key:
            counts[(str(found["merchant"]), key)] = counts.get((str(found["merchant"]), key), 0) + 1
    return _worst(counts, base)


def _age(opened: datetime, as_of: datetime) -> str:
    days = (as_of - opened).days
    return "0-2d" if days < 3 else "3-7d" if days < 8 else "8-30d" if days < 31 else ">30d"


def expected(records: Records, seen: Seen, first: date = FIRST, last: date = LAST,
             now: datetime = NOW) -> dict[str, Any]:
    """The report's JSON, counted by hand."""
    days = (last - first).days + 1
    findings = [f for f in records.findings if seen.sees(f) and _in(_finding_day(f), first, last)]
    cases = [c for c in records.cases if seen.sees(c) and _in(_case_day(c), first, last)]
    kinds = sorted({str(f["kind"]) for f in findings} | {str(c["kind"]) for c in cases})
    by_kind = [{"kind": kind, "findings": sum(1 for f in findings if f["kind"] == kind),
                "cases": sum(1 for c in cases if c["kind"] == kind),
                "amount_at_stake": _money(sum(int(c["at_stake"]) for c in cases if c["kind"] == kind)),
                "amount_recovered": _money(sum(int(c["recovered"]) for c in cases if c["kind"] == kind))}
               for kind in kinds]
    by_kind.sort(key=lambda row: (-int(row["findings"]), -int(row["cases"]), row["kind"]))
    causes = sorted({str(f["cause"] or "") for f in findings})
    by_cause = [{"cause": cause, "findings": sum(1 for f in findings if (f["cause"] or "") == cause),
                 "difference": _money(sum(abs(int(f["difference"])) for f in findings if (f["cause"] or "") == cause))}
                for cause in causes]
    by_cause.sort(key=lambda row: (-int(row["findings"]), row["cause"]))
    by_day = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        on_day = [f for f in findings if _finding_day(f) == day]
        by_day.append({"day": day.isoformat(), "findings": len(on_day),
                       "difference": _money(sum(abs(int(f["difference"])) for f in on_day))})
    previous_last = first - timedelta(days=1)
    previous_first = previous_last - timedelta(days=days - 1)
    open_cases = [c for c in cases if c["state"] in OPEN_STATES and c["opened"] <= now]  # aged now
    return {
        "tenant_id": None, "merchant_ids": None, "from": first.isoformat(), "to": last.isoformat(),
        "currency": seen.currency, "totals": expected_totals(records, seen, first, last, now),
        "previous": expected_totals(records, seen, previous_first, previous_last, now),
        "by_kind": by_kind, "by_cause": by_cause, "by_day": by_day,
        "worst_terminals": _rates(records, seen, findings, first, last, "terminal"),
        "worst_cashiers": _rates(records, seen, findings, first, last, "cashier"),
        "funnel": {"found": len(findings), "cased": sum(1 for f in findings if f["case"]),
                   "acted": sum(1 for c in cases if any(a["case"] == c["number"] for a in records.actions)),
                   "recovered": sum(1 for c in cases if int(c["recovered"]) > 0)},
        "ageing": [{"bucket": bucket, "cases": sum(1 for c in open_cases if _age(c["opened"], now) == bucket)}
                   for bucket in ("0-2d", "3-7d", "8-30d", ">30d")],
    }


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal in every number; hours of recovery to the hundredth (floating point sums)."""
    got, want = dict(got), dict(want)
    for part in ("totals", "previous"):
        got_part, want_part = dict(got.pop(part)), dict(want.pop(part))
        for name in HOURS:
            assert got_part.pop(name) == pytest.approx(want_part.pop(name), abs=0.011), (part, name)
        assert got_part == want_part, part
    for name in ("tenant_id", "merchant_ids"):
        got.pop(name), want.pop(name)
    got.pop("prevention", None)  # the prevention lists have their own hand count (tests/reports/test_prevention.py)
    want.pop("prevention", None)
    assert got == want


def _cashiers(records: Records) -> dict[tuple[Any, ...], str]:
    """The cashier a finding keeps (as recoup.reconciliation.store saves it): the smallest one the journal
    lines of its tenant, merchant, terminal and RRN name."""
    found: dict[tuple[Any, ...], str] = {}
    for line in records.journal:
        key = (line["tenant"], line["merchant"], line["terminal"], line["rrn"])
        if line["cashier"] and (key not in found or line["cashier"] < found[key]):
            found[key] = str(line["cashier"])
    return found
