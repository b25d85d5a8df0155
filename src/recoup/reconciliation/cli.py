"""`recoup reconcile`: orders, journal and settlement files in, a findings CSV out."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recoup.errors import RecoupError
from recoup.output import Format, emit

if TYPE_CHECKING:
    from recoup.reconciliation.service import ReconcileSummary


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def _card_key() -> bytes:
    from recoup.config import get_settings

    return get_settings().card_key_bytes


def _needs_files(orders: Path | None, journal: Path | None, settlement: Path | None,
                 out: Path | None) -> tuple[Path, Path, Path, Path]:
    missing = [name for name, value in (("--orders", orders), ("--journal", journal),
                                        ("--settlement", settlement), ("--out", out)) if value is None]
    if missing:
        raise RecoupError(f"reconcile needs {', '.join(missing)} (or --db)")
    return orders, journal, settlement, out  # type: ignore[return-value]


def reconcile(
    orders: Annotated[Path | None, typer.Option(help="orders CSV (the merchant's sales records)",
                                                dir_okay=False)] = None,
    journal: Annotated[Path | None, typer.Option(help="terminal journal CSV", dir_okay=False)] = None,
    settlement: Annotated[Path | None, typer.Option(help="acquirer settlement CSV", dir_okay=False)] = None,
    merchants: Annotated[Path | None, typer.Option(help="merchant registry CSV (enables MCC checks)",
                                                   dir_okay=False)] = None,
    out: Annotated[Path | None, typer.Option(help="where to write the findings CSV", dir_okay=False)] = None,
    fmt: Annotated[Format, typer.Option("--format", help="summary format on stdout")] = Format.table,
    db: Annotated[bool, typer.Option("--db", help="reconcile what the database holds")] = False,
    merchant: Annotated[str | None, typer.Option(help="with --db: one merchant")] = None,
    date_from: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"],
                                                       help="with --db: first day")] = None,
    date_to: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"],
                                                     help="with --db: last day")] = None,
    save: Annotated[bool, typer.Option("--save", help="with --db: store the findings and open cases")] = False,
    user: Annotated[str | None, typer.Option("--user", help="with --db: act as this user ($RECOUP_USER)")] = None,
    settlement_profile: Annotated[str | None, typer.Option(
        "--settlement-profile", help="read --settlement through this import profile (default: detected)")] = None,
    journal_profile: Annotated[str | None, typer.Option(
        "--journal-profile", help="read --journal through this import profile (default: detected)")] = None,
    orders_profile: Annotated[str | None, typer.Option(
        "--orders-profile", help="read --orders through this import profile (default: detected)")] = None,
    engine: Annotated[Engine, typer.Option(help="duckdb (one machine) or spark (a cluster; CSV or Parquet)")]
        = Engine.duckdb,
    master: Annotated[str, typer.Option(help="with --engine spark: local[N], spark://host:port, yarn ...")]
        = "local[2]",
) -> None:
    """Compare orders, journal and settlement and write every finding of SPEC section 4."""
    profiles = {"orders": orders_profile, "journal": journal_profile, "settlement": settlement_profile}
    if db:
        if any(profiles.values()) or engine is not Engine.duckdb:
            raise RecoupError("--*-profile and --engine read files; stored data is reconciled without them")
        _reconcile_db(merchant, date_from, date_to, out, save, user, fmt)
        return
    if save or merchant or date_from or date_to:
        raise RecoupError("--save, --merchant, --from and --to work on stored data: add --db")
    orders_path, journal_path, settlement_path, out_path = _needs_files(orders, journal, settlement, out)
    files = {"orders": orders_path, "journal": journal_path, "settlement": settlement_path}
    summary = _reconcile_files(files, profiles, merchants, out_path, engine, master)
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    emit(summary.table(), fmt, columns=["kind", "findings"],
         title=f"{summary.total} findings written to {summary.out}")


def _reconcile_files(files: dict[str, Path], profiles: dict[str, str | None], merchants: Path | None,
                     out: Path, engine: Engine, master: str) -> ReconcileSummary:
    """Statement files through their import profiles (detected when not named), then the chosen engine."""
    from recoup.ingest.reconcile_inputs import native_inputs
    from recoup.reconciliation.service import reconcile_files

    if engine is Engine.spark and all(path.suffix == ".parquet" for path in files.values()):
        from recoup.reconciliation.spark_files import reconcile_files_on_spark

        return reconcile_files_on_spark(files["orders"], files["journal"], files["settlement"], merchants, out,
                                        card_key=_card_key(), master=master)  # checked relations already
    with native_inputs({kind: (path, profiles[kind]) for kind, path in files.items()}) as inputs:
        for note in inputs.notes:
            typer.echo(note, err=True)
        paths = (inputs.path("orders"), inputs.path("journal"), inputs.path("settlement"), merchants, out)
        if engine is Engine.spark:
            from recoup.reconciliation.spark_files import reconcile_files_on_spark

            return inputs.run(lambda: reconcile_files_on_spark(*paths, card_key=_card_key(), master=master))
        return inputs.run(lambda: reconcile_files(*paths, card_key=_card_key(), progress=sys.stderr.isatty()))


def _reconcile_db(merchant: str | None, date_from: datetime | None, date_to: datetime | None, out: Path | None,
                  save: bool, user: str | None, fmt: Format) -> None:
    from recoup.context import CliContext
    from recoup.reconciliation.db_run import reconcile_database
    from recoup.reconciliation.db_source import DbScope

    if date_from and date_to and date_from > date_to:
        raise RecoupError("--from is after --to")
    ctx = CliContext()
    principal = ctx.principal(user)
    scope = DbScope(merchant, date_from.date() if date_from else None, date_to.date() if date_to else None)
    summary = reconcile_database(ctx.database, principal, scope, out=out, save=save)
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if summary.saved:
        typer.echo(summary.saved, err=True)
    where = f" written to {out}" if out else ""
    emit(summary.table(), fmt, columns=summary.columns(), title=f"{summary.total} findings{where}")


def register(root: typer.Typer) -> None:
    """Add `reconcile` to the root command."""
    root.command("reconcile")(reconcile)
