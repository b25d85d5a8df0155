"""Benchmark: the periodic report of a year of one acquirer (issue 14), on SQLite and on PostgreSQL.

    .venv/bin/python bench/reports.py [--per-month 1000000] [--months 12] [--only sqlite|postgresql] [--indexes]
                                      [--no-rollup] [--findings N]

Builds one tenant of 500 merchants and 5,000 terminals with `--per-month` journal lines a month for
`--months` months of 2025 (generated inside the database: a recursive CTE on SQLite, generate_series on
PostgreSQL): refunds, voids, refunds to another card, sales just under the no-PIN limit and large refunds
as described at _NTH below, 0.5 % of the lines with a finding (kinds and causes in turn) and half of those
with a case; then times `recoup.reports.service.summary` of the whole range (the JSON of the API and the
CLI, prevention lists included), step by step, twice (cold, warm), in wall time and in CPU time (this
process, plus the PostgreSQL server process of the session): the machine is shared, CPU time is the
figure that other people's work does not inflate.

The issue's figure is 10 million lines a month (120 million a year). The method for a smaller run: measure
at 1 million a month and scale each part by what it reads. What comes from the journal is read from the
monthly rollups (one row per terminal and month, however many lines) and from the flagged lines (a few per
thousand lines); what comes from the findings and cases (0.5 % of the lines here) grows with them, so
linearly with the lines: `--findings 600000` puts the findings (and half as many cases) of a year of 120 million
lines at 0.5 % on the smaller journal, so those parts are timed at their full size. `--indexes` adds the
indexes proposed in the note first. PostgreSQL is started
as tests/support/postgres.py does (a throwaway server on loopback).

Building fast: the journal's indexes are dropped while the lines are generated and built once at the end
(as a bulk load would), and SQLite writes without syncing. The rollups (recoup.reports.rollup: days,
months and the flagged lines of recoup.reports.flagged) are then refreshed once, timed (the worker does it
incrementally, a pass at a time, in production), and the summary is timed cold (first run after the
build) and warm (the same again), each step, then the total against the 5 s goal of the issue.
`--no-rollup` times the summary without rollups (every journal line counted at report time).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MERCHANTS, TERMINALS, CASHIERS = 500, 5000, 7
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
GOAL_SECONDS = 5.0
JOURNAL_INDEXES = ("ix_journal_merchant_time", "ix_journal_terminal_time", "ix_journal_order_no", "ix_journal_orig_rrn")
INDEXES = (  # proposed in the note (no migration of ours holds them yet)
    "CREATE INDEX IF NOT EXISTS ix_journal_tenant_day ON journal_lines "
    "(tenant_id, local_date, currency, txn_type, status, merchant_id, terminal_id, cashier_id, amount_minor)",
    "CREATE INDEX IF NOT EXISTS ix_findings_tenant_time ON findings (tenant_id, txn_time)",
)
COLUMNS = ("tenant_id, merchant_id, terminal_id, txn_time, local_date, txn_type, status, amount_minor, currency, "
           "rrn, stan, auth_code, card_masked, card_last4, card_token, order_no, cashier_id, orig_rrn, batch_no, "
           "flagged_stopped")


# Line g is at terminal g % TERMINALS (merchant: that % MERCHANTS, one cashier per terminal); the terminal's
# n-th line (n = g / TERMINALS) is a refund of its previous line (a sale) when n % 100 = 1, a void of the sale
# before that when n % 100 = 2 (same cashier, so every void is of the cashier's own sale), else a sale. A
# refund goes to the sale's card except at one terminal in 70 (another card); 1 % of the sales are just under
# the no-PIN limit; the refunds of one terminal in 31 are over five times the usual ticket; a terminal's voids
# come long after the sale.
_NTH = f"((g / {TERMINALS}) % 100)"
_CARD = f"(g - CASE WHEN {_NTH} = 1 AND (g % {TERMINALS}) % 70 <> 0 THEN {TERMINALS} ELSE 0 END)"
_TYPE = f"CASE {_NTH} WHEN 1 THEN 'REFUND' WHEN 2 THEN 'VOID' ELSE 'SALE' END"
_AMOUNT = (f"CASE WHEN {_NTH} = 1 AND (g % {TERMINALS}) % 31 = 0 THEN 500000 WHEN g % 97 = 3 THEN 90000 + g % 9999 "
           "ELSE 100 + (g * 7919) % 50000 END")


def _journal_sql(dialect: str, tenant_id: int, first: int, count: int, seconds_per_line: float) -> str:
    """INSERT … SELECT of journal lines first..first+count-1 (g: the line's number in the year)."""
    if dialect == "sqlite":
        moment = f"datetime('2025-01-01', '+' || CAST(g * {seconds_per_line} AS INTEGER) || ' seconds')"
        values = f"""{tenant_id}, '898' || printf('%012d', (g % {TERMINALS}) % {MERCHANTS}),
            '6' || printf('%07d', g % {TERMINALS}), strftime('%Y-%m-%d %H:%M:%S.000000', {moment}),
            date({moment}, '+8 hours'), {_TYPE}, 'APPROVED', {_AMOUNT}, 'CNY', printf('%012d', g),
            printf('%06d', g % 1000000), '123456', '621700******' || printf('%04d', {_CARD} % 10000),
            printf('%04d', {_CARD} % 10000), 'tok' || ({_CARD} % 100000), '',
            'c' || ((g % {TERMINALS}) % {CASHIERS}), CASE {_NTH} WHEN 1 THEN printf('%012d', g - {TERMINALS})
            WHEN 2 THEN printf('%012d', g - 2 * {TERMINALS}) ELSE '' END, '000001', 0"""
        return (f"WITH RECURSIVE seq(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM seq WHERE g < "
                f"{first + count - 1}) INSERT INTO journal_lines ({COLUMNS}) SELECT {values} FROM seq")
    moment = f"(TIMESTAMPTZ '2025-01-01 00:00:00+00' + (g * {seconds_per_line}) * INTERVAL '1 second')"
    values = f"""{tenant_id}, '898' || lpad(((g % {TERMINALS}) % {MERCHANTS})::text, 12, '0'),
        '6' || lpad((g % {TERMINALS})::text, 7, '0'), {moment}, ({moment} AT TIME ZONE 'Asia/Shanghai')::date,
        {_TYPE}, 'APPROVED', {_AMOUNT}, 'CNY', lpad(g::text, 12, '0'), lpad((g % 1000000)::text, 6, '0'), '123456',
        '621700******' || lpad(({_CARD} % 10000)::text, 4, '0'), lpad(({_CARD} % 10000)::text, 4, '0'),
        'tok' || ({_CARD} % 100000), '', 'c' || ((g % {TERMINALS}) % {CASHIERS}),
        CASE {_NTH} WHEN 1 THEN lpad((g - {TERMINALS})::text, 12, '0')
        WHEN 2 THEN lpad((g - 2 * {TERMINALS})::text, 12, '0') ELSE '' END, '000001', false"""
    return (f"INSERT INTO journal_lines ({COLUMNS}) SELECT {values} "
            f"FROM generate_series({first}::bigint, {first + count - 1}::bigint) AS g")


def build(url: str, per_month: int, months: int, folder: Path, findings: int = 0) -> object:
    """The database of the year: schema, tenant, merchants, terminals, an admin, lines, findings, cases."""
    from sqlalchemy import insert, text

    from recoup.audit.service import Actor
    from recoup.audit.setup import AuditSetup
    from recoup.auth.roles import Role
    from recoup.auth.service import add_user, get_or_create_tenant
    from recoup.config import Settings
    from recoup.db import Database
    from recoup.merchants.models import Merchant, Terminal
    from recoup.migrations.metadata import all_metadata

    settings = Settings(database_url=url, var_dir=folder / "var")
    database = Database(url, audit=AuditSetup.from_settings(settings))
    all_metadata().create_all(database.engine)
    with database.unit_of_work() as session:
        tenant = get_or_create_tenant(session, "BENCH")
        session.execute(insert(Merchant), [{"merchant_id": f"898{index:012d}", "tenant_id": tenant.id,
                                            "name": f"Shop {index}", "mcc": "5411", "timezone": "Asia/Shanghai",
                                            "city": "", "created_at": YEAR_START} for index in range(MERCHANTS)])
        session.execute(insert(Terminal), [{"terminal_id": f"6{index:07d}",
                                            "merchant_id": f"898{index % MERCHANTS:012d}",
                                            "tenant_id": tenant.id, "model": ("Landi E350", "PAX S90")[index % 2],
                                            "serial": "", "firmware": f"{index % 3}.0", "location": "",
                                            "last_maintenance_at": date(2025, 1 + index % 12, 1), "stopped": False,
                                            "stopped_by": "", "stop_reason": ""} for index in range(TERMINALS)])
        add_user(session, Actor("bench", None, "bench"), tenant=tenant, username="bench-admin",
                 password="bench-password-1", role=Role.ADMIN, merchant_ids=[])
        tenant_id = tenant.id
    total, dialect = per_month * months, database.engine.dialect.name
    seconds_per_line = round(months * 30.4 * 86400 / total, 6)
    started = time.perf_counter()
    chunk = 1_000_000
    _drop_journal_indexes(database)
    for first in range(0, total, chunk):
        with database.engine.begin() as connection:
            if dialect == "sqlite":
                connection.exec_driver_sql("PRAGMA synchronous=OFF")
            connection.execute(text(_journal_sql(dialect, tenant_id, first, min(chunk, total - first),
                                                 seconds_per_line)))
        print(f"  {min(first + chunk, total):,} journal lines ({time.perf_counter() - started:.0f} s)", flush=True)
    _build_journal_indexes(database)
    print(f"  journal indexes built ({time.perf_counter() - started:.0f} s)", flush=True)
    _findings_and_cases(database, tenant_id, total, seconds_per_line, findings)
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return database


def _drop_journal_indexes(database: object) -> None:
    from sqlalchemy import text

    with database.engine.begin() as connection:  # type: ignore[attr-defined]
        for name in JOURNAL_INDEXES:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))


