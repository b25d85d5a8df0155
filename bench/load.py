"""Load benchmark: Recoup on PostgreSQL with several web processes, driven over loopback by another process.

    .venv/bin/python bench/load.py [--seconds 20] [--web 2] [--threads 4] [--concurrency 8 | --rate 300]
                                   [--access-log] [--no-floor]

Starts a PostgreSQL server of its own (tests/support/postgres.py), loads the demo data (`recoup demo`),
starts `recoup serve --workers N` and drives it from a separate process for a bounded time with a 70/30 mix:
reads (transaction search by RRN, a case by number, a page of findings, the case page in HTML) and writes
(a note, a refund with an idempotency key, an assignment). Prints throughput, p50/p90/p99 latency per kind
and overall, the errors, and the goal (300 requests a second, p99 under 50 ms, no errors). The driver's CPU
time is printed too: on a 2-core machine it competes with the server for the same cores, so it logs in with httpx
but drives with a lean keep-alive client of its own (bench/load_client.py).

--threads is RECOUP_WEB_REQUEST_THREADS for the web processes (recoup.web.serving), 4 by default as for `recoup
serve`. 0 is the synchronous-worker model: on this 2-core machine it served 249 requests/s (2 processes; 240 with
--web 4) where 4 threads served 214 and 40 threads 106 (session 11, back to back). Its spread came from the 8
keep-alive connections: they land on the processes as the accepts race, and a process holding most of them serves
them one at a time while another idles (earlier runs: 91-238; `ss` showed all 8 in one process in two runs of
three). Since session 13 a connection is closed after RECOUP_WEB_REQUESTS_PER_CONNECTION answers and
reopened where a process has time (recoup.web.keep_alive): bench/load_client.py opens it again, as a browser
does. Since session 20 that is after every answer with --threads 0 (25 with threads): a connection kept for
25 answers still queued its client behind its process's other connections while the other process had time
(two rounds of 20 s: p99 118-134 ms kept, 64-74 ms closed after each answer). Threads win too where the
database answers slower (another machine, or a loaded one), since a process then waits on every statement.

Concurrency: the clients are a closed loop, so throughput x mean latency = clients (Little's law). With 16
clients, 300 requests a second means a mean latency of 53 ms, above the p99 goal of 50 ms: both goals can
only hold together with at most about 8 clients (mean 27 ms at 300/s), hence the default of 8.

--rate R drives it open-loop instead, as the goal reads ("300 requests a second"): requests arrive at R a second
whatever the answers' pace (Poisson arrivals, seeded, as from many independent users), each on a free keep-alive
connection (a new one when all are busy), and each is timed from when it was due, not from when a connection was
free, so a server that falls behind shows it in every latency after (no coordinated omission). The closed loop
measures the most the server can take (at saturation, where latency = clients / throughput by Little's law);
the open loop measures the latency at the goal's load.

"By second" shows each second of the run. The first seconds are the slowest: every case's first refund and
first assignment is real work (ledger postings, events, webhooks: 33 statements for a first refund on
PostgreSQL), the later ones replay their idempotency key or change nothing; and a fresh PostgreSQL connection
reads its catalogue. A refund that created its action (201 without Idempotent-Replayed) counts as "first refund"
among the slow answers' kinds, and the first refunds' count and percentiles have a line of their own. "After the
first 10 s" gives the throughput and percentiles of the rest of the run alone (run it for 40 s or more for a
steady figure); the overall figures, start included, stay the ones quoted against the goal.

Then, unless --no-floor, the floor in the same run: bench/load_floor.py (uvicorn, the same number of
processes, a bare route doing one indexed read of a case on the same PostgreSQL) driven by the same client
with the same concurrency. Its throughput bounds what any Python web process can reach here; Recoup's
figure is printed against it too.

The CPU seconds per request of the web processes, PostgreSQL and the driver are printed too (bench/process_cpu.py):
on a shared machine they are steadier than the throughput.

Where the time goes, kind by kind (CPU ms, SQL statements and Python calls per request, cProfile's top
functions), without a socket or a second process: bench/serve_profile.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.load_client import LeanClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

KEYS = {"RECOUP_SECRET_KEY": "load-bench-secret-key-0123456789abcdef",
        "RECOUP_CARD_TOKEN_KEY": "load-bench-card-key-0123456789abcdef",
        "RECOUP_DATA_KEY": "load-bench-data-key-0123456789abcdef0",
        "RECOUP_AUDIT_KEY": "load-bench-audit-key-0123456789abcdef"}
PASSWORD = "recoup-demo-2026"
READS = ("search", "case", "findings", "case_page")
WRITES = ("note", "refund", "assign")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _recoup(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "recoup", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"recoup {' '.join(args)} failed: {done.stderr[-2000:]}")


def _wait_ready(url: str, server: subprocess.Popen[str]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not become ready")


class Driver:
    """The other process: logs in, learns some case numbers and RRNs, then sends the mix for `seconds`."""

    def __init__(self, url: str, seconds: float, concurrency: int, floor: bool = False, rate: float = 0) -> None:
        self.url, self.seconds, self.concurrency, self.floor, self.rate = url, seconds, concurrency, floor, rate
        self.connections = concurrency
        self.timeline: list[tuple[float, float, str]] = []  # (sent or due, latency, kind) of every answer
        kinds = ("floor",) if floor else (*READS, *WRITES)
        self.latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
        self.headers: dict[str, str] = {}
        self.errors: dict[str, int] = {}
        from recoup.recovery.api import REPLAYED_HEADER  # the header the API marks a replayed action with

        self.replayed_header = REPLAYED_HEADER.lower()

    async def run(self) -> dict[str, object]:
        """Log in with httpx, then drive with one lean keep-alive connection per client (bench/load_client.py)."""
        import httpx
        from bench.load_client import LeanClient

        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            if self.floor:
                self.cases = [str(n) for n in range(1, 200)]
            else:
                await self._login(client)
            headers, cookies = dict(self.headers), dict(client.cookies.items())
        started = time.monotonic()
        cpu = time.process_time()
        if self.rate:
            clients = await self._open_loop(headers, cookies, started)
        else:
            clients = [LeanClient(self.url, dict(headers), dict(cookies)) for _ in range(self.concurrency)]
            await asyncio.gather(*(self._loop(clients[n], started + self.seconds, n)
                                   for n in range(self.concurrency)))
        elapsed = time.monotonic() - started
        for lean in clients:
            await lean.aclose()
        return {"elapsed": elapsed, "driver_cpu": time.process_time() - cpu, "latencies": self.latencies,
                "errors": self.errors, "rate": self.rate, "connections": self.connections,
                "timeline": _by_second(self.timeline, started), "slow": _slow_answers(self.timeline, started),
                "first_refunds": [took for _, took, kind in self.timeline if kind == FIRST_REFUND],
                "settled": _settled(self.timeline, started, elapsed)}

    async def _open_loop(self, headers: dict[str, str], cookies: dict[str, str], started: float) -> list[LeanClient]:
        """Requests arriving at `self.rate` a second for `self.seconds` (Poisson), each timed from when it was due;
        returns the connections used (a new one whenever every other is busy)."""
        from bench.load_client import LeanClient

        rng = random.Random(0)
        idle: list[LeanClient] = []
        made: list[LeanClient] = []
        running: set[asyncio.Task[None]] = set()

        async def arrival(kind: str, due: float, choices: random.Random) -> None:
            if idle:
                client = idle.pop()
            else:
                client = LeanClient(self.url, dict(headers), dict(cookies))
                made.append(client)
            await self._timed(client, kind, choices, due)
            idle.append(client)

        due = started
        while (due := due + rng.expovariate(self.rate)) < started + self.seconds:
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            kind = rng.choice(READS) if rng.random() < 0.7 else rng.choice(WRITES)
            task = asyncio.create_task(arrival(kind, due, random.Random(rng.getrandbits(32))))
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)
        self.connections = len(made)
        return made

    async def _login(self, client: object) -> None:
        """A bearer token for the API and a browser session (cookie) for the case page, as finance."""
        import re

        import httpx

        assert isinstance(client, httpx.AsyncClient)
        answer = await client.post("/api/v1/auth/login", json={"username": "finance", "password": PASSWORD})
        answer.raise_for_status()
        token = answer.json()["token"]
        form = await client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        web = await client.post("/login", data={"username": "finance", "password": PASSWORD,
                                                "csrf_token": csrf.group(1) if csrf else ""})
        if web.status_code >= 400:
            raise SystemExit(f"web login refused: {web.status_code}")
        self.headers["Authorization"] = client.headers["Authorization"] = f"Bearer {token}"
        cases = (await client.get("/api/v1/cases", params={"limit": 200})).json()
        items = cases["items"] if isinstance(cases, dict) else cases
        self.cases = [c["number"] for c in items if c.get("state") not in ("CLOSED", "REJECTED", "RESOLVED")]
        self.rrns = [c["rrn"] for c in items if c.get("rrn")]

    async def _loop(self, client: LeanClient, until: float, worker: int) -> None:
        rng = random.Random(worker)
        while time.monotonic() < until:
            kind = "floor" if self.floor else rng.choice(READS) if rng.random() < 0.7 else rng.choice(WRITES)
            await self._timed(client, kind, rng, time.monotonic())

    async def _timed(self, client: LeanClient, kind: str, rng: random.Random, since: float) -> None:
        """One request, its latency counted from `since` (when it was sent, or in the open loop when it was due)."""
        from bench.load_client import ConnectionLost

        try:
            status = await self._one(client, kind, rng)
        except TimeoutError:
            status = 599  # counted as an error: no answer within the client's 10 s
        except (ConnectionError, ConnectionLost, asyncio.IncompleteReadError):
            status = 598  # counted as an error: the connection broke
        if status >= 400:
            self.errors[f"{kind} {status}"] = self.errors.get(f"{kind} {status}", 0) + 1
        else:
            took = time.monotonic() - since
            self.latencies[kind].append(took)
            self.timeline.append((since, took, FIRST_REFUND if kind == "refund" and status == 201 else kind))

    async def _one(self, client: LeanClient, kind: str, rng: random.Random) -> int:
        number = rng.choice(self.cases)
        if kind == "floor":
            answer = await client.get("/floor", params={"id": number})
        elif kind == "search":
            answer = await client.get("/api/v1/transactions", params={"rrn": rng.choice(self.rrns), "limit": 20})
        elif kind == "case":
            answer = await client.get(f"/api/v1/cases/{number}")
        elif kind == "findings":
            answer = await client.get("/api/v1/findings", params={"limit": 50, "offset": rng.randrange(0, 200)})
        elif kind == "case_page":
            answer = await client.get(f"/cases/{number}")
        elif kind == "note":
            answer = await client.post(f"/api/v1/cases/{number}/notes", json={"text": "called the payer"})
        elif kind == "refund":  # one key per case: the first creates the refund, the others replay it
            answer = await client.post(f"/api/v1/cases/{number}/actions", json={"kind": "REFUND", "amount": "0.01"},
                                       headers={"Idempotency-Key": f"load-{number}"})
            refused = answer.status_code in (409, 422) or (answer.status_code == 404 and "no sale" in answer.text)
            replayed = answer.headers.get(self.replayed_header) == "true"
            # A refusal (e.g. a case with no sale to refund) is an answer; 201 only for the refund that acted.
            return 200 if refused or replayed else answer.status_code
        else:
            answer = await client.post(f"/api/v1/cases/{number}/assign", json={"username": "finance"})
        return answer.status_code


def _by_second(timeline: list[tuple[float, float, str]], started: float) -> list[tuple[int, int, float, float]]:
    """(second, answers, p50 ms, p99 ms) of the requests sent (or due) in each second of the run: a stall or a
    slow start shows where it happened."""
    seconds: dict[int, list[float]] = {}
    for since, took, _ in timeline:
        seconds.setdefault(int(since - started), []).append(took)
    return [(second, len(took), _percentile(took, .5), _percentile(took, .99))
            for second, took in sorted(seconds.items())]


GOAL_RATE = 300  # requests a second (issue 15)
SLOW = 0.050  # the goal's p99
STALL_WINDOW = 0.1
# A refund that created its action (201, not a replay: the case's first with the bench's key) is real work (two
# transactions, some 40 statements): told apart from the replays and refusals in the timeline, so the slow answers
# name it.
FIRST_REFUND = "first refund"
WARM_UP = 3.0  # seconds counted as the start by `_slow_answers` (its first refunds, fresh connections)


def _slow_answers(timeline: list[tuple[float, float, str]], started: float) -> dict[str, object]:
    """Where the answers slower than the goal's p99 fall: in the first WARM_UP seconds (first refunds,
    fresh connections), in stalls (100 ms windows, by when sent or due, whose median answer is itself slow:
    everything waited, as on an I/O stall or a pause), or scattered (queueing behind other requests); and by
    kind. A tail made of stalls and the warm-up asks for other remedies than one spread over every kind."""
    windows: dict[int, list[float]] = {}
    for since, took, _ in timeline:
        windows.setdefault(int((since - started) / STALL_WINDOW), []).append(took)
    stalled = {window for window, took in windows.items() if statistics.median(took) > SLOW}
    where = {"warm-up": 0, "stalls": 0, "scattered": 0}
    kinds: dict[str, int] = {}
    for since, took, kind in timeline:
        if took <= SLOW:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        if since - started < WARM_UP:
            where["warm-up"] += 1
        elif int((since - started) / STALL_WINDOW) in stalled:
            where["stalls"] += 1
        else:
            where["scattered"] += 1
    return {"count": sum(where.values()), "answers": len(timeline), "where": where, "kinds": kinds,
            "stalled_windows": len(stalled), "windows": len(windows)}


SETTLE = 10.0  # seconds: by then most cases' first refund and assignment are done (longer than WARM_UP, which only
# locates the slowest answers) and every connection is warm


def _settled(timeline: list[tuple[float, float, str]], started: float, elapsed: float) -> dict[str, float]:
    """Throughput and latency of the requests sent (or due) after the first SETTLE seconds: the run without its
    start, where each case's first refund is real work (later ones replay their key) and connections are new."""
    after = [took for since, took, _ in timeline if since - started >= SETTLE]
    span = elapsed - SETTLE
    return {"seconds": max(span, 0.0), "answers": len(after), "rate": len(after) / span if span > 0 else 0.0,
            "p50": _percentile(after, .5), "p99": _percentile(after, .99)}


