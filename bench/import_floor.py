"""PostgreSQL's own COPY floor for bench/import.py, and the rounds that compare an import with it.

The floor is what any import of the journal's lines costs at least: a plain COPY of the very rows the import
stored (exported from the table, nothing to read or check) into an empty ordinary table made LIKE the journal
INCLUDING ALL (its columns, defaults, constraints and indexes), committed, then dropped. It is taken in each
of PostgreSQL's two COPY formats the server parses cheapest, text and binary, and the better of the two is
the floor (the highest rows/s; the fewest CPU seconds), so that no format choice can flatter the import.
Each import is compared with the mean of the floors taken just before and just after it, after a warm-up
import that is not counted (postgres_rounds says why).
`--profile` logs the server's CPU seconds of every statement of the import (log_statement_stats).
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FORMATS = {"text": "", "binary": "(FORMAT binary)"}
RunChild = Callable[[str, str, Path], dict[str, object]]


def cpu_seconds() -> float:
    """User and system time of this process, all its threads (DuckDB's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_process(session: object) -> int | None:
    """The PostgreSQL backend serving this session (the bench's server runs on this machine)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":  # type: ignore[attr-defined]
        return None
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())  # type: ignore[attr-defined]


def process_cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerWaits:
    """How long the server process waited (was not running) while the block ran: sampled from /proc every
    10 ms, so that a round shows how much of an import's time the server spent waiting for rows (the COPY's
    share of the floor is lost there or in the server's own CPU). `with ServerWaits(pid) as waits: ...;
    waits.seconds`."""

    def __init__(self, pid: int | None) -> None:
        self._pid, self._samples, self._waiting = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.seconds = 0.0

    def __enter__(self) -> ServerWaits:
        self._started = time.perf_counter()
        if self._pid is not None:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._pid is not None:
            self._thread.join()
        elapsed = time.perf_counter() - self._started
        self.seconds = round(elapsed * self._waiting / self._samples, 2) if self._samples else 0.0

    def _sample(self) -> None:
        stat = Path(f"/proc/{self._pid}/stat")
        while not self._stop.wait(0.01):
            self._samples += 1
            self._waiting += stat.read_text().rsplit(") ", 1)[1][0] != "R"


def _plain(url: str) -> str:
    return url.replace("+psycopg", "")


def journal_columns(cursor: Any) -> list[str]:
    return [row[0] for row in cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'journal_lines' "
        "AND column_name <> 'id' ORDER BY ordinal_position").fetchall()]


def export_stored(url: str, folder: Path) -> tuple[dict[str, Path], int]:
    """The stored journal lines in stored order, once per format (COPY TO): {format: file}, and their count."""
    import psycopg

    files = {}
    with psycopg.connect(_plain(url)) as connection, connection.cursor() as cursor:
        names = ", ".join(journal_columns(cursor))
        for form, options in FORMATS.items():
            files[form] = folder / f"stored-journal.{form}"
            with files[form].open("wb") as out, cursor.copy(
                    f"COPY (SELECT {names} FROM journal_lines ORDER BY id) TO STDOUT {options}") as copy:
                for block in copy:
                    out.write(block)
        rows = int(cursor.execute("SELECT count(*) FROM journal_lines").fetchone()[0])  # type: ignore[index]
    return files, rows


def copy_floor_in(url: str, exported: Path, options: str, rows: int) -> dict[str, object]:
    """One floor COPY of `exported` (in the format of `options`): wall time, CPU seconds of server and client."""
    import psycopg

    with psycopg.connect(_plain(url)) as connection, connection.cursor() as cursor:
        names = ", ".join(journal_columns(cursor))
        server = int(cursor.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        cursor.execute("CREATE TABLE floor_journal (LIKE journal_lines INCLUDING ALL)")
        connection.commit()
        try:
            started, cpu, server_cpu = time.perf_counter(), cpu_seconds(), process_cpu_seconds(server)
            with ServerWaits(server) as waits, exported.open("rb") as source, \
                    cursor.copy(f"COPY floor_journal ({names}) FROM STDIN {options}") as copy:
                while block := source.read(1 << 20):
                    copy.write(block)
            connection.commit()
            seconds = time.perf_counter() - started
            spent = {"cpu_seconds": round(cpu_seconds() - cpu, 2),
                     "server_cpu_seconds": round(process_cpu_seconds(server) - server_cpu, 2),
                     "server_waiting_seconds": waits.seconds}
        finally:
            cursor.execute("DROP TABLE floor_journal")
            connection.commit()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds), **spent}


def copy_floor(url: str, exported: dict[str, Path], rows: int) -> dict[str, object]:
    """The floor in each format, and the best of them: the highest rows/s, the fewest CPU seconds."""
    floors = {form: copy_floor_in(url, exported[form], FORMATS[form], rows) for form in FORMATS}
    best: dict[str, object] = {
        "rows": rows, "rows_per_second": max(int(f["rows_per_second"]) for f in floors.values()),  # type: ignore[call-overload]
        "cpu_seconds": min(float(f["cpu_seconds"]) for f in floors.values()),  # type: ignore[arg-type]
        "server_cpu_seconds": min(float(f["server_cpu_seconds"]) for f in floors.values()),  # type: ignore[arg-type]
        "server_waiting_seconds": min(float(f["server_waiting_seconds"]) for f in floors.values())}  # type: ignore[arg-type]
    return {**best, "by_format": floors}


def floor_share(imported: dict[str, object], floor: dict[str, object]) -> dict[str, float]:
    """The import against the floor: rows/s as a share of the floor's, and the floor's CPU seconds
    (server + client) as a share of the import's (both higher is better, 1.0 = as fast as the floor)."""
    def total_cpu(figures: dict[str, object]) -> float:
        return float(figures["cpu_seconds"]) + float(figures.get("server_cpu_seconds", 0.0))  # type: ignore[arg-type]

    return {"wall": float(imported["rows_per_second"]) / float(floor["rows_per_second"]),  # type: ignore[arg-type]
            "cpu": total_cpu(floor) / total_cpu(imported),
            "server_cpu": float(floor["server_cpu_seconds"]) / float(imported["server_cpu_seconds"])}  # type: ignore[arg-type]


def postgres_rounds(server: Any, folder: Path, repeat: int, run_child: RunChild, profile: bool = False) -> str:
    """A warm-up import (not counted), then `repeat` rounds of an import into a fresh database, each between
    two COPY floors: the import is compared with the mean of the floor just before it and the one just after.
    Returns the URL of the last round's database (for the searches).

    Why the warm-up: the first import into a freshly started server was the slowest round of most runs (56%
    and 77% of the floor where the next rounds reached 73-98%; 21.6 s of server CPU where the next import
    took 14.1 s), a cost of a new server (its first WAL segment files, cold caches) that neither the floor
    after it nor a running production server pays. Why the floors on both sides: this machine's speed
    drifts by a fifth within minutes (the same COPY took 13.4 s and 20.4 s in one run); a floor taken only
    after each import made the share swing between 56% and 98% from round to round."""
    url = _fresh_database(server, 0, profile=False)
    warm_up = run_child("journal", url, folder)
    print(f"postgresql warm-up import (not counted): {warm_up}", flush=True)
    exported, rows = export_stored(url, folder)
    floors = [copy_floor(url, exported, rows)]
    shares: list[dict[str, float]] = []
    for round_no in range(1, repeat + 1):
        url = _fresh_database(server, round_no, profile)
        log_start = _log_size(server)
        imported = run_child("journal", url, folder)
        if profile:
            print(statement_profile(server, log_start, int(imported["server_pid"])), flush=True)  # type: ignore[call-overload]
            _reset_database(server, round_no)
        floors.append(copy_floor(url, exported, rows))
        floor = around(floors[-2], floors[-1])
        shares.append(floor_share(imported, floor))
        _print_round(round_no, imported, floor, shares[-1])
    for path in exported.values():
        path.unlink()
    median = {key: statistics.median(share[key] for share in shares) for key in shares[0]}
    print(f"postgresql median of {repeat}: import at {median['wall']:.0%} of the COPY floor with the journal's "
          f"indexes in rows/s (goal: 90% or more); CPU {median['cpu']:.0%}, server CPU {median['server_cpu']:.0%}",
          flush=True)
    return url


def around(before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    """The floor an import is compared with: the mean of the floors taken just before and just after it."""
    def mean(key: str) -> float:
        return (float(before[key]) + float(after[key])) / 2  # type: ignore[arg-type]

    return {"rows": before["rows"], "rows_per_second": round(mean("rows_per_second")),
            "cpu_seconds": round(mean("cpu_seconds"), 2), "server_cpu_seconds": round(mean("server_cpu_seconds"), 2),
            "server_waiting_seconds": round(mean("server_waiting_seconds"), 2),
            "before": before["rows_per_second"], "after": after["rows_per_second"]}


def _fresh_database(server: Any, number: int, profile: bool) -> str:
    """A new database bench_<number> (the one before it dropped); with `profile`, logging every statement's CPU."""
    import psycopg

    with psycopg.connect(_plain(server.url()), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE bench_{number}")
        if number:
            connection.execute(f"DROP DATABASE bench_{number - 1}")
        if profile:
            connection.execute(f"ALTER DATABASE bench_{number} SET log_statement = 'all'")
            connection.execute(f"ALTER DATABASE bench_{number} SET log_statement_stats = on")
    url: str = server.url(f"bench_{number}")
    return url


def _reset_database(server: Any, number: int) -> None:
    import psycopg

    with psycopg.connect(_plain(server.url()), autocommit=True) as connection:
        connection.execute(f"ALTER DATABASE bench_{number} RESET ALL")


def _print_round(number: int, imported: dict[str, object], floor: dict[str, object], share: dict[str, float]) -> None:
    label = f"postgresql round {number}:"
    print(f"{label} import {imported}\n{label} COPY floor (the same rows, prepared, into a table LIKE the journal "
          f"INCLUDING ALL; the best of text and binary) {floor}\n{label} import at {share['wall']:.0%} of the COPY "
          f"floor in rows/s; in CPU seconds (server + client) at {share['cpu']:.0%}, server alone "
          f"{share['server_cpu']:.0%}", flush=True)


def _log_size(server: Any) -> int:
    log = Path(server.folder) / "log"
    return log.stat().st_size if log.exists() else 0


def statement_profile(server: Any, start: int, pid: int, at_least: float = 0.01) -> str:
    """The server's CPU seconds per statement of the import's backend `pid` (those of `at_least` or more),
    from the server's log (each line of the log names its backend; the statistics' lines that follow not)."""
    with (Path(server.folder) / "log").open("rb") as handle:
        handle.seek(start)
        log = handle.read().decode("utf-8", "replace")
    lines, statement, total, current = [], "", 0.0, 0
    for line in log.splitlines():
        if found := re.search(r"\[(\d+)\] ", line[:60]):
            current = int(found.group(1))
        if current != pid:
            continue
        if found := re.search(r"LOG:  statement: (.*)", line):
            statement = found.group(1)[:110]
        elif (found := re.search(r"!\s+([\d.]+) s user, ([\d.]+) s system, ([\d.]+) s elapsed", line)) and statement:
            cpu = float(found.group(1)) + float(found.group(2))
            total += cpu
            if cpu >= at_least:
                lines.append(f"  {cpu:7.2f} s CPU {float(found.group(3)):7.2f} s wall  {statement}")
            statement = ""
    return "server CPU per statement of the import (log_statement_stats):\n" + "\n".join(lines) + \
        f"\n  {total:7.2f} s CPU in all (the setup of merchants and terminals before the import included)"
