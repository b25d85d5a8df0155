"""`recoup import KIND FILE` and `recoup search ...`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recoup.context import CliContext
from recoup.output import Format, csv_dict_rows, csv_writer, emit

if TYPE_CHECKING:
    from recoup.transactions.importer import ImportReport

UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, csv or json")]
TABLE_LIMIT = 200


def import_command(
    kind: Annotated[str, typer.Argument(help="merchants, terminals, orders, journal, settlement or iso8583")],
    file: Annotated[Path, typer.Argument(help="the file to import")],
    tenant: Annotated[str | None, typer.Option(help="import only the rows of this tenant (yours); leave out "
                                                    "the others")] = None,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="import the good rows, write the bad "
                                                                        "ones to the reject file")] = False,
    rejects: Annotated[Path | None, typer.Option(help="the reject file (default: FILE.rejects.csv)")] = None,
    year: Annotated[int | None, typer.Option(help="iso8583: the year of the messages")] = None,
    profile: Annotated[str | None, typer.Option(help="read FILE through this import profile (`recoup profile "
                                                     "list`); without it the profile is detected")] = None,
    user: UserOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="table (plain lines) or json")] = Format.table,
) -> None:
    """Import a file of SPEC section 3 in one transaction: all of it, or nothing."""
    from recoup.ingest.service import choose_profile, import_with_profile
    from recoup.transactions.importer import ImportOptions, ImportRejected, import_file

    ctx = CliContext()
    principal = ctx.principal(user)
    reject_path = rejects or file.with_name(file.name + ".rejects.csv")
    options = ImportOptions(skip_bad_rows=skip_bad_rows, reject_path=reject_path if skip_bad_rows else None,
                            tenant_code=tenant, year=year)
    progress = _Progress()
    try:
        with ctx.database.unit_of_work() as session:
            kind = kind.strip().lower()
            choice = choose_profile(session, principal, file, kind, profile) if file.is_file() else None
            if choice is not None and choice.profile is not None:
                typer.echo(choice.note, err=True)
                report, _ = import_with_profile(session, principal, kind, file, ctx.settings, options,
                                                choice.profile)
            else:
                report = import_file(session, principal, kind, file, ctx.settings, options, progress.update)
    except ImportRejected as rejected:
        progress.close()
        typer.echo(f"error: {file.name}: {rejected.rejected_rows} bad line(s); nothing was imported "
                   "(--skip-bad-rows imports the good ones)", err=True)
        for reject in rejected.rejects:
            typer.echo(f"  {reject}", err=True)
        if rejected.rejected_rows > len(rejected.rejects):
            typer.echo(f"  ... the first {len(rejected.rejects)} are listed", err=True)
        raise typer.Exit(1) from None
    finally:
        progress.close()
    _print_report(report, fmt)


def _print_report(report: ImportReport, fmt: Format) -> None:
    from recoup.transactions.schemas import ImportReportOut

    out = ImportReportOut.of(report)
    if fmt is Format.json:
        sys.stdout.write(out.model_dump_json(indent=1) + "\n")
        return
    typer.echo(out.summary)
    for warning in out.warnings:
        typer.echo(f"  {warning}")
    for reject in out.rejects:
        typer.echo(f"  rejected: line {reject.line}, column {reject.column}: {reject.reason}")
    if out.reject_file:
        typer.echo(f"  the rejected lines are in {out.reject_file}")


class _Progress:
    """Phases as plain lines on stderr, and a bar while rows are stored when stderr is a terminal."""

    def __init__(self) -> None:
        self.phase = ""
        self.bar: object | None = None
        self.task: object | None = None

    def update(self, phase: str, done: int, total: int | None) -> None:
        if phase != self.phase:
            self.phase = phase
            typer.echo(f"{phase} {'' if total is None else f'{total} rows'}...".replace(" ...", "..."), err=True)
            if phase == "storing" and total and sys.stderr.isatty():
                from rich.console import Console
                from rich.progress import Progress

                bar = Progress(console=Console(stderr=True), transient=True)
                bar.start()
                self.task = bar.add_task("storing", total=total)
                self.bar = bar
        if self.bar is not None:
            self.bar.update(self.task, completed=done)  # type: ignore[attr-defined]

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()  # type: ignore[attr-defined]
            self.bar = None


def search_command(
    order_no: Annotated[str | None, typer.Option("--order-no")] = None,
    rrn: Annotated[str | None, typer.Option()] = None,
    stan: Annotated[str | None, typer.Option()] = None,
    amount: Annotated[str | None, typer.Option(help="exact amount in major units, e.g. 128.00")] = None,
    min_amount: Annotated[str | None, typer.Option("--min", help="smallest amount")] = None,
    max_amount: Annotated[str | None, typer.Option("--max", help="largest amount")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="from this date or date-time (local time)")] = None,
    to: Annotated[str | None, typer.Option(help="up to this date (whole day) or date-time")] = None,
    last4: Annotated[str | None, typer.Option()] = None,
    terminal: Annotated[str | None, typer.Option()] = None,
    merchant: Annotated[str | None, typer.Option()] = None,
    cashier: Annotated[str | None, typer.Option()] = None,
    auth_code: Annotated[str | None, typer.Option("--auth-code")] = None,
    status: Annotated[str | None, typer.Option()] = None,
    txn_type: Annotated[str | None, typer.Option("--type")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="only lines that arrived for a stopped terminal")] = False,
    source: Annotated[str, typer.Option("--in", help="journal, settlement or orders")] = "journal",
    limit: Annotated[int | None, typer.Option(help="at most this many rows (table: 200 by default)")] = None,
    user: UserOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Find transactions; filters combine. Without a filter, everything you may see (csv/json stream)."""
    from recoup.transactions.layouts import LAYOUTS, TABLE_COLUMNS
    from recoup.transactions.search import build_filters
    from recoup.transactions.service import search_rows

    ctx = CliContext()
    principal = ctx.principal(user)
    values = {"order_no": order_no, "rrn": rrn, "stan": stan, "amount": amount, "min": min_amount,
              "max": max_amount, "from": from_, "to": to, "last4": last4, "terminal": terminal,
              "merchant": merchant, "cashier": cashier, "auth_code": auth_code, "status": status,
              "type": txn_type, "in": source, "flagged": "true" if flagged else None}
    filters = build_filters(values, default_timezone=ctx.settings.default_timezone)
    if fmt is Format.table and limit is None:
        limit = TABLE_LIMIT
    with ctx.database.unit_of_work() as session:
        rows = search_rows(session, principal, filters, limit=limit)
        if fmt is Format.csv:
            _stream_csv(rows, LAYOUTS[filters.source])
        elif fmt is Format.json:
            _stream_json(rows)
        else:
            shown = list(rows)
            emit(shown, fmt, columns=TABLE_COLUMNS[filters.source], title=f"{filters.source}: {len(shown)} row(s)")
            if len(shown) == limit:
                typer.echo(f"(the first {limit}; --limit N or --format csv for more)", err=True)


def _stream_csv(rows: Iterator[dict[str, object]], columns: tuple[str, ...]) -> None:
    writer = csv_writer(sys.stdout)  # formula-like cells neutralised (output.safe_cell)
    writer.writerow(columns)
    writer.writerows(csv_dict_rows(rows, columns))


def _stream_json(rows: Iterator[dict[str, object]]) -> None:
    sys.stdout.write("[")
    for index, row in enumerate(rows):
        sys.stdout.write(("," if index else "") + "\n " + json.dumps(row, ensure_ascii=False, default=str))
    sys.stdout.write("\n]\n")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("search")(search_command)