def drive(url: str, seconds: float, concurrency: int, floor: bool, rate: float = 0) -> None:
    """The driver's process. On uvloop (as the server's processes run), whose connection set-up and socket reads
    cost less CPU than asyncio's own loop: on 2 cores the driver's CPU is taken from the server it measures."""
    import uvloop

    print(json.dumps(uvloop.run(Driver(url, seconds, concurrency, floor, rate).run())))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def _print(result: dict[str, object], web: str, concurrency: int) -> float:
    latencies: dict[str, list[float]] = result["latencies"]  # type: ignore[assignment]
    errors: dict[str, int] = result["errors"]  # type: ignore[assignment]
    elapsed = float(result["elapsed"])  # type: ignore[arg-type]
    every = [value for values in latencies.values() for value in values]
    total = len(every) + sum(errors.values())
    offered = float(result.get("rate") or 0)  # type: ignore[arg-type]
    load = (f"requests arriving at {offered:.0f} a second (open loop; {result['connections']} connections used)"
            if offered else f"{concurrency} concurrent clients")
    print(f"{web}, {load}, {elapsed:.1f} s")
    print(f"{'kind':<10} {'count':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for kind, values in latencies.items():
        print(f"{kind:<10} {len(values):>7} {_percentile(values, .5):>8.1f} {_percentile(values, .9):>8.1f} "
              f"{_percentile(values, .99):>8.1f}")
    rate = total / elapsed
    p99 = _percentile(every, .99)
    print(f"{'all':<10} {len(every):>7} {_percentile(every, .5):>8.1f} {_percentile(every, .9):>8.1f} {p99:>8.1f}")
    print(f"throughput {rate:.0f} requests/s (goal {GOAL_RATE}: ratio {rate / GOAL_RATE:.2f}); "
          f"p99 {p99:.1f} ms (goal 50: ratio {p99 / 50:.2f}); errors {sum(errors.values())} {errors or ''}")
    print("by second (answers, p50/p99 ms): " + ", ".join(f"{second}: {count} {p50:.0f}/{p99:.0f}"
                                                         for second, count, p50, p99 in result["timeline"]))  # type: ignore[attr-defined]
    settled: dict[str, float] = result["settled"]  # type: ignore[assignment]
    if settled["answers"]:
        print(f"after the first {SETTLE:.0f} s ({settled['seconds']:.1f} s, {settled['answers']:.0f} answers): "
              f"{settled['rate']:.0f} requests/s, p50 {settled['p50']:.1f} ms, p99 {settled['p99']:.1f} ms")
    slow: dict[str, Any] = result["slow"]  # type: ignore[assignment]
    print(f"answers slower than {SLOW * 1000:.0f} ms: {slow['count']} of {slow['answers']} "
          f"({100 * slow['count'] / max(slow['answers'], 1):.1f}%): "
          + ", ".join(f"{name} {count}" for name, count in slow["where"].items())
          + f" ({slow['stalled_windows']} of {slow['windows']} windows of {STALL_WINDOW * 1000:.0f} ms stalled)"
          + "; by kind: "
          + ", ".join(f"{kind} {count}" for kind, count in sorted(slow["kinds"].items(), key=lambda item: -item[1])))
    firsts: list[float] = result.get("first_refunds", [])  # type: ignore[assignment]
    if firsts:
        print(f"first refunds (created, not replayed): {len(firsts)}, p50 {_percentile(firsts, .5):.1f} ms, "
              f"p99 {_percentile(firsts, .99):.1f} ms")
    print(f"driver CPU {float(result['driver_cpu']):.1f} s of {elapsed:.1f} s "  # type: ignore[arg-type]
          f"(mean of the reads {statistics.mean(every) * 1000 if every else 0:.1f} ms)")
    per_request = {name: float(result[name]) * 1000 / max(total, 1)  # type: ignore[arg-type]
                   for name in ("web_cpu", "database_cpu", "driver_cpu")}
    print(f"CPU per request: web processes {per_request['web_cpu']:.2f} ms, PostgreSQL "
          f"{per_request['database_cpu']:.2f} ms, driver {per_request['driver_cpu']:.2f} ms "
          f"(steadier than throughput on a shared machine)")
    print(_cpu_ceiling(sum(per_request.values())))
    return rate


def _cpu_ceiling(cpu_ms: float) -> str:
    """The most requests a second the machine's cores can serve at this CPU per request (web, database and driver
    share them), and the CPU per request the goal's rate leaves: a run at its ceiling is CPU-bound, and only less
    CPU per request raises it."""
    cores = len(os.sched_getaffinity(0))
    ceiling = cores * 1000 / cpu_ms if cpu_ms > 0 else 0.0
    return (f"CPU ceiling: {cpu_ms:.2f} ms of CPU a request on {cores} cores is at most {ceiling:.0f} requests/s; "
            f"{GOAL_RATE} requests/s needs at most {cores * 1000 / GOAL_RATE:.2f} ms a request")


def _serve_and_drive(command: list[str], env: dict[str, str], port: int, folder: Path,
                     options: argparse.Namespace, floor: bool, postgres: int) -> dict[str, object]:
    """Start the web processes, drive them from another process for the set time, stop them. Also the CPU
    seconds the web processes and PostgreSQL (`postgres`: the postmaster) spent while they were driven."""
    from bench.process_cpu import tree_cpu_seconds

    log = (folder / ("floor.log" if floor else "server.log")).open("w")
    server = subprocess.Popen(command, env=env, text=True, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)
        args = ["--drive", url, "--seconds", str(options.seconds), "--concurrency", str(options.concurrency)]
        args += ["--rate", str(options.rate)] if options.rate and not floor else []
        web_cpu, database_cpu = tree_cpu_seconds(server.pid), tree_cpu_seconds(postgres)
        driver = subprocess.run([sys.executable, __file__, *args, *(["--floor"] if floor else [])],
                                capture_output=True, text=True)
        web_cpu, database_cpu = tree_cpu_seconds(server.pid) - web_cpu, tree_cpu_seconds(postgres) - database_cpu
        if driver.returncode != 0:
            raise SystemExit(driver.stderr[-3000:])
        result: dict[str, object] = json.loads(driver.stdout.strip().splitlines()[-1])
        return {**result, "web_cpu": web_cpu, "database_cpu": database_cpu}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="RECOUP_WEB_REQUEST_THREADS of the web processes")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=0, help="open loop: requests arriving a second (Poisson)")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (server logs, var) for a look")
    parser.add_argument("--no-floor", dest="floor", action="store_false", help="skip the bare-route floor")
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--floor", dest="drive_floor", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.drive:
        drive(options.drive, options.seconds, options.concurrency, options.drive_floor, options.rate)
        return
    from tests.support.postgres import start_postgres

    server_pg = start_postgres()
    folder = Path(tempfile.mkdtemp(prefix="recoup-load-"))
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(server_pg.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("CREATE DATABASE recoup_load"))
        engine.dispose()
        env = {**os.environ, **KEYS, "RECOUP_DATABASE_URL": server_pg.url("recoup_load"),
               "RECOUP_VAR_DIR": str(folder / "var")}
        began = time.monotonic()
        _recoup(["db", "upgrade"], env)
        _recoup(["demo"], env)
        # Vacuumed and analysed, as autovacuum leaves a database by the time people use it: started right after
        # the bulk load, the run's first three seconds answered 55-66 requests a second (then 250); vacuumed,
        # only its first second was slow.
        engine = create_engine(server_pg.url("recoup_load"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        print(f"demo data loaded into PostgreSQL in {time.monotonic() - began:.1f} s")
        port = _free_port()
        args = ["serve", "--workers", str(options.web), "--port", str(port)]
        args += [] if options.access_log else ["--no-access-log"]
        from bench.process_cpu import postmaster_pid

        postgres = postmaster_pid(server_pg.folder / "data")
        serving = {**env, "RECOUP_WEB_REQUEST_THREADS": str(options.threads)}
        result = _serve_and_drive([sys.executable, "-m", "recoup", *args], serving, port, folder, options,
                                  floor=False, postgres=postgres)
        model = f"{options.threads} request threads each" if options.threads else "one request at a time each"
        rate = _print(result, f"{options.web} web processes ({model})", options.concurrency)
        errors = [line for line in (folder / "server.log").read_text().splitlines() if "Error" in line]
        print(f"server log {folder / 'server.log'}: {len(errors)} error lines", *errors[-5:], sep="\n  ")
        if options.floor:
            floor_command = [sys.executable, "-m", "uvicorn", "bench.load_floor:application", "--factory",
                             "--workers", str(options.web), "--port", str(port), "--no-access-log",
                             "--log-level", "warning"]
            print("\nthe floor (bench/load_floor.py: a bare route, one indexed read, same client and processes):")
            floor = _print(_serve_and_drive(floor_command, {**env, "PYTHONPATH": str(ROOT)}, port, folder, options,
                                            floor=True, postgres=postgres), f"{options.web} processes",
                           options.concurrency)
            print(f"Recoup's throughput is {rate / floor:.2f} of the floor's ({rate:.0f} against {floor:.0f} "
                  f"requests/s)")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"CPU of the finished children (demo, driver, servers): {usage.ru_utime + usage.ru_stime:.1f} s")
    finally:
        server_pg.stop()
        if options.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