def _build_journal_indexes(database: object) -> None:
    from sqlalchemy import Table

    from recoup.transactions.models import JournalLine

    table = JournalLine.__table__
    assert isinstance(table, Table)
    with database.engine.begin() as connection:  # type: ignore[attr-defined]
        for index in table.indexes:
            if index.name in JOURNAL_INDEXES:
                index.create(connection)


def _findings_and_cases(database: object, tenant_id: int, total: int, seconds_per_line: float,
                        findings_wanted: int = 0) -> None:
    from datetime import timedelta

    from sqlalchemy import insert

    from recoup.cases.models import Case
    from recoup.reconciliation.models import ReconciliationRun, StoredFinding

    kinds, causes = ("OVERCHARGE", "DUPLICATE_CHARGE", "UNDERCHARGE"), ("EXTRA_DIGIT", "DECIMAL_SHIFT", None)
    with database.unit_of_work() as session:  # type: ignore[attr-defined]
        run = ReconciliationRun(tenant_id=tenant_id, run_by="bench")
        session.add(run)
        session.flush()
        cases, findings = [], []
        step = total / (findings_wanted or total // 200)
        for number in range(findings_wanted or total // 200):
            g = int(number * step)
            moment = YEAR_START + timedelta(seconds=int(g * seconds_per_line))
            terminal = g % TERMINALS
            merchant = f"898{terminal % MERCHANTS:012d}"
            if number % 2 == 0:
                cases.append({"number": f"RC-2025-{g:09d}", "tenant_id": tenant_id, "merchant_id": merchant,
                              "terminal_id": f"6{terminal:07d}", "kind": kinds[g % 3], "cause": causes[g % 3],
                              "direction": "MERCHANT_OWES", "currency": "CNY", "at_stake_minor": 1000 + g % 9000,
                              "recovered_minor": (1000 + g % 9000) if number % 4 == 0 else 0, "rrn": f"{g:012d}",
                              "related_rrn": "", "order_no": "", "txn_time": moment,
                              "state": "RESOLVED" if number % 4 == 0 else "OPEN", "rung": "MERCHANT",
                              "rung_started_at": moment, "deadline_at": moment + timedelta(days=3), "owner": "",
                              "owner_role": "", "summary": "", "opened_by": "bench", "opened_at": moment,
                              "updated_at": moment,
                              "closed_at": moment + timedelta(days=2) if number % 4 == 0 else None})
            findings.append({"tenant_id": tenant_id, "finding_id": f"B{g:012d}", "run_id": run.id,
                             "last_run_id": run.id, "kind": kinds[g % 3], "cause": causes[g % 3],
                             "merchant_id": merchant, "terminal_id": f"6{terminal:07d}", "rrn": f"{g:012d}",
                             "related_rrn": "", "order_no": "", "charged_minor": 2000, "expected_minor": 200,
                             "difference_minor": 1800, "currency": "CNY", "confidence": 0.9, "reason_codes": [],
                             "explanation": "", "txn_time": moment, "first_seen_at": moment, "case_id": None,
                             "cashier_id": f"c{terminal % CASHIERS}"})  # as the store keeps it
        session.execute(insert(Case), cases)
        session.execute(insert(StoredFinding), findings)
    print(f"  {len(findings):,} findings, {len(cases):,} cases", flush=True)


def _cpu(session: object) -> float:
    """CPU seconds used so far by this process and, on PostgreSQL, by the session's server process (read from
    /proc: the server runs on this machine): shared-machine noise shows in wall time, not here."""
    from sqlalchemy import text

    used = time.process_time()
    if session.get_bind().dialect.name == "postgresql":  # type: ignore[attr-defined]
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()  # type: ignore[attr-defined]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def time_summary(database: object, months: int) -> list[tuple[str, float, float]]:
    """(step, wall seconds, CPU seconds) of each step of the year's summary, then the total."""
    from sqlalchemy import select

    from recoup.auth.models import User
    from recoup.auth.service import principal_for
    from recoup.reports.service import summary

    last = date(2025, months, 28) if months < 12 else date(2025, 12, 31)
    timings: list[tuple[str, float, float]] = []
    with database.unit_of_work() as session:  # type: ignore[attr-defined]
        user = session.execute(select(User).where(User.username == "bench-admin")).scalar_one()
        principal = principal_for(session, user, "bench")
        started, cpu_started = time.perf_counter(), _cpu(session)
        mark = [started, cpu_started]

        def step(name: str) -> None:
            now, cpu = time.perf_counter(), _cpu(session)
            timings.append((name, now - mark[0], cpu - mark[1]))
            mark[:] = [now, cpu]

        found = summary(session, principal, date(2025, 1, 1), last, now=datetime(2026, 1, 5, tzinfo=UTC),
                        on_step=step)
        timings.append(("total", time.perf_counter() - started, _cpu(session) - cpu_started))
    print(f"    {found.totals.transactions:,} transactions, {found.totals.findings:,} findings, "
          f"{len(found.prevention)} prevention entries", flush=True)
    return timings


def run(label: str, url: str, args: argparse.Namespace, folder: Path) -> None:
    started = time.perf_counter()
    print(f"{label}: building {args.per_month * args.months:,} journal lines", flush=True)
    database = build(url, args.per_month, args.months, folder, args.findings)
    print(f"{label}: built in {time.perf_counter() - started:.0f} s", flush=True)
    if args.indexes:
        from sqlalchemy import text

        began = time.perf_counter()
        with database.engine.begin() as connection:  # type: ignore[attr-defined]
            for ddl in INDEXES:
                connection.execute(text(ddl))
            connection.execute(text("ANALYZE"))
        print(f"{label}: indexes built in {time.perf_counter() - began:.0f} s", flush=True)
    if args.rollup:
        from recoup.reports.rollup import refresh

        began = time.perf_counter()
        added = refresh(database)  # type: ignore[arg-type]
        print(f"{label}: rollups refreshed with {added:,} lines in {time.perf_counter() - began:.1f} s "
              "(once; the worker then adds each pass's new lines)", flush=True)
    totals = {}
    for attempt in ("cold", "warm"):
        timings = time_summary(database, args.months)
        shown = ", ".join(f"{name} {wall:.2f}/{cpu:.2f}" for name, wall, cpu in timings)
        totals[attempt] = timings[-1][1:]
        print(f"{label} {attempt}: year's summary {timings[-1][1]:.2f} s wall, {timings[-1][2]:.2f} s CPU "
              f"(step wall/CPU s: {shown})", flush=True)
    lines = args.per_month * args.months
    for attempt, (wall, cpu) in totals.items():
        print(f"{label} {attempt}: {wall:.2f} s wall, {cpu:.2f} s CPU for {lines:,} lines; goal {GOAL_SECONDS:g} s: "
              f"wall at {wall / GOAL_SECONDS:.0%} of it, CPU at {cpu / GOAL_SECONDS:.0%}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-month", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--findings", type=int, default=0,
                        help="findings of the year (default: one per 200 lines); 600000 is the density of a year "
                             "of 120 million lines on a smaller journal")
    parser.add_argument("--indexes", action="store_true", help="add the proposed indexes before timing")
    parser.add_argument("--no-rollup", dest="rollup", action="store_false",
                        help="time the summary without the daily rollups (every line counted at report time)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="recoup-bench-reports-") as scratch:
        folder = Path(scratch)
        if args.only in (None, "sqlite"):
            run("sqlite", f"sqlite:///{folder / 'bench.db'}", args, folder)
        if args.only in (None, "postgresql"):
            from tests.support.postgres import start_postgres

            server = start_postgres()
            try:
                run("postgresql", server.url(), args, folder)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
