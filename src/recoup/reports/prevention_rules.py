"""Prevention lists (issue 14, SPEC section 8: 加强系统维护 · 提高员工培训 · 提高风险意识), pure.

`recoup.reports.prevention_repository` counts in SQL what each list rests on; the rules here decide who is
on a list. Each rule is one function with its thresholds as named constants (the defaults of every tenant;
a per-tenant setting would replace `Thresholds`). The lists, in the order the page shows them:

- maintenance: a terminal in service whose last maintenance (or installation, when never maintained) is
  MAINTENANCE_DAYS or more before today, or that has no date at all;
- terminal_rate: a terminal with at least MIN_FINDINGS findings over at least MIN_TRANSACTIONS
  transactions whose findings per 1,000 transactions are at least STANDOUT_FACTOR times those of the
  other terminals of its merchant and of its model (a comparison with no other transactions is skipped);
- firmware: a firmware version (of one model) whose rate is STANDOUT_FACTOR times that of every other
  terminal, by the same minimums;
- training: a cashier with TRAINING_MIN_ERRORS or more keying errors (findings caused by a decimal shift,
  an extra, missing or transposed digit), their cases as examples;
- mcc: a merchant whose settlement used another MCC than the registered one (跳码), MCC_MIN_FINDINGS times;
- refund_other_card: refunds paid to a card other than the one the sale charged, per terminal;
- refund_burst: REFUND_BURST_COUNT or more refunds at one terminal within REFUND_BURST_MINUTES;
- refund_large: a refund above LARGE_REFUND_FACTOR times the merchant's average sale of the period (with
  at least MIN_SALES_FOR_AVERAGE sales), per terminal;
- under_limit: UNDER_LIMIT_COUNT or more sales by one card just under the no-PIN limit (NO_PIN_LIMIT_MINOR,
  within UNDER_LIMIT_BAND of it) at one merchant;
- void_after_sale: VOID_MIN_COUNT or more voids by a cashier of their own sale within VOID_WINDOW_MINUTES.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from recoup.errors import InvalidInput

MAINTENANCE_DAYS = 180
MIN_TRANSACTIONS = 20
MIN_FINDINGS = 2
STANDOUT_FACTOR = 2.0
KEYING_CAUSES = ("DECIMAL_SHIFT", "EXTRA_DIGIT", "MISSING_DIGIT", "TRANSPOSED_DIGITS")
TRAINING_MIN_ERRORS = 2
MCC_MIN_FINDINGS = 1
REFUND_BURST_COUNT = 3
REFUND_BURST_MINUTES = 30
LARGE_REFUND_FACTOR = 5.0
MIN_SALES_FOR_AVERAGE = 5
NO_PIN_LIMIT_MINOR = 100_000  # ¥1,000: UnionPay's small-amount no-PIN, no-signature limit
UNDER_LIMIT_BAND = 0.1  # sales from 90 % of the limit up to just under it
UNDER_LIMIT_COUNT = 3
VOID_WINDOW_MINUTES = 10
VOID_MIN_COUNT = 2
EXAMPLES = 5  # transactions (or cases) named per entry

LISTS: tuple[str, ...] = ("maintenance", "terminal_rate", "firmware", "training", "mcc", "refund_other_card",
                          "refund_burst", "refund_large", "under_limit", "void_after_sale")
ACK_ACTION = "prevention.acknowledge"
_KEY = re.compile(r"^([a-z_]{1,20}):([0-9A-Za-z_-]{0,15}):([0-9A-Za-z_.*\- ]{1,80})$")


@dataclass(frozen=True)
class Entry:
    """One line of a prevention list: who (`subject`: a terminal, firmware, cashier, merchant or card) and the
    number that put it there (`count`); `figures` are the numbers behind it, `filters` the transaction search
    that shows its transactions, `examples` the RRNs or case numbers it names."""

    list_key: str
    merchant_id: str
    subject: str
    count: int
    figures: dict[str, float | int | str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    examples: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The entry's identity, the same from one report to the next (what an acknowledgement names)."""
        return f"{self.list_key}:{self.merchant_id}:{self.subject}"


def parse_key(key: str) -> tuple[str, str, str]:
    """(list, merchant, subject) of an entry's key, or InvalidInput."""
    found = _KEY.fullmatch(key.strip())
    if found is None or found.group(1) not in LISTS:
        raise InvalidInput(f"key: a prevention entry such as maintenance:898301054111439:61027889, not {key[:40]!r}")
    return found.group(1), found.group(2), found.group(3)


def per_thousand(findings: int, transactions: int) -> float:
    return round(findings * 1000 / transactions, 2) if transactions else 0.0


# --- maintenance ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TerminalFacts:
    terminal_id: str
    merchant_id: str
    model: str
    firmware: str
    last_maintenance: date | None
    installed: date | None
    stopped: bool
    transactions: int
    findings: int


