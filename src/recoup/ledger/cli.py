"""`recoup ledger balance MERCHANT`, `recoup ledger postings MERCHANT` and `recoup ledger verify`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from recoup.context import CliContext
from recoup.errors import InvalidInput
from recoup.ledger.queries import ledger_merchant, postings
from recoup.ledger.service import merchant_accounts, verify_ledger
from recoup.money import format_major
from recoup.output import Format, emit

app = typer.Typer(help="The merchant ledger: balances, and proof that it adds up.", no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]


@app.command("balance")
def balance(merchant: str, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """A merchant's accounts: available, held, pending settlement, receivable, payable, fees."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        rows = merchant_accounts(session, principal, merchant)
    emit(rows, fmt, columns=["merchant_id", "account", "currency", "balance"])


@app.command("verify")
def verify() -> None:
    """Prove every line belongs to a posting of its tenant, every posting balances, every account equals
    the sum of its lines and no sale is refunded or voided beyond its amount."""
    with CliContext().database.unit_of_work() as session:
        report = verify_ledger(session)
    unknown = f" ({report.unknown_sales} sales not found, not checked)" if report.unknown_sales else ""
    typer.echo(f"ledger balanced: {report.postings} postings, {report.lines} lines, {report.accounts} accounts agree; "
               f"{report.sales} sales refunded or voided within their amount{unknown}")


POSTING_COLUMNS = ["posted_at", "posting_id", "kind", "case", "action_id", "action_kind", "account", "currency",
                   "amount"]
DateOpt = Annotated[str | None, typer.Option(help="a day, YYYY-MM-DD, in the merchant's time zone")]


def _day(text: str | None, option: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} must be a day written YYYY-MM-DD, not {text.strip()[:40]!r}") from None


@app.command("postings")
def postings_(merchant: str, from_: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
              to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD (included)")] = None,
              user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """A merchant's postings, newest first, one row per line (+ debit, - credit), with their actions and
    cases; days and times in the merchant's time zone."""
    first, last = _day(from_, "--from"), _day(to, "--to")
    if first and last and last < first:
        raise InvalidInput("--to is before --from")
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        found = ledger_merchant(session, principal, merchant)
        zone = ZoneInfo(found.timezone or ctx.settings.default_timezone)
        since = datetime.combine(first, time(), zone) if first else None
        until = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
        rows, _ = postings(session, found, since=since, until=until, limit=None)
    emit([{"posted_at": row.posted_at.astimezone(zone).isoformat(timespec="seconds"), "posting_id": row.id,
           "kind": row.kind, "case": row.case_number, "action_id": row.action_id, "action_kind": row.action_kind,
           "account": account, "currency": currency, "amount": format_major(amount, currency)}
          for row in rows for account, currency, amount in row.lines], fmt, columns=POSTING_COLUMNS)
