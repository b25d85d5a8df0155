"""`recoup case open|list|show|assign|move|escalate|note|close|reopen|ladder|report`.

The recovery commands (refund, void, ...) come from recoup.recovery.cli.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.changes import CHANGES, attempted
from recoup.cases.ladder_settings import ladder_view, set_ladder
from recoup.cases.models import Case
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.recording import audited
from recoup.cases.repository import get_case, ladder_config, list_cases
from recoup.cases.schemas import case_detail, case_row
from recoup.context import CliContext
from recoup.db import utcnow
from recoup.errors import InvalidInput
from recoup.output import Format, emit, emit_one
from recoup.recovery.cli import register as register_recovery

app = typer.Typer(help="Cases: open, list, show and work them; recover the money.", no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (kept on the timeline)")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="the PDF to write (default: CASE-incident-report-LANG.pdf)")]
LIST_COLUMNS = ["number", "kind", "cause", "state", "rung", "merchant_id", "terminal_id", "rrn", "order_no",
                "amount_at_stake", "amount_recovered", "currency", "owner"]


def change(user: str | None, action: str, case_ref: str, attempt: dict[str, object],
           work: Callable[[Session, Principal], Case], fmt: Format, done: str) -> None:
    """Run one audited change as the user and print the case (or a line saying what happened)."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with audited(ctx.database, principal, action, case_ref, attempt) as session:
        row = case_row(work(session, principal))
    if fmt is Format.table:
        typer.echo(f"{row['number']}: {done} (state {row['state']}, rung {row['rung']})")
    else:
        emit_one(row, fmt)


@app.command("open")
def open_(
    rrn: Annotated[str, typer.Option(help="the transaction's reference number")] = "",
    terminal: Annotated[str, typer.Option(help="its terminal, when the RRN is not unique")] = "",
    merchant: Annotated[str, typer.Option(help="the merchant, for a case without a transaction")] = "",
    amount: Annotated[str, typer.Option(help="amount at stake, e.g. 1152.00 (default: the transaction's)")] = "",
    currency: str = "", kind: str = "REPORTED",
    direction: Annotated[str, typer.Option(help="MERCHANT_OWES_PAYER, PAYER_OWES_MERCHANT, ...")] = "",
    summary: str = "", user: UserOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Open a case by hand for a transaction (or a merchant)."""
    request = OpenRequest(rrn=rrn, terminal_id=terminal, merchant_id=merchant, amount=amount, currency=currency,
                          kind=kind, direction=direction, summary=summary)
    change(user, "case.open", rrn or merchant or "-", {"rrn": rrn, "merchant": merchant, "amount": amount},
           lambda session, who: open_case(session, who, request), fmt, "opened")


@app.command("list")
def list_(
    state: str | None = None, merchant: str | None = None, kind: str | None = None,
    overdue: Annotated[bool, typer.Option(help="only cases past their rung's deadline")] = False,
    limit: int | None = None, user: UserOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """List the cases you may see (one object per case with --format json)."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        cases = list_cases(session, principal, state=state, merchant_id=merchant, kind=kind,
                           overdue_at=utcnow() if overdue else None, limit=limit)
        rows = [case_row(case) for case in cases]
    emit(rows, fmt, columns=LIST_COLUMNS)


