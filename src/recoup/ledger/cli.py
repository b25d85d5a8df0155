"""`recoup ledger balance MERCHANT` and `recoup ledger verify`."""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.context import CliContext
from recoup.ledger.service import merchant_accounts, verify_ledger
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
    """Prove every posting balances, every account equals the sum of its lines and no sale is
    refunded or voided beyond its amount."""
    with CliContext().database.unit_of_work() as session:
        report = verify_ledger(session)
    unknown = f" ({report.unknown_sales} sales not found, not checked)" if report.unknown_sales else ""
    typer.echo(f"ledger balanced: {report.postings} postings, {report.lines} lines, {report.accounts} accounts agree; "
               f"{report.sales} sales refunded or voided within their amount{unknown}")
