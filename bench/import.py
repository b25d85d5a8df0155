"""Import benchmark: a generated journal of N lines (1 million by default) into SQLite and PostgreSQL.

    .venv/bin/python bench/import.py [--lines 1000000] [--search-rows 10000000] [--only sqlite|postgresql]
                                     [--kind journal|settlement] [--repeat 3] [--reconcile]

Prints rows per second, the peak memory and the CPU seconds of each import (each runs in a process of its
own; on PostgreSQL also the server process's), then times `search` by RRN, by order number, by terminal
and day, by merchant and hour, and by card ending with an amount or a day, and shows the plan the database
chose for each search and for the import's own follow-up query (index design).
On PostgreSQL, after a warm-up import that is not counted, each of `--repeat` rounds imports into a fresh
database, then measures there the COPY floor (bench/import_floor.py: the same rows, in the best of
PostgreSQL's text and binary formats) and prints the import's rows/s as a share of the mean of the floors
taken just before and just after it, per round and the median, in wall time and in CPU seconds (on a
shared machine CPU seconds depend less on what else runs). `--profile` prints the server's CPU seconds of
each statement of the import. The searches: bench/import_search.py.
`--reconcile` then imports the orders and the settlement too and times `recoup reconcile --db` over the
three (the same service the command runs), on each engine.
`--search-rows` first grows the PostgreSQL journal to that many lines (copies under other tenants)
so that the search timings are taken over a table of that size. `--kind settlement` imports the
settlement file of the same data instead (every line is booked in the ledger); no search then.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def child(engine_url: str, folder: Path, kind: str = "journal") -> dict[str, object]:
    """In its own process: register the merchants, import the journal (or the settlement)."""
    database, principal, settings = _setup(engine_url, folder)
    return _timed_import(database, principal, settings, kind, folder / f"{kind}.csv")


def child_reconcile(engine_url: str, folder: Path) -> dict[str, object]:
    """In its own process, into the database the journal was imported into: import the orders and the
    settlement, then time `recoup reconcile --db` (its service, as the command runs it) over all three."""
    from bench.import_floor import cpu_seconds

    from recoup.reconciliation.db_run import reconcile_database
    from recoup.reconciliation.db_source import DbScope

    database, principal, settings = _setup(engine_url, folder, register=False)
    result: dict[str, object] = {}
    for kind in ("orders", "settlement"):
        result[f"import_{kind}"] = _timed_import(database, principal, settings, kind, folder / f"{kind}.csv")
    started, cpu_started = time.perf_counter(), cpu_seconds()
    summary = reconcile_database(database, principal, DbScope(), out=folder / "findings.csv", save=False)
    result["reconcile_db"] = {"seconds": round(time.perf_counter() - started, 1),
                              "cpu_seconds": round(cpu_seconds() - cpu_started, 1), "rows_read": summary.rows,
                              "findings": summary.total,
                              "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    return result


def _setup(engine_url: str, folder: Path, register: bool = True) -> tuple[Any, Any, Any]:
    """The database (migrated), the bench tenant's importing principal, the settings."""
    from recoup.audit.setup import AuditSetup
    from recoup.auth.principal import Principal
    from recoup.auth.roles import Role
    from recoup.auth.service import get_or_create_tenant
    from recoup.config import Settings
    from recoup.db import Database
    from recoup.merchants.models import Merchant, Terminal
    from recoup.migrations.runner import upgrade

    settings = Settings(database_url=engine_url, var_dir=folder / "var")
    database = Database(engine_url, audit=AuditSetup.from_settings(settings))
    upgrade(database.engine)  # nothing to do the second time
    with database.unit_of_work() as session:
        tenant = get_or_create_tenant(session, "BENCH")
        tenant_id = tenant.id
        if not register:
            return database, Principal(0, "bench", tenant_id, Role.ADMIN, frozenset(), origin="cli"), settings
        for row in csv.DictReader((folder / "merchants.csv").open(encoding="utf-8")):
            session.add(Merchant(merchant_id=row["merchant_id"], tenant_id=tenant.id, name=row["name"],
                                 mcc=row["mcc"]))
        session.flush()
        for row in csv.DictReader((folder / "terminals.csv").open(encoding="utf-8")):
            session.add(Terminal(terminal_id=row["terminal_id"], merchant_id=row["merchant_id"], tenant_id=tenant.id))
    return database, Principal(0, "bench", tenant_id, Role.ADMIN, frozenset(), origin="cli"), settings


