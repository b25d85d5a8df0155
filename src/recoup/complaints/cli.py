"""`recoup complaint list|show|deadlines`: the complaints inbox from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.complaints.repository import complaint_id_of, deadline_policy, get_complaint, list_complaints
from recoup.complaints.schemas import complaint_detail, complaint_row
from recoup.complaints.service import set_deadlines
from recoup.complaints.states import DeadlinePolicy
from recoup.context import CliContext
from recoup.db import utcnow
from recoup.output import Format, emit, emit_one

app = typer.Typer(help="Complaints: list and show them; the tenant's complaint deadlines.", no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]
LIST_COLUMNS = ["id", "code", "state", "rung", "deadline_at", "merchant_id", "against", "amount", "currency",
                "last4", "case_id", "rating"]


def register(app_: typer.Typer) -> None:
    """Add this domain's commands to `recoup` (called once by recoup.cli)."""
    app_.add_typer(app, name="complaint")


@app.command("list")
def list_(state: str | None = None, merchant: str | None = None,
          overdue: Annotated[bool, typer.Option(help="only complaints past their deadline")] = False,
          offset: int = 0, limit: int = 100, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The complaints you may see, the soonest deadline first."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        found, _ = list_complaints(session, principal, state=state, merchant_id=merchant,
                                   overdue_at=utcnow() if overdue else None, offset=max(offset, 0),
                                   limit=min(max(limit, 1), 1000))
        rows = [complaint_row(complaint) for complaint in found]
    emit(rows, fmt, columns=LIST_COLUMNS)


@app.command("show")
def show(complaint: Annotated[str, typer.Argument(help="the complaint's number, e.g. 42")], user: UserOpt = None,
         fmt: FormatOpt = Format.table) -> None:
    """One complaint: its facts, state, deadline, links and answers."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        detail = complaint_detail(session, get_complaint(session, principal, complaint_id_of(complaint)))
    if fmt is Format.json:
        emit_one(detail, fmt)
        return
    answers = detail.pop("answers")
    emit_one(detail, fmt)
    if fmt is Format.table and isinstance(answers, list) and answers:
        emit(answers, fmt, columns=["at", "author", "text"], title="answers")


@app.command("deadlines")
def deadlines(first_answer_days: Annotated[int | None, typer.Option(help="days to the first answer")] = None,
              close_days: Annotated[int | None, typer.Option(help="days to close")] = None,
              user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Show the tenant's complaint deadlines, or (admin) change them."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        policy = deadline_policy(session, principal.tenant_id)
        if first_answer_days is not None or close_days is not None:
            policy = DeadlinePolicy(first_answer_days or policy.first_answer_days, close_days or policy.close_days)
            set_deadlines(session, principal, policy, utcnow())
    emit_one({"first_answer_days": policy.first_answer_days, "close_days": policy.close_days}, fmt)
