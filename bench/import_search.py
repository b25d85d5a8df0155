"""The searches of bench/import.py after an import: `search` by RRN, by order number, by terminal and day,
by merchant and hour, by card ending and amount, and by card ending and day, timed through the service,
with the plan the database chose for each and for the import's own follow-up query; and `grow_postgres`,
which makes the journal as big as asked first."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path


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


# The journal file's columns: 0 merchant, 1 terminal, 2 time, 5 amount, 7 rrn, 10 card, 11 order number. The
# last two are a payer's memory at the support desk: "my card ending 0092 was charged 583.07", "... that day".
SEARCHES: dict[str, Callable[[list[str]], dict[str, str]]] = {
    "rrn": lambda row: {"rrn": row[7]},
    "order_no": lambda row: {"order_no": row[11]},
    "terminal_day": lambda row: {"terminal": row[1], "from": row[2][:10], "to": row[2][:10]},
    "merchant_hour": _window,
    "card_amount": lambda row: {"last4": row[10][-4:], "amount": row[5]},
    "card_day": lambda row: {"last4": row[10][-4:], "from": row[2][:10], "to": row[2][:10]},
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
