"""Import benchmark: a generated journal of N lines (1 million by default) into SQLite and PostgreSQL.

    .venv/bin/python bench/import.py [--lines 1000000] [--search-rows 10000000] [--only sqlite|postgresql]
                                     [--kind journal|settlement] [--repeat 3] [--reconcile]

Prints rows per second, the peak memory and the CPU seconds of each import (each runs in a process of its
own; on PostgreSQL also the server process's), then times `search` by RRN, by order number, by terminal
and day, and by merchant and hour, and shows the plan the database chose for each search and for the
import's own follow-up query (index design).
On PostgreSQL each of `--repeat` rounds imports into a fresh database, then measures there the COPY floor
(`copy_floor`) and prints the import's rows/s as a share of the floor's, per round and the median, in wall
time and in CPU seconds (on a shared machine CPU seconds do not depend on what else runs).
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
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
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
    from recoup.reconciliation.db_run import reconcile_database
    from recoup.reconciliation.db_source import DbScope

    database, principal, settings = _setup(engine_url, folder, register=False)
    result: dict[str, object] = {}
    for kind in ("orders", "settlement"):
        result[f"import_{kind}"] = _timed_import(database, principal, settings, kind, folder / f"{kind}.csv")
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    summary = reconcile_database(database, principal, DbScope(), out=folder / "findings.csv", save=False)
    result["reconcile_db"] = {"seconds": round(time.perf_counter() - started, 1),
                              "cpu_seconds": round(_cpu_seconds() - cpu_started, 1), "rows_read": summary.rows,
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
    from sqlalchemy import text

    from recoup.transactions.importer import import_file

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with database.unit_of_work() as session:
        server = _server_process(session)
        server_started = _process_cpu_seconds(server)
        report = import_file(session, principal, kind, path, settings)
        server_cpu = _process_cpu_seconds(server) - server_started
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text(f"ANALYZE {'orders' if kind == 'orders' else kind + '_lines'}"))
    result: dict[str, object] = {"engine": database.engine.dialect.name, "rows": report.imported,
                                 "seconds": round(seconds, 1), "rows_per_second": round(report.imported / seconds),
                                 "peak_rss_mib": round(peak_mib), "cpu_seconds": round(cpu, 1)}
    if server is not None:
        result["server_cpu_seconds"] = round(server_cpu, 1)
    if report.ledger_posted:
        result["ledger_posted"] = report.ledger_posted
    return result


def _cpu_seconds() -> float:
    """User and system time of this process, all its threads (DuckDB's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_process(session: object) -> int | None:
    """The PostgreSQL backend serving this session (the bench's server runs on this machine)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":  # type: ignore[attr-defined]
        return None
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())  # type: ignore[attr-defined]


def _process_cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def search_timings(engine_url: str, folder: Path, samples: int = 30) -> dict[str, object]:
    """Median and worst time of `search` by RRN and by order number, through the service, and the plans."""
    from sqlalchemy import text

    from recoup.auth.principal import Principal
    from recoup.auth.roles import Role
    from recoup.db import Database
    from recoup.transactions.search import build_filters, search_query
    from recoup.transactions.service import search_rows
    from recoup.transactions.warnings import now_linked_query

    database = Database(engine_url)
    rng = random.Random(5)
    picks = _sample_lines(folder / "journal.csv", samples, rng)
    with database.unit_of_work() as session:
        tenant_id = session.execute(text("SELECT id FROM tenants WHERE code = 'BENCH'")).scalar_one()
        total = session.execute(text("SELECT count(*) FROM journal_lines")).scalar_one()
    principal = Principal(0, "bench", tenant_id, Role.ADMIN, frozenset(), origin="cli")
    timings: dict[str, object] = {"journal_lines_stored": total}
    for name, filters_of in SEARCHES.items():
        spent = []
        for row in picks:
            filters = build_filters(filters_of(row), default_timezone="Asia/Shanghai")
            with database.unit_of_work() as session:
                started = time.perf_counter()
                found = list(search_rows(session, principal, filters))
                spent.append((time.perf_counter() - started) * 1000)
            assert found, (name, row)
        timings[f"by_{name}_ms"] = {"median": round(statistics.median(spent), 2), "max": round(max(spent), 2)}
        query = search_query(principal, build_filters(filters_of(picks[0]), default_timezone="Asia/Shanghai"))
        timings[f"by_{name}_plan"] = _plan(database, query)
    with database.unit_of_work() as session:
        import_id = session.execute(text("SELECT max(id) FROM import_batches WHERE tenant_id = :t"),
                                    {"t": tenant_id}).scalar_one()
    timings["after_import_now_linked_plan"] = _plan(database, now_linked_query(tenant_id, import_id))
    database.dispose()
    return timings


def _window(row: list[str]) -> dict[str, str]:
    """A merchant's hour around the line's time (a customer's memory: "that afternoon, at that shop")."""
    moment = datetime.fromisoformat(row[2])
    return {"merchant": row[0], "from": (moment - timedelta(minutes=30)).isoformat(),
            "to": (moment + timedelta(minutes=30)).isoformat()}


# The journal file's columns: 0 merchant, 1 terminal, 2 time, 7 rrn, 11 order number.
SEARCHES: dict[str, Callable[[list[str]], dict[str, str]]] = {
    "rrn": lambda row: {"rrn": row[7]},
    "order_no": lambda row: {"order_no": row[11]},
    "terminal_day": lambda row: {"terminal": row[1], "from": row[2][:10], "to": row[2][:10]},
    "merchant_hour": _window,
}


def _plan(database: object, query: object) -> str:
    """The plan the database chooses for `query` (the statement the code sends, values inlined)."""
    from sqlalchemy import text

    engine = database.engine  # type: ignore[attr-defined]
    prefix = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(text(f"{prefix} {sql}")).all()
    return " | ".join(str(row[-1]).strip() for row in rows)


def _sample_lines(path: Path, count: int, rng: random.Random) -> list[list[str]]:
    """`count` journal lines spread through the file (read in one pass)."""
    with path.open(encoding="utf-8") as handle:
        total = sum(1 for _ in handle) - 1
    wanted = set(rng.sample(range(total), min(count, total)))
    picked = []
    with path.open(encoding="utf-8") as handle:
        next(handle)
        for index, line in enumerate(handle):
            if index in wanted:
                picked.append(line.rstrip("\n").split(","))
    return picked


def grow_postgres(url: str, target: int) -> None:
    """Copies of the stored journal under other tenants, until the table holds `target` lines."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1) if "+psycopg" not in url else url)
    columns = ("merchant_id, terminal_id, txn_time, local_date, txn_type, status, amount_minor, currency, rrn, stan, "
               "auth_code, card_masked, card_last4, card_token, order_no, cashier_id, orig_rrn, batch_no, "
               "flagged_stopped")
    with engine.begin() as connection:
        base = connection.execute(text("SELECT count(*) FROM journal_lines")).scalar_one()
        copies = max(0, -(-target // max(base, 1)) - 1)
        for copy in range(1, copies + 1):
            tenant = connection.execute(text("INSERT INTO tenants (code, name, created_at) VALUES (:c, :c, now()) "
                                             "RETURNING id"), {"c": f"NOISE-{copy}"}).scalar_one()
            bench = "(SELECT id FROM tenants WHERE code = 'BENCH')"
            connection.execute(text(f"INSERT INTO journal_lines (tenant_id, {columns}) SELECT :t, {columns} "
                                    f"FROM journal_lines WHERE tenant_id = {bench}"), {"t": tenant})
            print(f"  grown to about {base * (copy + 1):,} journal lines", flush=True)
        connection.execute(text("ANALYZE journal_lines"))
    engine.dispose()


def export_stored(url: str, target: Path) -> int:
    """The stored journal lines in the table's own column format (COPY TO, text), in stored order."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection, connection.cursor() as cursor:
        names = ", ".join(_journal_columns(cursor))
        with target.open("wb") as out, cursor.copy(f"COPY (SELECT {names} FROM journal_lines ORDER BY id) "
                                                   "TO STDOUT") as copy:
            for block in copy:
                out.write(block)
        return int(cursor.execute("SELECT count(*) FROM journal_lines").fetchone()[0])  # type: ignore[index]


def _journal_columns(cursor: Any) -> list[str]:
    return [row[0] for row in cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'journal_lines' "
        "AND column_name <> 'id' ORDER BY ordinal_position").fetchall()]


def copy_floor(url: str, exported: Path, rows: int) -> dict[str, object]:
    """The fastest PostgreSQL takes these lines, what any import of them costs at least: a plain COPY of the
    very rows the import stored (exported in the table's column format, nothing to read or check) into an
    empty ordinary table made LIKE the journal INCLUDING ALL (its columns, defaults, constraints and
    indexes), committed, then dropped. Wall time, and the CPU seconds of the server and of this process."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection, connection.cursor() as cursor:
        names = ", ".join(_journal_columns(cursor))
        server = int(cursor.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        cursor.execute("CREATE TABLE floor_journal (LIKE journal_lines INCLUDING ALL)")
        connection.commit()
        try:
            started, cpu, server_cpu = time.perf_counter(), _cpu_seconds(), _process_cpu_seconds(server)
            with exported.open("rb") as source, cursor.copy(f"COPY floor_journal ({names}) FROM STDIN") as copy:
                while block := source.read(1 << 20):
                    copy.write(block)
            connection.commit()
            seconds = time.perf_counter() - started
            spent = {"cpu_seconds": round(_cpu_seconds() - cpu, 1),
                     "server_cpu_seconds": round(_process_cpu_seconds(server) - server_cpu, 1)}
        finally:
            cursor.execute("DROP TABLE floor_journal")
            connection.commit()
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds), **spent}


def floor_share(imported: dict[str, object], floor: dict[str, object]) -> dict[str, float]:
    """The import against the floor: rows/s as a share of the floor's, and the floor's CPU seconds
    (server + client) as a share of the import's (both higher is better, 1.0 = as fast as the floor)."""
    def total_cpu(figures: dict[str, object]) -> float:
        return float(figures["cpu_seconds"]) + float(figures.get("server_cpu_seconds", 0.0))  # type: ignore[arg-type]

    return {"wall": float(imported["rows_per_second"]) / float(floor["rows_per_second"]),  # type: ignore[arg-type]
            "cpu": total_cpu(floor) / total_cpu(imported),
            "server_cpu": float(floor["server_cpu_seconds"]) / float(imported["server_cpu_seconds"])}  # type: ignore[arg-type]


def postgres_rounds(server: Any, folder: Path, repeat: int) -> str:
    """`repeat` rounds: an import into a fresh database, then the COPY floor in that same database.
    Returns the URL of the last round's database (for the searches)."""
    import psycopg

    exported, rows, url = folder / "stored-journal.txt", 0, ""
    shares: list[dict[str, float]] = []
    for round_no in range(repeat):
        with psycopg.connect(server.url().replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE bench_{round_no}")
            if round_no:
                connection.execute(f"DROP DATABASE bench_{round_no - 1}")
        url = server.url(f"bench_{round_no}")
        imported = run_child("journal", url, folder)
        if not rows:
            rows = export_stored(url, exported)
        floor = copy_floor(url, exported, rows)
        shares.append(floor_share(imported, floor))
        label = f"postgresql round {round_no + 1}:"
        print(f"{label} import {imported}\n{label} COPY floor (the same rows, prepared, into a table LIKE the "
              f"journal INCLUDING ALL) {floor}\n{label} import at {shares[-1]['wall']:.0%} of the COPY floor in "
              f"rows/s; in CPU seconds (server + client) at {shares[-1]['cpu']:.0%}, server alone "
              f"{shares[-1]['server_cpu']:.0%}", flush=True)
    exported.unlink()
    median = {key: statistics.median(share[key] for share in shares) for key in shares[0]}
    print(f"postgresql median of {repeat}: import at {median['wall']:.0%} of the COPY floor with the journal's "
          f"indexes in rows/s (goal: 90% or more); CPU {median['cpu']:.0%}, server CPU {median['server_cpu']:.0%}",
          flush=True)
    return url


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
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, folder = args.child
        if mode == "search":
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
            from tests.support.postgres import start_postgres

            server = start_postgres()
            try:
                if searching:
                    url = postgres_rounds(server, folder, args.repeat)
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