def _timed_import(database: Any, principal: Any, settings: Any, kind: str, path: Path) -> dict[str, object]:
    from bench.import_floor import ServerWaits, cpu_seconds, process_cpu_seconds, server_process
    from sqlalchemy import text

    from recoup.transactions.importer import import_file

    started, cpu_started = time.perf_counter(), cpu_seconds()
    with database.unit_of_work() as session:
        server = server_process(session)
        server_started = process_cpu_seconds(server)
        with ServerWaits(server) as waits:
            report = import_file(session, principal, kind, path, settings)
        server_cpu = process_cpu_seconds(server) - server_started
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text(f"ANALYZE {'orders' if kind == 'orders' else kind + '_lines'}"))
    result: dict[str, object] = {"engine": database.engine.dialect.name, "rows": report.imported,
                                 "seconds": round(seconds, 1), "rows_per_second": round(report.imported / seconds),
                                 "peak_rss_mib": round(peak_mib), "cpu_seconds": round(cpu, 2)}
    if server is not None:
        result["server_cpu_seconds"], result["server_pid"] = round(server_cpu, 2), server
        result["server_waiting_seconds"] = waits.seconds  # the server idle, waiting for rows (or for the commit)
    if report.ledger_posted:
        result["ledger_posted"] = report.ledger_posted
    return result


def run_child(mode: str, url: str, folder: Path) -> dict[str, object]:
    answer = subprocess.run([sys.executable, __file__, "--child", mode, url, str(folder)], capture_output=True,
                            text=True, check=False)
    if answer.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{answer.stderr[-3000:]}")
    result: dict[str, object] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--search-rows", type=int, default=0, help="grow the PostgreSQL journal to this many lines")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--kind", choices=("journal", "settlement"), default="journal")
    parser.add_argument("--repeat", type=int, default=1, help="PostgreSQL: rounds of import + COPY floor")
    parser.add_argument("--reconcile", action="store_true", help="then import orders and settlement and time "
                        "`recoup reconcile --db` (journal only)")
    parser.add_argument("--profile", action="store_true", help="PostgreSQL: the server's CPU seconds per statement")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, folder = args.child
        if mode == "search":
            from bench.import_search import search_timings

            done = search_timings(url, Path(folder))
        elif mode == "reconcile":
            done = child_reconcile(url, Path(folder))
        else:
            done = child(url, Path(folder), mode)
        print(json.dumps(done))
        return
    from recoup.demo.large import write_large

    with tempfile.TemporaryDirectory(prefix="recoup-bench-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        write_large(folder, args.lines)
        size = (folder / "journal.csv").stat().st_size >> 20
        took = time.perf_counter() - started
        print(f"generated {args.lines:,} journal lines ({size} MiB) in {took:.0f} s", flush=True)
        searching = args.kind == "journal"
        reconciling = searching and args.reconcile
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{folder / 'bench.db'}"
            print("sqlite    ", run_child(args.kind, url, folder), flush=True)
            if searching:
                print("sqlite    ", run_child("search", url, folder), flush=True)
            if reconciling:
                print("sqlite     reconcile --db:", run_child("reconcile", url, folder), flush=True)
        if args.only in (None, "postgresql"):
            from bench.import_floor import postgres_rounds
            from bench.import_search import grow_postgres
            from tests.support.postgres import start_postgres

            server = start_postgres()
            try:
                if searching:
                    url = postgres_rounds(server, folder, args.repeat, run_child, args.profile)
                else:
                    url = server.url()
                    print("postgresql", run_child(args.kind, url, folder), flush=True)
                if searching and args.search_rows:
                    grow_postgres(url, args.search_rows)
                if searching:
                    print("postgresql", run_child("search", url, folder), flush=True)
                if reconciling:
                    print("postgresql reconcile --db:", run_child("reconcile", url, folder), flush=True)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
