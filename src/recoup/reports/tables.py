"""The report's tables, pure: what each table of the XLSX, the PDF, the CSV and the page holds, as typed
values (integers, minor units, fractions, dates) with the format of each column. Each output then writes
them its own way (an Excel number format, a formatted text), so the outputs cannot disagree.

Headings are English msgids of the UI catalogues; kinds and causes are translated through `translate`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from recoup.money import Money
from recoup.reports.charts import AGE_BUCKETS, cause_name, code_name
from recoup.reports.summary import PreventionRow, RateRow, Summary, Totals
from recoup.web.i18n import normalise_locale, translate

Translate = Callable[[str], str]
Value = int | float | date | str | None
# Formats: text, int, money (minor units), rate (a fraction), hours, date, permille (findings per 1,000)
TOTALS: tuple[tuple[str, str, str], ...] = (
    ("Findings", "findings", "int"),
    ("Cases", "cases", "int"),
    ("Amount at stake", "amount_at_stake_minor", "money"),
    ("Amount recovered", "amount_recovered_minor", "money"),
    ("Recovery rate (amount)", "recovery_rate", "rate"),
    ("Cases recovered", "cases_recovered", "int"),
    ("Recovery rate (cases)", "recovery_rate_by_count", "rate"),
    ("Median hours to recovery", "median_hours_to_recovery", "hours"),
    ("90th percentile hours to recovery", "p90_hours_to_recovery", "hours"),
    ("Open past deadline", "open_past_deadline", "int"),
    ("Fees lost", "fees_lost_minor", "money"),
    ("Transactions", "transactions", "int"),
)


# Each prevention list's name and what puts an entry on it (English msgids; recoup.reports.prevention_rules).
PREVENTION_LISTS: dict[str, tuple[str, str]] = {
    "maintenance": ("Terminals due for maintenance",
                    "In service and last maintained (or installed) 180 days ago or more, or never."),
    "terminal_rate": ("Terminals whose error rate stands out",
                      "At least twice the findings per 1,000 transactions of the merchant's other terminals "
                      "and of the same model (at least 2 findings in 20 transactions)."),
    "firmware": ("Firmware versions with unusual error rates",
                 "At least twice the findings per 1,000 transactions of every other terminal."),
    "training": ("Cashiers who need training",
                 "Two or more keying errors (decimal shift, extra, missing or transposed digit) in the period."),
    "mcc": ("Merchants settled under another MCC (跳码)",
            "The settlement used a merchant category code other than the registered one."),
    "refund_other_card": ("Refunds to another card", "A refund paid to a card other than the one the sale charged."),
    "refund_burst": ("Many refunds in a short time", "Three or more refunds at one terminal within 30 minutes."),
    "refund_large": ("Refunds far above the usual ticket",
                     "A refund above five times the merchant's average sale of the period."),
    "under_limit": ("Repeated sales just under the no-PIN limit",
                    "Three or more sales by one card between 90% of ¥1,000 and just under it."),
    "void_after_sale": ("Voids right after a sale by the same cashier",
                        "Two or more voids by a cashier of their own sale within 10 minutes."),
}


def list_name(list_key: str, translate: Translate) -> str:
    return translate(PREVENTION_LISTS[list_key][0]) if list_key in PREVENTION_LISTS else list_key


PREVENTION_ROWS = 500  # entries in the report's table (the API and the prevention page list them all)


def prevention_table(rows: Sequence[PreventionRow], translate: Translate) -> Table:
    """The prevention lists as one table, the first PREVENTION_ROWS entries (a last line says how many more)."""
    t = translate
    shown: list[tuple[Value, ...]] = [
        (list_name(row.list, t), row.merchant_id, row.subject, row.count if row.count >= 0 else None,
         " ".join(row.examples), f"{row.acknowledged_by}: {row.note}" if row.acknowledged_by else "")
        for row in rows[:PREVENTION_ROWS]]
    if len(rows) > PREVENTION_ROWS:
        shown.append((t("More entries on the prevention page"), "", "", len(rows) - PREVENTION_ROWS, "", ""))
    return Table("prevention", t("Prevention"), tuple(t(text) for text in (
        "List", "Merchant", "Entry", "Count", "Examples", "Acknowledged")),
        ("text", "text", "text", "int", "text", "text"), shown)


def translator(lang: str) -> Callable[[str], str]:
    locale = normalise_locale(lang)
    return lambda msgid: translate(locale, msgid)


def money_formatter(lang: str, currency: str) -> Callable[[int], str]:
    babel_locale = "zh_CN" if normalise_locale(lang) == "zh_CN" else "en_US"
    return lambda minor: Money(minor, currency).format(babel_locale)


def scope_text(summary: Summary, t: Callable[[str], str]) -> str:
    return ", ".join(summary.merchant_ids) if summary.merchant_ids else t("All merchants")


@dataclass(frozen=True)
class Table:
    key: str  # the sheet's and the CSV section's name: totals, by_kind, ...
    title: str  # translated
    headings: tuple[str, ...]  # translated
    formats: tuple[str, ...]  # one per column; "auto" takes the row's format (totals: one metric per row)
    rows: list[tuple[Value, ...]]
    row_formats: tuple[str, ...] = ()


def change(now: float | None, before: float | None) -> float | None:
    """This period minus the previous one (None when either is unknown)."""
    if now is None or before is None:
        return None
    return now - before


def relative_change(now: float | None, before: float | None) -> float | None:
    """The change as a fraction of the previous period (None when the previous period had none)."""
    if now is None or not before:
        return None
    return (now - before) / before


def totals_rows(current: Totals, previous: Totals) -> list[tuple[Value, ...]]:
    rows: list[tuple[Value, ...]] = []
    for msgid, name, fmt in TOTALS:
        now, before = getattr(current, name), getattr(previous, name)
        relative = relative_change(now, before) if fmt in ("int", "money", "hours") else None
        difference = change(now, before)
        rows.append((msgid, now, before, round(difference, 6) if isinstance(difference, float) else difference,
                     relative))
    return rows


def _rate_table(key: str, title: str, heading: str, rows: Sequence[RateRow], translate: Translate) -> Table:
    return Table(key, translate(title),
                 tuple(translate(text) for text in (heading, "Merchant", "Transactions", "Findings",
                                                     "Per 1,000 transactions")),
                 ("text", "text", "int", "int", "permille"),
                 [(row.key, row.merchant, row.transactions, row.findings, row.per_thousand) for row in rows])


def report_tables(summary: Summary, translate: Translate) -> list[Table]:
    """Every table of the report, in the order the outputs show them."""
    t = translate
    totals = Table("totals", t("Totals"), tuple(t(text) for text in (
        "Measure", "This period", "Previous period", "Change", "Change (%)")),
        ("text", "auto", "auto", "auto", "rate"),
        [(t(str(row[0])), *row[1:]) for row in totals_rows(summary.totals, summary.previous)],
        tuple(fmt for _, _, fmt in TOTALS))
    return [
        totals,
        Table("by_kind", t("By kind"), tuple(t(text) for text in (
            "Kind", "Findings", "Cases", "Amount at stake", "Amount recovered")),
            ("text", "int", "int", "money", "money"),
            [(code_name(row.kind, t), row.findings, row.cases, row.amount_at_stake_minor, row.amount_recovered_minor)
             for row in summary.by_kind]),
        Table("by_cause", t("By cause"), (t("Cause"), t("Findings"), t("Difference")), ("text", "int", "money"),
              [(cause_name(row.cause, t), row.findings, row.difference_minor) for row in summary.by_cause]),
        Table("by_day", t("By day"), (t("Day"), t("Findings"), t("Difference")), ("date", "int", "money"),
              [(row.day, row.findings, row.difference_minor) for row in summary.by_day]),
        _rate_table("worst_terminals", "Worst terminals", "Terminal", summary.worst_terminals, t),
        _rate_table("worst_cashiers", "Worst cashiers", "Cashier", summary.worst_cashiers, t),
        Table("funnel", t("Recovery funnel"), (t("Step"), t("Count")), ("text", "int"),
              [(t("Found"), summary.funnel.found), (t("With a case"), summary.funnel.cased),
               (t("With an action"), summary.funnel.acted), (t("Money seen"), summary.funnel.recovered)]),
        Table("ageing", t("Ageing of open cases"), (t("Open for"), t("Cases")), ("text", "int"),
              [(t(AGE_BUCKETS.get(row.bucket, row.bucket)), row.cases) for row in summary.ageing]),
        prevention_table(summary.prevention, t),
    ]


def cell_format(table: Table, row_index: int, column: int) -> str:
    fmt = table.formats[column]
    return table.row_formats[row_index] if fmt == "auto" else fmt


def format_value(value: Value, fmt: str, money: Callable[[int], str]) -> str:
    """A value as people read it on the page and in the PDF (empty when unknown)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if fmt == "money":
        return money(int(value))
    if fmt == "rate":
        return f"{value:.1%}"
    if fmt in ("hours", "permille"):
        return f"{value:.1f}"
    return str(value)
