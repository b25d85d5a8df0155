"""`recoup webhook add|list|disable|deliver`: where case and action events are sent."""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.cases.recording import audited
from recoup.context import CliContext
from recoup.output import Format, emit
from recoup.webhooks.delivery import deliver_due
from recoup.webhooks.service import add_endpoint, disable_endpoint, list_endpoints

app = typer.Typer(help="Outgoing webhooks (HMAC-SHA256 signed) on case and action changes.", no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]


@app.command("add")
def add(url: str, secret: Annotated[str | None, typer.Option(help="signing secret (default: generated)")] = None,
        user: UserOpt = None) -> None:
    """Send your organisation's case and action events to URL; prints the signing secret once."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with audited(ctx.database, principal, "webhook.add", url, {"url": url}) as session:
        endpoint, signing_secret = add_endpoint(session, principal, url, secret, keys=ctx.settings.keyring())
        endpoint_id = endpoint.id
    typer.echo(f"webhook {endpoint_id} -> {url}\nsigning secret (keep it; shown once): {signing_secret}")


@app.command("list")
def list_(user: UserOpt = None, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """Your organisation's webhook endpoints."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        rows: list[dict[str, object]] = [{"id": e.id, "url": e.url, "active": e.active, "created_by": e.created_by}
                                         for e in list_endpoints(session, principal)]
    emit(rows, fmt, columns=["id", "url", "active", "created_by"])


@app.command("disable")
def disable(endpoint_id: int, user: UserOpt = None) -> None:
    """Stop sending events to an endpoint."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with audited(ctx.database, principal, "webhook.disable", str(endpoint_id)) as session:
        disable_endpoint(session, principal, endpoint_id)
    typer.echo(f"webhook {endpoint_id} disabled")


@app.command("deliver")
def deliver() -> None:
    """Send every due delivery now (the worker does this on each pass)."""
    ctx = CliContext()
    report = deliver_due(ctx.database, keys=ctx.settings.keyring())
    typer.echo(f"{report.delivered} delivered, {report.failed} to retry, {report.dead} given up")