def days_since_maintenance(terminal: TerminalFacts, today: date) -> int | None:
    since = terminal.last_maintenance or terminal.installed
    return (today - since).days if since is not None else None


def due_for_maintenance(terminals: Iterable[TerminalFacts], today: date,
                        interval_days: int = MAINTENANCE_DAYS) -> list[Entry]:
    """Terminals in service due for maintenance, the longest unmaintained first (no date at all: first)."""
    entries = []
    for terminal in terminals:
        days = days_since_maintenance(terminal, today)
        if terminal.stopped or (days is not None and days < interval_days):
            continue
        last = terminal.last_maintenance or terminal.installed
        entries.append(Entry("maintenance", terminal.merchant_id, terminal.terminal_id,
                             days if days is not None else -1,
                             {"last_maintenance": last.isoformat() if last else "", "interval_days": interval_days},
                             {"merchant": terminal.merchant_id, "terminal": terminal.terminal_id}))
    return sorted(entries, key=lambda entry: (entry.count >= 0, -entry.count, entry.subject))


# --- error rates that stand out ------------------------------------------------------------------------

def stands_out(findings: int, transactions: int, others: Sequence[tuple[int, int]],
               factor: float = STANDOUT_FACTOR) -> bool:
    """A group's rate against each comparison group's (findings, transactions): at least `factor` times each
    comparison that has transactions (a rate against 0 stands out), with at least one comparison made."""
    if findings < MIN_FINDINGS or transactions < MIN_TRANSACTIONS:
        return False
    compared = [(other_findings, other_txns) for other_findings, other_txns in others if other_txns > 0]
    return bool(compared) and all(findings * other_txns >= factor * other_findings * transactions
                                  for other_findings, other_txns in compared)


def _sums(terminals: Iterable[TerminalFacts]) -> tuple[int, int]:
    rows = list(terminals)
    return sum(row.findings for row in rows), sum(row.transactions for row in rows)


def standout_terminals(terminals: Sequence[TerminalFacts], filters: dict[str, str]) -> list[Entry]:
    """Terminals whose rate stands out against the other terminals of their merchant and of their model."""
    by_merchant: dict[str, tuple[int, int]] = {}
    by_model: dict[str, tuple[int, int]] = {}
    for row in terminals:  # the sums once, then each terminal's own numbers taken out: linear in terminals
        by_merchant[row.merchant_id] = _plus(by_merchant.get(row.merchant_id, (0, 0)), _pair(row))
        if row.model:
            by_model[row.model] = _plus(by_model.get(row.model, (0, 0)), _pair(row))
    entries = []
    for terminal in terminals:
        same_merchant = _minus(by_merchant[terminal.merchant_id], _pair(terminal))
        same_model = _minus(by_model[terminal.model], _pair(terminal)) if terminal.model else (0, 0)
        if stands_out(terminal.findings, terminal.transactions, [same_merchant, same_model]):
            entries.append(Entry(
                "terminal_rate", terminal.merchant_id, terminal.terminal_id, terminal.findings,
                {"transactions": terminal.transactions, "per_thousand": per_thousand(*_pair(terminal)),
                 "merchant_per_thousand": per_thousand(*same_merchant),
                 "model_per_thousand": per_thousand(*same_model), "model": terminal.model},
                {**filters, "merchant": terminal.merchant_id, "terminal": terminal.terminal_id}))
    return sorted(entries, key=lambda entry: (-float(entry.figures["per_thousand"]), entry.subject))


def _plus(left: tuple[int, int], right: tuple[int, int]) -> tuple[int, int]:
    return left[0] + right[0], left[1] + right[1]


def _minus(left: tuple[int, int], right: tuple[int, int]) -> tuple[int, int]:
    return left[0] - right[0], left[1] - right[1]


def _pair(terminal: TerminalFacts) -> tuple[int, int]:
    return terminal.findings, terminal.transactions


def unusual_firmware(terminals: Sequence[TerminalFacts]) -> list[Entry]:
    """Firmware versions (of one model) whose rate stands out against every other terminal's."""
    versions: dict[tuple[str, str], list[TerminalFacts]] = {}
    for row in terminals:
        if row.firmware:
            versions.setdefault((row.model, row.firmware), []).append(row)
    everyone = _sums(terminals)
    entries = []
    for (model, firmware), mine in sorted(versions.items()):
        found, txns = _sums(mine)
        rest = _minus(everyone, (found, txns))
        if stands_out(found, txns, [rest]):
            subject = f"{model} {firmware}".strip()[:80]
            entries.append(Entry("firmware", "", subject, found,
                                 {"transactions": txns, "terminals": len(mine),
                                  "per_thousand": per_thousand(found, txns),
                                  "others_per_thousand": per_thousand(*rest)},
                                 {}, tuple(sorted(row.terminal_id for row in mine))[:EXAMPLES]))
    return sorted(entries, key=lambda entry: (-float(entry.figures["per_thousand"]), entry.subject))


