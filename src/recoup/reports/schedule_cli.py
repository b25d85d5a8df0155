"""`recoup report schedule list|set|disable`: the daily and weekly summaries e-mailed by the worker.

    recoup report schedule set --daily --at 08:00                     # the tenant's operations users
    recoup report schedule set --merchant M --weekly --weekday mon --at 07:30   # M's finance users
    recoup report schedule disable --merchant M --weekly
    recoup report schedule list
"""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.db import utcnow
from recoup.errors import InvalidInput
from recoup.reports.schedule_rules import Frequency, describe, parse_at, parse_weekday

app = typer.Typer(help="Daily and weekly summaries e-mailed (with the PDF) by the worker.", no_args_is_help=True)

Merchant = Annotated[str | None, typer.Option(help="the merchant's schedule (default: the tenant's)")]
Daily = Annotated[bool, typer.Option("--daily", help="the daily summary (the day before)")]
Weekly = Annotated[bool, typer.Option("--weekly", help="the weekly summary (the seven days before)")]
User = Annotated[str | None, typer.Option("--user", help="act as this user ($RECOUP_USER)")]


def frequency_of(daily: bool, weekly: bool) -> Frequency:
    if daily == weekly:
        raise InvalidInput("say which schedule: --daily or --weekly (one of them)")
    return Frequency.DAILY if daily else Frequency.WEEKLY


@app.command("list")
def list_command(user: User = None) -> None:
    """The schedules you see: scope (merchant id and name), frequency, local time and zone, on or off,
    how many receive it, the last period sent."""
    from recoup.context import CliContext
    from recoup.reports.schedule_views import schedule_views
    from recoup.reports.schedules import list_schedules

    ctx = CliContext()
    with ctx.database.unit_of_work() as session:
        principal = ctx.principal(user)
        found = list_schedules(session, principal)
        if not found:
            typer.echo("no report schedules (recoup report schedule set --daily --at 08:00)")
        views = {view.id: view for view in schedule_views(session, principal, found)}
        for item in found:
            view = views[item.id]
            scope = f"{item.merchant_id} {view.merchant_name}" if item.merchant_id else "tenant"
            when = describe(item.frequency, item.hour, item.minute, item.weekday)
            typer.echo(f"{scope}\t{when} ({view.zone})\t{'on' if item.enabled else 'off'}\t"
                       f"{view.recipients} recipient(s)\tlast sent: {item.last_period or '-'}")


@app.command("set")
def set_command(
    at: Annotated[str, typer.Option("--at", help="local time HH:MM (the merchant's zone, else Asia/Shanghai)")],
    merchant: Merchant = None, daily: Daily = False, weekly: Weekly = False,
    weekday: Annotated[str | None, typer.Option(help="weekly: mon..sun or 1-7 (default mon)")] = None,
    user: User = None,
) -> None:
    """Create or change a schedule, and switch it on."""
    from recoup.context import CliContext
    from recoup.reports.schedules import set_schedule

    frequency, moment = frequency_of(daily, weekly), parse_at(at)
    day = parse_weekday(weekday) if weekday is not None else None
    ctx = CliContext()
    with ctx.database.unit_of_work() as session:
        found = set_schedule(session, ctx.principal(user), merchant or None, frequency, moment, day, utcnow())
        text = f"{found.merchant_id or 'tenant'}: {describe(found.frequency, found.hour, found.minute, found.weekday)}"
    typer.echo(f"report schedule set: {text}")


@app.command("disable")
def disable_command(merchant: Merchant = None, daily: Daily = False, weekly: Weekly = False,
                    user: User = None) -> None:
    """Switch a schedule off (it is kept; `set` switches it on again)."""
    from recoup.context import CliContext
    from recoup.reports.schedules import disable_schedule

    frequency = frequency_of(daily, weekly)
    ctx = CliContext()
    with ctx.database.unit_of_work() as session:
        disable_schedule(session, ctx.principal(user), merchant or None, frequency, utcnow())
    typer.echo(f"report schedule disabled: {merchant or 'tenant'} {frequency.value}")
