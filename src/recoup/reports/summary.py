"""What a periodic report holds (SPEC section 8): the shape every output (JSON, CSV, XLSX, PDF, page,
charts) is made from. Pure dataclasses: money in minor units of one currency, counts as integers,
rates as fractions (0.25 = 25 %), durations in hours. `recoup.reports.service.summary` fills it with
SQL aggregations; `to_json` is the API's and the CLI's JSON (numbers as numbers, money in major units).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import quote_plus

from recoup.money import CURRENCY_EXPONENTS
from recoup.reports.prevention_rules import Listed


@dataclass(frozen=True)
class Totals:
    findings: int = 0
    cases: int = 0
    amount_at_stake_minor: int = 0  # the cases' amounts at stake
    amount_recovered_minor: int = 0  # what the cases recovered (money seen arriving)
    recovery_rate: float = 0.0  # amount recovered / amount at stake (0 when nothing is at stake)
    cases_recovered: int = 0  # cases whose money is fully back (RESOLVED or CLOSED with all recovered)
    recovery_rate_by_count: float = 0.0  # cases_recovered / cases
    median_hours_to_recovery: float | None = None  # case opened -> money fully back, over recovered cases
    p90_hours_to_recovery: float | None = None
    open_past_deadline: int = 0  # cases still open whose rung deadline is before the end of the period
    fees_lost_minor: int = 0  # settlement fees of the mis-charged transactions (the acquirer kept them)
    transactions: int = 0  # journal lines of the period (the base of the error rates)


@dataclass(frozen=True)
class KindRow:
    kind: str  # a finding kind of SPEC section 4 (OVERCHARGE, DUPLICATE_CHARGE, ...)
    findings: int
    cases: int
    amount_at_stake_minor: int
    amount_recovered_minor: int


@dataclass(frozen=True)
class CauseRow:
    cause: str  # a cause code (EXTRA_DIGIT, ...) or "" when the finding names none
    findings: int
    difference_minor: int  # sum of |difference| of those findings


@dataclass(frozen=True)
class DayRow:
    day: date  # merchant-local day of the transactions
    findings: int
    difference_minor: int


@dataclass(frozen=True)
class RateRow:
    """Errors of one terminal or one cashier: findings per 1,000 of its transactions, worst first."""

    key: str  # terminal id, cashier id, or merchant id
    merchant_id: str
    transactions: int
    findings: int
    per_thousand: float
    merchant_name: str = ""  # "" when the merchant is not on file

    @property
    def merchant(self) -> str:
        """How people know the merchant: its name, its id when it has none on file."""
        return self.merchant_name or self.merchant_id


@dataclass(frozen=True)
class Funnel:
    found: int  # findings
    cased: int  # findings with a case
    acted: int  # cases with at least one recovery action
    recovered: int  # cases with money seen arriving (recovered_minor > 0)


@dataclass(frozen=True)
class AgeRow:
    bucket: str  # "0-2d", "3-7d", "8-30d", ">30d": how long the period's cases still open have been open now
    cases: int


@lru_cache(maxsize=65536)
def _quoted(text: str) -> str:
    return quote_plus(text)


def _query(filters: dict[str, str]) -> str:
    """urllib.parse.urlencode of `filters`, the same text, its quoting remembered: a year's lists link
    thousands of entries with the same dates and merchants."""
    return "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in filters.items())


@dataclass(frozen=True)
class PreventionRow:
    """An entry of a prevention list (recoup.reports.prevention_rules) as the report holds it."""

    list: str  # maintenance, terminal_rate, firmware, training, mcc, refund_other_card, ...
    key: str  # what an acknowledgement names
    merchant_id: str
    subject: str  # a terminal, firmware, cashier, merchant or masked card
    count: int  # the number that put it on the list (days since maintenance: -1 when never)
    figures: dict[str, float | int | str]
    examples: tuple[str, ...]  # RRNs or case numbers
    link: str  # the transaction search showing what is behind it ("" when none fits)
    acknowledged_by: str = ""
    acknowledged_at: datetime | None = None
    note: str = ""

    @classmethod
    def of(cls, item: Listed) -> PreventionRow:
        entry, ack = item.entry, item.acknowledged
        link = f"/transactions?{_query(entry.filters)}" if entry.filters else ""
        return cls(entry.list_key, entry.key, entry.merchant_id, entry.subject, entry.count, dict(entry.figures),
                   entry.examples, link, ack.by if ack else "", ack.at if ack else None, ack.note if ack else "")


@dataclass(frozen=True)
class Summary:
    tenant_id: int
    merchant_ids: tuple[str, ...]  # () = every merchant the caller sees
    date_from: date
    date_to: date  # inclusive
    currency: str
    totals: Totals
    previous: Totals  # the period of the same length just before
    by_kind: list[KindRow] = field(default_factory=list)
    by_cause: list[CauseRow] = field(default_factory=list)
    by_day: list[DayRow] = field(default_factory=list)
    worst_terminals: list[RateRow] = field(default_factory=list)
    worst_cashiers: list[RateRow] = field(default_factory=list)
    funnel: Funnel = field(default_factory=lambda: Funnel(0, 0, 0, 0))
    ageing: list[AgeRow] = field(default_factory=list)
    prevention: list[PreventionRow] = field(default_factory=list)
    aged_at: datetime | None = None  # when open cases were aged: now (they are the cases open now)


NOT_IN_JSON = ("merchant_name",)  # shown on the page, the PDF and the XLSX; the JSON keeps its numbers and ids
MONEY_FIELDS = ("amount_at_stake_minor", "amount_recovered_minor", "fees_lost_minor", "difference_minor")


def major(minor: int, currency: str) -> float:
    """Minor units as a number of major units (JSON numbers; 2 decimals for CNY, 0 for JPY)."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return round(minor / float(10**exponent), exponent)


