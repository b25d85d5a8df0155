"""Benchmark: the findings list page (/findings) over 100,000 findings on SQLite (issue 12, goal < 300 ms).

    .venv/bin/python bench/findings_list.py [--findings 100000] [--repeat 5] [--keep DIR]

Builds one tenant of 200 merchants and 2,000 terminals, one journal line per finding plus as many lines
without one, `--findings` findings of every kind (causes in turn, one in ten with a case) spread over a
year of 2026, all written in bulk inside the database (recursive CTEs); then logs in as the tenant's admin
through the real app (FastAPI TestClient: routing, session, scoping, template) and times, each the median
of `--repeat` requests after one warm-up: the first page (default sort, newest first), pages filtered by
the card's last four, by part of a merchant's name and by a week, and page 1,000 (50 a page).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_MS = 300.0
MERCHANTS, TERMINALS = 200, 2000
PASSWORD = "bench-password-1"
CHAINS = ("沃尔玛", "永辉超市", "全家便利店", "星巴克")
KINDS = ("OVERCHARGE", "UNDERCHARGE", "DUPLICATE_CHARGE", "DEBITED_BUT_FAILED", "VOIDED_BUT_SETTLED", "UNSETTLED",
         "SETTLEMENT_MISMATCH", "UNKNOWN_SETTLEMENT", "REFUND_NOT_SETTLED", "OVER_REFUND", "MCC_MISMATCH",
         "UNMATCHED_CHARGE", "UNPAID_ORDER")
CAUSES = ("EXTRA_DIGIT", "DECIMAL_SHIFT", "MISSING_DIGIT", "TRANSPOSED_DIGITS", "OTHER")
SECONDS = 315  # between two journal lines: 100,000 findings (200,000 lines) span about two years


def _seq(count: int) -> str:
    return f"WITH RECURSIVE seq(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM seq WHERE g < {count - 1}) "


def _moment(g: str) -> str:
    return f"strftime('%Y-%m-%d %H:%M:%S.000000', datetime('2026-01-01', '+' || ({g} * {SECONDS}) || ' seconds'))"


def _journal_sql(tenant_id: int, lines: int) -> str:
    """Line g: terminal g % 2000 of merchant (g % 2000) % 200, RRN g, card ending g % 10000."""
    return _seq(lines) + f"""INSERT INTO journal_lines (tenant_id, merchant_id, terminal_id, txn_time, local_date,
        txn_type, status, amount_minor, currency, rrn, stan, auth_code, card_masked, card_last4, card_token,
        order_no, cashier_id, orig_rrn, batch_no, flagged_stopped)
      SELECT {tenant_id}, '898' || printf('%012d', (g % {TERMINALS}) % {MERCHANTS}),
        '6' || printf('%07d', g % {TERMINALS}),
        {_moment('g')}, date({_moment('g')}, '+8 hours'), 'SALE', 'APPROVED', 100 + (g * 7919) % 500000, 'CNY',
        printf('%012d', g), printf('%06d', g % 1000000), '123456', '621700******' || printf('%04d', g % 10000),
        printf('%04d', g % 10000), NULL, '', 'c1', '', '000001', 0 FROM seq"""


def _case_of(g: str) -> str:
    return f"CASE WHEN {g} % 10 = 0 THEN {g} / 10 + 1 ELSE NULL END"


def _findings_sql(tenant_id: int, run_id: int, count: int) -> str:
    """Finding n is about journal line 2n (every other line has none); one in ten has case n / 10 + 1."""
    kinds = " ".join(f"WHEN {i} THEN '{kind}'" for i, kind in enumerate(KINDS))
    causes = " ".join(f"WHEN {i} THEN '{cause}'" for i, cause in enumerate(CAUSES))
    g = "(2 * n)"
    return _seq(count).replace("seq(g)", "seq(n)").replace("g + 1", "n + 1").replace("g <", "n <") + f"""
      INSERT INTO findings (tenant_id, finding_id, run_id, last_run_id, kind, cause, merchant_id, terminal_id, rrn,
        related_rrn, order_no, charged_minor, expected_minor, difference_minor, currency, confidence, reason_codes,
        explanation, txn_time, case_id, first_seen_at)
      SELECT {tenant_id}, 'F' || printf('%012d', n), {run_id}, {run_id}, CASE n % {len(KINDS)} {kinds} END,
        CASE n % 6 {causes} ELSE NULL END, '898' || printf('%012d', ({g} % {TERMINALS}) % {MERCHANTS}),
        '6' || printf('%07d', {g} % {TERMINALS}), printf('%012d', {g}), '', '',
        100 + ({g} * 7919) % 500000, (100 + ({g} * 7919) % 500000) / 10, (100 + ({g} * 7919) % 500000) * 9 / 10,
        'CNY', 0.9, '[]', '多收 / Overcharged', {_moment(g)}, {_case_of('n')}, '2026-12-01 00:00:00.000000'
      FROM seq"""


def _cases_sql(tenant_id: int, count: int) -> str:
    """Case k+1 (RC-2026-00000k+1) for finding 10k."""
    g = "(20 * k)"
    return _seq(count).replace("seq(g)", "seq(k)").replace("g + 1", "k + 1").replace("g <", "k <") + f"""
      INSERT INTO cases (id, number, tenant_id, merchant_id, terminal_id, kind, cause, direction, currency,
        at_stake_minor, recovered_minor, rrn, related_rrn, order_no, txn_time, state, rung, stage, rung_started_at,
        deadline_at, owner, owner_role, summary, opened_by, opened_at, updated_at)
      SELECT k + 1, 'RC-2026-' || printf('%06d', k + 1), {tenant_id},
        '898' || printf('%012d', ({g} % {TERMINALS}) % {MERCHANTS}), '6' || printf('%07d', {g} % {TERMINALS}),
        'OVERCHARGE', NULL, 'MERCHANT_OWES_PAYER', 'CNY', 1000, 0, printf('%012d', {g}), '', '', {_moment(g)},
        'OPEN', 'MERCHANT', NULL, {_moment(g)}, '2027-01-01 00:00:00.000000', '', '', '', 'bench',
        {_moment(g)}, {_moment(g)} FROM seq"""


def build(folder: Path, findings: int) -> tuple[object, object]:
    """The database and the app's settings: schema, tenant, merchants, terminals, an admin, lines, findings."""
    from sqlalchemy import insert, text

    from recoup.audit.service import Actor
    from recoup.audit.setup import AuditSetup
    from recoup.auth.roles import Role
    from recoup.auth.service import add_user, get_or_create_tenant
    from recoup.config import Settings
    from recoup.db import Database
    from recoup.merchants.models import Merchant, Terminal
    from recoup.migrations.metadata import all_metadata
    from recoup.reconciliation.models import ReconciliationRun

    settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}", var_dir=folder / "var",
                        secret_key="bench-secret", card_token_key="bench-card-key")
    database = Database(settings.resolved_database_url, audit=AuditSetup.from_settings(settings))
    all_metadata().create_all(database.engine)
    with database.unit_of_work() as session:
        tenant = get_or_create_tenant(session, "BENCH")
        session.execute(insert(Merchant), [{"merchant_id": f"898{index:012d}", "tenant_id": tenant.id,
                                            "name": f"{CHAINS[index % 4]} {index}号店", "mcc": "5411",
                                            "timezone": "Asia/Shanghai"} for index in range(MERCHANTS)])
        session.execute(insert(Terminal), [{"terminal_id": f"6{index:07d}", "tenant_id": tenant.id,
                                            "merchant_id": f"898{index % MERCHANTS:012d}"}
                                           for index in range(TERMINALS)])
        add_user(session, Actor("bench", None, "bench"), tenant=tenant, username="bench-admin", password=PASSWORD,
                 role=Role.ADMIN, merchant_ids=[])
        run = ReconciliationRun(tenant_id=tenant.id, run_by="bench")
        session.add(run)
        session.flush()
        tenant_id, run_id = tenant.id, run.id
    with database.engine.begin() as connection:
        connection.execute(text(_journal_sql(tenant_id, 2 * findings)))
        connection.execute(text(_cases_sql(tenant_id, findings // 10)))
        connection.execute(text(_findings_sql(tenant_id, run_id, findings)))
        connection.execute(text("ANALYZE"))
    return database, settings


def _timed(client: object, path: str, repeat: int) -> tuple[float, str]:
    answer = client.get(path)  # type: ignore[attr-defined]
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    figures = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)  # type: ignore[attr-defined]
        figures.append((time.perf_counter() - started) * 1000)
    return statistics.median(figures), answer.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="build the database in this folder and keep it")
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from recoup.web.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        database, settings = build(folder, args.findings)
        print(f"built {args.findings:,} findings, {2 * args.findings:,} journal lines, {args.findings // 10:,} cases "
              f"in {time.perf_counter() - started:.1f} s (SQLite, {folder / 'bench.db'})")
        with TestClient(create_app(settings, database)) as client:  # type: ignore[arg-type]
            login = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
            client.post("/login", data={"username": "bench-admin", "password": PASSWORD, "csrf_token": login})
            pages = [("first page, newest first", "/findings"),
                     ("filtered by card's last four", "/findings?last4=0218"),
                     ("filtered by part of a merchant's name", "/findings?merchant=" + "全家便利店 6号店"),
                     ("filtered by a week", "/findings?date_from=2026-03-02&date_to=2026-03-08"),
                     ("page 1,000", "/findings?page=1000"),
                     ("sorted by amount at stake", "/findings?sort=-at_stake"),
                     ("filtered by kind, sorted by charged", "/findings?kind=OVERCHARGE&sort=charged")]
            worst = 0.0
            for title, path in pages:
                figure, page = _timed(client, path, args.repeat)
                worst = max(worst, figure)
                shown = page.count("<tr data-finding")
                print(f"  {title:<40} {figure:7.1f} ms  ({shown} rows shown)  {path}")
        print(f"goal: < {GOAL_MS:.0f} ms each on SQLite — {'met' if worst < GOAL_MS else 'NOT met'} "
              f"(worst {worst:.1f} ms)")
        database.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
