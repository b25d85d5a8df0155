"""`recoup message send|list|templates`: messages to a case's customer, through the outbox."""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.cases.recording import audited
from recoup.context import CliContext
from recoup.db import utcnow
from recoup.messaging.rules import TEMPLATE_KEYS
from recoup.messaging.service import MessageRequest, message_row, messages_of, send_message
from recoup.messaging.templates import list_templates
from recoup.output import Format, emit, emit_one

app = typer.Typer(help="Messages to customers: send from a template, list a case's messages, show templates.",
                  no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]
LIST_COLUMNS = ["id", "template", "channel", "to", "state", "attempts", "last_error", "sent_at", "created_at"]


def register(app_: typer.Typer) -> None:
    """Add this domain's commands to `recoup` (called once by recoup.cli)."""
    app_.add_typer(app, name="message")


@app.command("send")
def send(
    case: Annotated[str, typer.Argument(help="the case number, e.g. RC-2026-000123")],
    template: Annotated[str, typer.Option("--template", help="|".join(TEMPLATE_KEYS))],
    channel: Annotated[str, typer.Option("--channel", help="email|sms")] = "email",
    to: Annotated[str, typer.Option("--to", help="address (default: the contact of the case's order)")] = "",
    language: Annotated[str, typer.Option("--language", help="zh_CN|en")] = "zh_CN",
    user: UserOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Queue a message to CASE's customer; `recoup worker` sends it."""
    ctx = CliContext()
    principal = ctx.principal(user)
    request = MessageRequest(template, channel, to, language)
    attempt: dict[str, object] = {"template": template, "channel": channel}
    with audited(ctx.database, principal, "message.queue", case, attempt) as session:
        row = message_row(send_message(session, principal, ctx.settings, case, request, utcnow()))
    if fmt is Format.table:
        typer.echo(f"message {row['id']} queued: {row['template']} by {row['channel']} to {row['to']} "
                   "(`recoup worker` sends it)")
    else:
        emit_one(row, fmt)


@app.command("list")
def list_(case: Annotated[str, typer.Argument(help="the case number")], user: UserOpt = None,
          fmt: FormatOpt = Format.table) -> None:
    """The messages of CASE with their state (QUEUED, SENDING, SENT, FAILED, DEAD), attempts and last error."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        rows = [message_row(message) for message in messages_of(session, principal, case)]
    emit(rows, fmt, columns=LIST_COLUMNS if fmt is not Format.json else None)


@app.command("templates")
def templates(user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The message templates of your organisation (shipped defaults, or the admin's wording)."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        rows = list_templates(session, principal)
    emit(rows, fmt, columns=["key", "locale", "customised", "subject"] if fmt is Format.table else None)
