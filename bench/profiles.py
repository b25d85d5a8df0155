"""Benchmark: a profile costs little over the native layout (issue 16).

    .venv/bin/python bench/profiles.py [--lines 1000000] [--folder DIR] [--repeat N]

Generates about N journal lines with their orders and settlement (recoup.demo.large), writes the
settlement again as a pipe-separated check file with amounts in fen, yyyyMMddHHmmss times and a
trailing `|` (the shipped `check-file-fen` profile), then, each in a child process with a fresh SQLite
database: imports the settlement and reconciles the three files — once with the native settlement, once
with the check file read through the profile (translated for the import and again for the reconcile).
Prints both wall times and the ratio; the goal is a ratio <= 1.3. The check file (UTF-8, no summary
lines) is translated by the SQL path (recoup.ingest.fast_translate), with the Python pass as fallback.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CHECK_FILE_SQL = """
COPY (SELECT replace(settle_date, '-', '') AS 清算日期, merchant_id AS 商户代码, merchant_name AS 商户名称,
             mcc AS 商户类别, terminal_id AS 终端代码,
             regexp_replace(left(txn_time, 19), '[-T:]', '', 'g') AS 交易时间,
             CASE txn_type WHEN 'SALE' THEN 'S01' WHEN 'VOID' THEN 'S02' WHEN 'REFUND' THEN 'S03'
                           WHEN 'REVERSAL' THEN 'S04' WHEN 'PREAUTH' THEN 'S05' ELSE 'S06' END AS 交易代码,
             rrn AS 检索参考号, card AS 主账号,
             CAST(round(CAST(amount AS DECIMAL(18, 2)) * 100) AS BIGINT) AS 交易金额,
             CAST(round(CAST(coalesce(nullif(fee, ''), '0') AS DECIMAL(18, 2)) * 100) AS BIGINT) AS 手续费,
             CAST(round(CAST(coalesce(nullif(net_amount, ''), amount) AS DECIMAL(18, 2)) * 100) AS BIGINT) AS 清算金额,
             CASE currency WHEN 'CNY' THEN '156' ELSE currency END AS 货币代码, order_no AS 订单号, '' AS " "
      FROM read_csv('{source}', all_varchar = true, header = true))
TO '{target}' (HEADER, DELIMITER '|', QUOTE '')
"""


def generate(folder: Path, lines: int) -> None:
    marker = folder / f".profiles-{lines}"
    if marker.exists():
        return
    import duckdb

    from recoup.demo.large import write_large

    write_large(folder, lines)
    con = duckdb.connect()
    con.execute(CHECK_FILE_SQL.format(source=folder / "settlement.csv", target=folder / "settlement-check.txt"))
    con.close()
    marker.touch()


def _register(database: object, folder: Path) -> int:
    from recoup.auth.service import get_or_create_tenant
    from recoup.merchants.models import Merchant, Terminal

    with database.unit_of_work() as session:  # type: ignore[attr-defined]
        tenant = get_or_create_tenant(session, "BENCH")
        for row in csv.DictReader((folder / "merchants.csv").open(encoding="utf-8")):
            session.add(Merchant(merchant_id=row["merchant_id"], tenant_id=tenant.id, name=row["name"],
                                 mcc=row["mcc"]))
        session.flush()
        for row in csv.DictReader((folder / "terminals.csv").open(encoding="utf-8")):
            session.add(Terminal(terminal_id=row["terminal_id"], merchant_id=row["merchant_id"], tenant_id=tenant.id))
        return int(tenant.id)


def child(role: str, folder: Path) -> dict[str, object]:
    """In its own process: import the settlement (native or through the profile), then reconcile."""
    from recoup.audit.setup import AuditSetup
    from recoup.auth.principal import Principal
    from recoup.auth.roles import Role
    from recoup.config import Settings
    from recoup.db import Database
    from recoup.migrations.runner import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-profiles-") as scratch:
        url = f"sqlite:///{scratch}/recoup.db"
        settings = Settings(database_url=url, var_dir=Path(scratch) / "var")
        database = Database(url, audit=AuditSetup.from_settings(settings))
        upgrade(database.engine)
        principal = Principal(0, "bench", _register(database, folder), Role.ADMIN, frozenset(), origin="cli")
        started = time.perf_counter()
        imported = _import(role, database, principal, settings, folder)
        import_seconds = time.perf_counter() - started
        findings = _reconcile(role, folder, Path(scratch) / "findings.csv")
        seconds = time.perf_counter() - started
        database.dispose()
    return {"role": role, "imported": imported, "findings": findings, "import_seconds": round(import_seconds, 1),
            "seconds": round(seconds, 1)}


def _import(role: str, database: object, principal: object, settings: object, folder: Path) -> int:
    from recoup.ingest.service import import_with_profile
    from recoup.ingest.shipped import shipped_profiles
    from recoup.transactions.importer import ImportOptions, import_file

    with database.unit_of_work() as session:  # type: ignore[attr-defined]
        if role == "native":
            report = import_file(session, principal, "settlement", folder / "settlement.csv", settings)  # type: ignore[arg-type]
        else:
            report, _ = import_with_profile(session, principal, "settlement", folder / "settlement-check.txt",  # type: ignore[arg-type]
                                            settings, ImportOptions(), shipped_profiles()["check-file-fen"])  # type: ignore[arg-type]
    return report.imported


def _reconcile(role: str, folder: Path, out: Path) -> int:
    from recoup.ingest.reconcile_inputs import native_inputs
    from recoup.reconciliation.service import reconcile_files

    settlement = folder / ("settlement.csv" if role == "native" else "settlement-check.txt")
    with native_inputs({"settlement": (settlement, None)}) as inputs:
        summary = inputs.run(lambda: reconcile_files(folder / "orders.csv", folder / "journal.csv",
                                                     inputs.path("settlement"), folder / "merchants.csv", out,
                                                     card_key=b"bench-card-key"))
    return summary.total


def run_child(role: str, folder: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, "--child", role, "--folder", str(folder)], check=True,
                          capture_output=True, text=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--child", choices=("native", "profile"), default=None)
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs (the ratio of the medians)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder)))
        return
    folder = args.folder or Path(tempfile.gettempdir()) / f"recoup-bench-profiles-{args.lines}"
    generate(folder, args.lines)
    settled = sum(1 for _ in (folder / "settlement.csv").open(encoding="utf-8")) - 1
    print(f"{settled} settlement lines in {folder}")
    times: dict[str, list[float]] = {"native": [], "profile": []}
    same = True
    for _ in range(args.repeat):  # alternated, so that a busy machine slows both alike
        native = run_child("native", folder)
        print(f"native layout:          {native}")
        profiled = run_child("profile", folder)
        print(f"check-file-fen profile: {profiled}")
        same = same and native["imported"] == profiled["imported"] and native["findings"] == profiled["findings"]
        times["native"].append(float(str(native["seconds"])))
        times["profile"].append(float(str(profiled["seconds"])))
    ratio = statistics.median(times["profile"]) / max(statistics.median(times["native"]), 0.001)
    print(f"ratio {ratio:.2f} (medians of {args.repeat}; goal <= 1.3); same rows and findings: {same}")


if __name__ == "__main__":
    main()
