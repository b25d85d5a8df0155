"""`recoup terminal list|status|stop|restart`."""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.context import CliContext
from recoup.merchants.repository import get_terminal, list_terminals
from recoup.merchants.service import restart_terminal, stop_terminal, terminal_state
from recoup.output import Format, emit, emit_one

app = typer.Typer(help="Terminals: list them, stop one at once, restart it.", no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]


@app.command("list")
def list_(user: UserOpt = None, merchant: str | None = None, fmt: FormatOpt = Format.table) -> None:
    """List the terminals you may see."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        rows = [terminal_state(t) | {"model": t.model, "location": t.location}
                for t in list_terminals(session, principal, merchant)]
    emit(rows, fmt, columns=["terminal_id", "merchant_id", "status", "model", "location", "reason"])


@app.command("status")
def status(terminal_id: str, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Show whether a terminal is stopped."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        emit_one(terminal_state(get_terminal(session, principal, terminal_id)), fmt)


@app.command("stop")
def stop(terminal_id: str, reason: Annotated[str, typer.Option()] = "", user: UserOpt = None) -> None:
    """Stop a terminal at once; every later transaction for it is flagged."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        stop_terminal(session, principal, terminal_id, reason)
    typer.echo(f"terminal {terminal_id} stopped")


@app.command("restart")
def restart(terminal_id: str, reason: Annotated[str, typer.Option()], user: UserOpt = None) -> None:
    """Restart a stopped terminal (merchant finance or admin, with a reason)."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        restart_terminal(session, principal, terminal_id, reason)
    typer.echo(f"terminal {terminal_id} restarted")