# --- flagged transactions, grouped -----------------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    """One transaction (or finding) a list rests on: where, whose, and how to name it."""

    merchant_id: str
    subject: str  # the terminal, cashier or card it counts for
    example: str  # an RRN or a case number
    moment: datetime | None = None


@dataclass(frozen=True)
class Group:
    """The flags of one (merchant, subject), counted (in the database or from flags): how many, and the first
    EXAMPLES of their names in order."""

    merchant_id: str
    subject: str
    count: int
    examples: tuple[str, ...]


def grouped(list_key: str, flags: Iterable[Flag], minimum: int, filters: dict[str, str],
            subject_filter: str) -> list[Entry]:
    """One entry per (merchant, subject) with at least `minimum` flags, the most first; `subject_filter` names
    the search field the subject fills ("terminal", "cashier", "last4" or "" for none)."""
    names: dict[tuple[str, str], list[str]] = {}
    for flag in flags:
        names.setdefault((flag.merchant_id, flag.subject), []).append(flag.example)
    groups = [Group(merchant_id, subject, len(examples), tuple(sorted(examples))[:EXAMPLES])
              for (merchant_id, subject), examples in names.items() if len(examples) >= minimum]
    return entries_of(list_key, groups, filters, subject_filter)


def entries_of(list_key: str, groups: Iterable[Group], filters: dict[str, str], subject_filter: str) -> list[Entry]:
    """The entries of counted groups (each already at its list's minimum), the most first."""
    entries = []
    for group in groups:
        search = {**filters, "merchant": group.merchant_id}
        if subject_filter:
            search[subject_filter] = group.subject[-4:] if subject_filter == "last4" else group.subject
        entries.append(Entry(list_key, group.merchant_id, group.subject, group.count, {}, search, group.examples))
    return sorted(entries, key=lambda entry: (-entry.count, entry.merchant_id, entry.subject))


def largest_burst(moments: Sequence[datetime], window: timedelta) -> tuple[int, datetime | None]:
    """The most moments within any `window` (both ends included) and the first moment of that window."""
    ordered = sorted(moments)
    best, start, low = 0, None, 0
    for high, moment in enumerate(ordered):
        while moment - ordered[low] > window:
            low += 1
        if high - low + 1 > best:
            best, start = high - low + 1, ordered[low]
    return best, start


def refund_bursts(flags: Iterable[Flag], filters: dict[str, str], count: int = REFUND_BURST_COUNT,
                  minutes: int = REFUND_BURST_MINUTES) -> list[Entry]:
    """Terminals with `count` or more refunds within `minutes`; the link shows that window's refunds."""
    by_terminal: dict[tuple[str, str], list[datetime]] = {}
    for flag in flags:
        if flag.moment is not None:
            by_terminal.setdefault((flag.merchant_id, flag.subject), []).append(flag.moment)
    entries = []
    window = timedelta(minutes=minutes)
    for (merchant_id, terminal_id), moments in by_terminal.items():
        most, start = largest_burst(moments, window)
        if most >= count and start is not None:
            search = {**filters, "merchant": merchant_id, "terminal": terminal_id,
                      "from": start.isoformat(), "to": (start + window).isoformat()}
            entries.append(Entry("refund_burst", merchant_id, terminal_id, most,
                                 {"window_minutes": minutes, "first_at": start.isoformat()}, search))
    return sorted(entries, key=lambda entry: (-entry.count, entry.merchant_id, entry.subject))


def within(earlier: datetime, later: datetime, minutes: int = VOID_WINDOW_MINUTES) -> bool:
    """`later` is no more than `minutes` after `earlier` (and not before it)."""
    return timedelta(0) <= later - earlier <= timedelta(minutes=minutes)


def under_limit_band(limit_minor: int = NO_PIN_LIMIT_MINOR, band: float = UNDER_LIMIT_BAND) -> tuple[int, int]:
    """The amounts (minor units, both included) counted as "just under the limit"."""
    return int(limit_minor * (1 - band)), limit_minor - 1


# --- acknowledgements -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Acknowledgement:
    """Who acknowledged an entry, when, and their note (read back from the audit trail)."""

    by: str
    at: datetime
    note: str


@dataclass(frozen=True)
class Listed:
    """An entry as a report shows it: acknowledged (and how) or not."""

    entry: Entry
    acknowledged: Acknowledgement | None = None


MAX_NOTE = 500


def check_note(note: str) -> str:
    text = note.strip()
    if not text:
        raise InvalidInput("note: say why the entry is acknowledged (what was done, or why nothing needs doing)")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters, not {len(text)}")
    return text