@app.command("show")
def show(case: str, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Show a case with its timeline, actions, findings, transactions and balances."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        detail = case_detail(session, get_case(session, principal, case))
    if fmt is Format.json:
        emit_one(detail, fmt)
        return
    facts = {key: value for key, value in detail.items() if not isinstance(value, list | dict)}
    emit_one(facts, fmt)
    if fmt is Format.table:
        _print_lists(detail)


def _print_lists(detail: dict[str, object]) -> None:
    sections = (("timeline", ["at", "actor", "event", "from_state", "to_state", "note"]),
                ("actions", ["id", "kind", "amount", "currency", "state", "idempotency_key", "confirmed_by"]),
                ("transactions", ["source", "terminal_id", "rrn", "txn_type", "status", "amount", "card"]),
                ("alerts", ["at", "kind", "message", "owner"]))
    for name, columns in sections:
        rows = detail.get(name)
        if isinstance(rows, list) and rows:
            emit(rows, Format.table, columns=columns, title=name)
    balance = detail.get("balance")
    if isinstance(balance, dict):
        Console().print("balance: " + ", ".join(f"{account} {amount}" for account, amount in balance.items()))


def _parameter(name: str, annotation: object, default: object = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


CASE, REASON = _parameter("case", str), _parameter("reason", ReasonOpt, "")
USER, FORMAT = _parameter("user", UserOpt, None), _parameter("fmt", FormatOpt, Format.table)


def _offer(verb: str, help_text: str, fields: list[inspect.Parameter], done: Callable[[dict[str, str]], str]) -> None:
    """Add `recoup case <verb> CASE <fields> [--user] [--format]`; the fields go to the change in their order."""
    case_change = CHANGES[verb]

    def command(case: str, user: str | None, fmt: Format, **values: str) -> None:
        change(user, case_change.action, case, attempted(values),
               lambda session, who: case_change.perform(session, who, case, *values.values()), fmt, done(values))

    # Typer takes the command's arguments and options from its signature.
    command.__signature__ = inspect.Signature([CASE, *fields, USER, FORMAT])  # type: ignore[attr-defined]
    app.command(verb, help=help_text)(command)


_offer("assign", "Give a case an owner.",
       [_parameter("owner", Annotated[str, typer.Argument(help="username of the new owner")])],
       lambda values: f"assigned to {values['owner']}")
_offer("move", "Move a case to another state (only the moves SPEC section 5 allows).",
       [_parameter("state", str), REASON], lambda values: f"moved to {values['state'].upper()}")
_offer("escalate", "Climb the case one rung (or dispute stage) up the ladder.", [REASON], lambda _: "escalated")
_offer("note", "Add a note to a case's timeline.", [_parameter("text", str)], lambda _: "note added")
_offer("close", "Close a resolved case, or end one as REJECTED or WRITTEN_OFF (with a reason).",
       [REASON, _parameter("outcome", Annotated[str, typer.Option("--as", help="CLOSED, REJECTED or WRITTEN_OFF")],
                           "CLOSED")],
       lambda values: f"closed as {values['outcome'].upper()}")
_offer("reopen", "Reopen a finished case (recorded on its timeline).", [REASON], lambda _: "reopened")


@app.command("ladder")
def ladder(
    set_: Annotated[str, typer.Option("--set", help='JSON, e.g. \'{"days": {"MERCHANT": 5}}\'')] = "",
    user: UserOpt = None,
) -> None:
    """Show your organisation's escalation ladder, or change it (admin)."""
    ctx = CliContext()
    principal = ctx.principal(user)
    if set_:
        try:
            overrides = json.loads(set_)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"--set takes a JSON object: {error.msg}") from None
        if not isinstance(overrides, dict):
            raise InvalidInput("--set takes a JSON object")
        with audited(ctx.database, principal, "ladder.set", str(principal.tenant_id), overrides) as session:
            view = set_ladder(session, principal, overrides)
    else:
        with ctx.database.unit_of_work() as session:
            view = ladder_view(ladder_config(session, principal.tenant_id))
    emit_one(view, Format.json)


@app.command("report")
def report(
    case: str,
    lang: Annotated[str, typer.Option("--lang", help="zh (Chinese) or en (English)")] = "zh",
    out: OutOpt = None,
    user: UserOpt = None,
) -> None:
    """Write a case's incident report (time, place, people, cause, measures, outcome) as a PDF."""
    from recoup.evidence.incident_report import render_incident_report, report_filename

    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        number = get_case(session, principal, case).number
        target = out or Path(report_filename(number, lang))
        body = render_incident_report(session, principal, number, lang, utcnow())
    try:
        target.write_bytes(body)
    except OSError as error:
        raise InvalidInput(f"cannot write {target}: {error.strerror or error}") from None
    typer.echo(f"{number}: incident report ({len(body)} bytes) written to {target}")


register_recovery(app)