def _numbers(values: dict[str, object], currency: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in values.items():
        if name in MONEY_FIELDS and isinstance(value, int):
            out[name.removesuffix("_minor")] = major(value, currency)
        elif isinstance(value, date):
            out[name] = value.isoformat()
        else:
            out[name] = value
    return out


def to_json(summary: Summary) -> dict[str, object]:
    """The report as JSON: `totals` (findings, cases, amount_at_stake, amount_recovered, recovery_rate, …),
    `previous`, `by_kind`, `by_cause`, `by_day`, `worst_terminals`, `worst_cashiers`, `funnel`, `ageing`,
    `prevention`."""
    currency = summary.currency
    return {
        "tenant_id": summary.tenant_id,
        "merchant_ids": list(summary.merchant_ids),
        "from": summary.date_from.isoformat(),
        "to": summary.date_to.isoformat(),
        "currency": currency,
        "totals": _numbers(asdict(summary.totals), currency),
        "previous": _numbers(asdict(summary.previous), currency),
        "by_kind": [_numbers(asdict(row), currency) for row in summary.by_kind],
        "by_cause": [_numbers(asdict(row), currency) for row in summary.by_cause],
        "by_day": [_numbers(asdict(row), currency) for row in summary.by_day],
        "worst_terminals": [rate_json(row) for row in summary.worst_terminals],
        "worst_cashiers": [rate_json(row) for row in summary.worst_cashiers],
        "funnel": asdict(summary.funnel),
        "ageing": [asdict(row) for row in summary.ageing],
        "prevention": [prevention_json(row) for row in summary.prevention],
    }


def rate_json(row: RateRow) -> dict[str, object]:
    """A worst-list row as the JSON (and the CSV) has it: by merchant id; the name is for people's outputs."""
    return {name: value for name, value in asdict(row).items() if name not in NOT_IN_JSON}


def prevention_json(row: PreventionRow) -> dict[str, object]:
    values = asdict(row)
    values["examples"] = list(row.examples)
    values["acknowledged_at"] = row.acknowledged_at.isoformat() if row.acknowledged_at else None
    return values
