"""Benchmark: `recoup reconcile` on N journal lines against a bare DuckDB three-way join of the same files.

    .venv/bin/python bench/reconcile.py 1000000 [--folder DIR] [--repeat K]

Generates N journal lines with their orders and settlement (recoup.demo.large when present, else a
quick generator of its own), then runs, each in a child process so that peak memory is the child's
ru_maxrss: the reconciliation from CSV to findings, and the bare join (read the three CSVs, left-join
journal to settlement by terminal + RRN and to orders by merchant + order number, count mismatches).
Prints wall times, peak memory and the ratio, and the reconciliation's phases (read + check of each
input, every rule step and its group, the write of the findings). Goal at N = 10,000,000 on 2 cores
(issue 15): ratio <= 3 and peak memory < 4 GiB.

Two more children show where the floor lies: `validate` only loads the three files as reconcile does
(read, check every value, keep the engine's columns), and `text` only copies every column of the three
files into tables as text, checking nothing. Their ratios to the bare join bound what any engine that
first loads its checked inputs can reach.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE_SQL = """
SELECT count(*) AS lines,
       count(*) FILTER (WHERE s.rrn IS NULL) AS unsettled,
       count(*) FILTER (WHERE s.amount <> j.amount) AS settlement_mismatches,
       count(*) FILTER (WHERE o.order_no IS NULL) AS without_order,
       count(*) FILTER (WHERE o.expected_amount <> j.amount) AS order_mismatches
