"""`recoup report`: the periodic report of a date range as JSON, CSV, XLSX or PDF.

JSON is the API's (`to_json`); the CSV holds the same numbers, one section per table (a title line, the
header, the rows, a blank line), every cell through recoup.output's formula-safe rule. XLSX and PDF come
from recoup.reports.exports. The command acts as a user (--user or RECOUP_USER): their role and merchants.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from recoup.errors import InvalidInput, RecoupError
from recoup.reports.csv_export import summary_csv
from recoup.reports.summary import Summary, to_json

FORMATS = ("json", "csv", "xlsx", "pdf")
LANGUAGES = ("zh", "en")
BINARY = ("xlsx", "pdf")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PROGRESS_DAYS = 92  # a range of a quarter or more shows a progress bar on stderr

def parse_day(option: str, text: str | None) -> date | None:
    """A day typed as YYYY-MM-DD (ASCII digits), or None when not given; else InvalidInput naming the option."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if _DAY.fullmatch(value) is None:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option}: a date as YYYY-MM-DD, e.g. 2026-03-31, not {value[:20]!r}") from None


def choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    picked = value.strip().lower()
    if picked not in allowed:
        raise InvalidInput(f"{option}: one of {', '.join(allowed)}, not {value[:20]!r}")
    return picked


def render(summary: Summary, fmt: str, lang: str) -> bytes:
    if fmt == "json":
        return (json.dumps(to_json(summary), ensure_ascii=False, indent=1) + "\n").encode()
    if fmt == "csv":
        return summary_csv(summary).encode()
    from recoup.reports import exports

    return exports.render_xlsx(summary, lang) if fmt == "xlsx" else exports.render_pdf(summary, lang)


def write(content: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(content.decode())
        return
    partial = out.with_name(out.name + ".partial")
    try:
        partial.write_bytes(content)
        partial.replace(out)  # a reader never sees half a report
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise RecoupError(f"--out: cannot write {out}: {error.strerror or error}") from None


def report(
    ctx: typer.Context,
    date_from: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD (default: 30 days ago)")]
    = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last day, included (default: today)")] = None,
    merchant: Annotated[str | None, typer.Option(help="one merchant (default: every merchant you see)")] = None,
    currency: Annotated[str, typer.Option(help="the currency counted; others are left out")] = "CNY",
    fmt: Annotated[str, typer.Option("--format", help="json, csv, xlsx or pdf")] = "json",
    lang: Annotated[str, typer.Option(help="zh or en (words of the xlsx and pdf)")] = "zh",
    out: Annotated[Path | None, typer.Option(help="file to write (json and csv: stdout without it)",
                                             dir_okay=False)] = None,
    user: Annotated[str | None, typer.Option("--user", help="act as this user ($RECOUP_USER)")] = None,
) -> None:
    """Findings, cases, money recovered, error rates and ageing of a date range (SPEC section 8).
    `recoup report schedule ...` lists and changes the daily and weekly summaries e-mailed by the worker."""
    if ctx.invoked_subcommand is not None:
        return
    from recoup.context import CliContext
    from recoup.reports.service import summary

    first, last = parse_day("--from", date_from), parse_day("--to", date_to)
    picked, language = choice("--format", fmt, FORMATS), choice("--lang", lang, LANGUAGES)
    if picked in BINARY and out is None:
        raise InvalidInput(f"--format {picked} writes a file: give --out FILE")
    cli = CliContext()
    principal = cli.principal(user)
    typer.echo(f"report {first or 'last 30 days'}..{last or 'today'}: counting", err=True)
    with cli.database.unit_of_work() as session, counting(first, last) as on_step:
        found = summary(session, principal, first, last, merchant_id=merchant or None, currency=currency,
                        on_step=on_step)
    typer.echo(f"report {found.date_from}..{found.date_to}: {found.totals.findings} findings, "
               f"{found.totals.cases} cases; rendering {picked}", err=True)
    write(render(found, picked, language), out)
    if out is not None:
        typer.echo(f"report written to {out}", err=True)


@contextmanager
def counting(first: date | None, last: date | None) -> Iterator[Callable[[str], None] | None]:
    """A progress bar on stderr while a long range (PROGRESS_DAYS or more) is counted; nothing otherwise."""
    if first is None or last is None or (last - first).days + 1 < PROGRESS_DAYS:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from recoup.reports.service import STEPS

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task("counting", total=len(STEPS))
        yield lambda step: progress.update(task, advance=1, description=f"counted {step}")


def register(root: typer.Typer) -> None:
    """Add `report` to the root command: a group whose own options make the report (so `recoup report --from
    D1 --to D2 --format json` works as before: the callback runs when no subcommand is named) and whose
    subcommand `schedule` manages the e-mailed summaries."""
    from recoup.reports.schedule_cli import app as schedule_app

    group = typer.Typer(help="The periodic report of a date range; `schedule` for the e-mailed summaries.")
    group.callback(invoke_without_command=True)(report)
    group.add_typer(schedule_app, name="schedule")
    root.add_typer(group, name="report")