FROM read_csv('{folder}/journal.csv') j
LEFT JOIN read_csv('{folder}/settlement.csv') s ON s.terminal_id = j.terminal_id AND s.rrn = j.rrn
LEFT JOIN read_csv('{folder}/orders.csv') o ON o.merchant_id = j.merchant_id AND o.order_no = j.order_no
"""


def generate(folder: Path, lines: int) -> None:
    marker = folder / f".lines-{lines}"
    if marker.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from recoup.demo.large import write_large
    except ImportError:
        _quick_generate(folder, lines)
    else:
        write_large(folder, lines)
    marker.touch()


def _quick_generate(folder: Path, lines: int) -> None:
    """Clean sales with a few anomalies, written by DuckDB itself (used when recoup.demo is absent)."""
    import duckdb

    con = duckdb.connect()
    base = f"""SELECT i, '8985840581' || lpad(CAST(i % 97 AS VARCHAR), 5, '0') AS merchant_id,
                      CAST(61000000 + i % 970 AS VARCHAR) AS terminal_id,
                      TIMESTAMP '2026-09-01 08:00:00' + to_seconds(i // 4) AS at,
                      1 + (i * 7919) % 99999 AS minor, lpad(CAST(i AS VARCHAR), 12, '0') AS rrn,
                      'NO' || lpad(CAST(i AS VARCHAR), 18, '0') AS order_no
               FROM range({lines}) t(i)"""
    money = "printf('%d.%02d', {0} // 100, {0} % 100)"
    stamp = "strftime(at, '%Y-%m-%dT%H:%M:%S+08:00')"
    con.execute(f"""COPY (SELECT order_no, merchant_id, terminal_id, {stamp} AS created_at,
                      {money.format('minor')} AS expected_amount, 'CNY' AS currency, '001' AS cashier_id,
                      '' AS customer_contact FROM ({base}) WHERE i % 500 <> 1) TO '{folder}/orders.csv' (HEADER)""")
    con.execute(f"""COPY (SELECT merchant_id, terminal_id, {stamp} AS txn_time, 'SALE' AS txn_type,
                      'APPROVED' AS status, {money.format('CASE WHEN i % 500 = 2 THEN minor * 10 ELSE minor END')}
                      AS amount, 'CNY' AS currency, rrn, lpad(CAST(i % 1000000 AS VARCHAR), 6, '0') AS stan,
                      '123456' AS auth_code, '62170004' || lpad(CAST(i % 50000 AS VARCHAR), 11, '0') AS card,
                      order_no, '001' AS cashier_id, '' AS orig_rrn, '000001' AS batch_no FROM ({base}))
                   TO '{folder}/journal.csv' (HEADER)""")
    con.execute(f"""COPY (SELECT '2026-09-02' AS settle_date, merchant_id, 'Shop' AS merchant_name, '5411' AS mcc,
                      terminal_id, {stamp} AS txn_time, 'SALE' AS txn_type, rrn,
                      '621700******' || right(lpad(CAST(i % 50000 AS VARCHAR), 11, '0'), 4) AS card,
                      {money.format('CASE WHEN i % 500 = 2 THEN minor * 10 ELSE minor END')} AS amount,
                      '0.00' AS fee, {money.format('CASE WHEN i % 500 = 2 THEN minor * 10 ELSE minor END')}
                      AS net_amount, 'CNY' AS currency, order_no FROM ({base}) WHERE i % 500 <> 3)
                   TO '{folder}/settlement.csv' (HEADER)""")
    con.close()


class _Phases:
    """Wall and CPU seconds of every step the engine reports, printed as a table at the end."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float, float]] = []
        self._last: tuple[str, float, float] | None = None

    def __call__(self, label: str) -> None:
        now = (time.perf_counter(), time.process_time())
        if self._last is not None:
            name, wall, cpu = self._last
            self.steps.append((name, now[0] - wall, now[1] - cpu))
        self._last = (label, *now)

    def groups(self) -> dict[str, list[float]]:
        """Wall and CPU seconds per group: read + check of the inputs, the rules of each phase, the write."""
        totals: dict[str, list[float]] = {}
        rules = "settlement rules"
        for name, wall, cpu in self.steps:
            if name.startswith("reading "):
                group = "read + check (all inputs)"
                rules = "order rules" if name.startswith("reading orders") else rules
            else:
                group = "write findings" if name == "writing findings" else rules
            total = totals.setdefault(group, [0.0, 0.0])
            total[0] += wall
            total[1] += cpu
        return totals

    def print(self) -> None:
        self("")
        for name, wall, cpu in self.steps:
            print(f"    {name:<42} {wall:7.2f} s   cpu {cpu:7.2f} s")
        print("  by group:")
        for group, (wall, cpu) in self.groups().items():
            print(f"    {group:<42} {wall:7.2f} s   cpu {cpu:7.2f} s")


def _child_reconcile(folder: Path) -> None:
    from recoup.reconciliation.service import reconcile_files

    merchants = folder / "merchants.csv"
    phases = _Phases()
    with tempfile.TemporaryDirectory() as scratch:
        summary = reconcile_files(folder / "orders.csv", folder / "journal.csv", folder / "settlement.csv",
                                  merchants if merchants.exists() else None, Path(scratch) / "findings.csv",
                                  card_key=b"bench-card-key", on_step=phases)
    found = {kind: count for kind, count in summary.counts.items() if count}
    print(f"  findings: {summary.total} {found}")
    print("  phases (reading = read + check of one file; the text copy below is the read alone):")
    phases.print()


def _child_validate(folder: Path) -> None:
    """The loads of reconcile_files alone, in its order (the settlement dropped before the orders)."""
    from recoup.reconciliation.service import load_files_only

    merchants = folder / "merchants.csv"
    rows = load_files_only(folder / "orders.csv", folder / "journal.csv", folder / "settlement.csv",
                           merchants if merchants.exists() else None, card_key=b"bench-card-key")
    print(f"  loaded: {rows}")


def _child_text(folder: Path) -> None:
    """Every column of the three files copied into tables as text, nothing checked."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    for name in ("journal", "settlement", "orders"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder}/{name}.csv', all_varchar = true)")
    print("  copied as text")


def _child_baseline(folder: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    print(f"  baseline counts: {con.execute(BASELINE_SQL.format(folder=folder)).fetchall()[0]}")


CHILDREN = {"reconcile": _child_reconcile, "baseline": _child_baseline, "validate": _child_validate,
            "text": _child_text}


def measure(role: str, folder: Path) -> tuple[float, int, float]:
    """Wall seconds, peak resident bytes and CPU seconds (all threads) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", role, str(folder)])
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{role} failed with exit code {child.returncode}")
    return elapsed, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def warm_page_cache(folder: Path) -> None:
    """Read every input once, so that the first child does not read them from disk where the later ones read
    them from memory: files generated in an earlier session made a single run's reconciliation read its journal
    in 3.54 s where the next run took 2.43 s (2M lines), and its ratio 7.1 where the next said 4.3."""
    for path in sorted(folder.glob("*.csv")):
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None, help="where the generated files go (reused)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    parser.add_argument("--skip-floors", action="store_true",
                        help="run only the reconciliation and the bare join (not the validate and text children)")
    parser.add_argument("--child", nargs=2, metavar=("ROLE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        role, folder = args.child
        CHILDREN[role](Path(folder))
        return
    folder = args.folder or Path(tempfile.gettempdir()) / f"recoup-bench-{args.lines}"
    started = time.perf_counter()
    generate(folder, args.lines)
    print(f"data: {args.lines:,} journal lines in {folder} ({time.perf_counter() - started:.1f} s to prepare)")
    warm_page_cache(folder)
    roles = ("reconcile", "baseline") if args.skip_floors else tuple(CHILDREN)
    runs: dict[str, list[tuple[float, int, float]]] = {role: [] for role in roles}
    for _ in range(args.repeat):
        for role in runs:
            runs[role].append(measure(role, folder))
    (ours, our_peak, our_cpu), (bare, bare_peak, bare_cpu) = min(runs["reconcile"]), min(runs["baseline"])
    # CPU seconds tell more than wall time on a machine others share.
    print(f"reconcile: {ours:8.2f} s   peak {our_peak / 2**30:5.2f} GiB   cpu {our_cpu:8.2f} s")
    print(f"bare join: {bare:8.2f} s   peak {bare_peak / 2**30:5.2f} GiB   cpu {bare_cpu:8.2f} s")
    print(f"ratio:     {ours / bare:8.2f}   (goal <= 3, peak < 4 GiB)   cpu ratio {our_cpu / bare_cpu:5.2f}")
    for role, label in (("validate", "loads only"), ("text", "text copy")):
        if role not in runs:
            continue
        wall, peak, cpu = min(runs[role])
        print(f"{label}:{wall:10.2f} s   peak {peak / 2**30:5.2f} GiB   cpu {cpu:8.2f} s   "
              f"ratio {wall / bare:5.2f}   cpu ratio {cpu / bare_cpu:5.2f}")


if __name__ == "__main__":
    main()
