"""In-process CPU per request, by kind: where bench/load.py's time goes, without the noise of a loaded machine.

    .venv/bin/python bench/serve_profile.py [--pg] [--n 200] [--rounds 3] [--kinds case,case_page] [--calls]
                                            [--sql KIND] [--profile KIND] [--top 30] [--var DIR]

Builds the demo (`recoup db upgrade` + `recoup demo`; on SQLite in --var, kept there for the next run, or on
a PostgreSQL server of its own with --pg), makes the app in this process, logs in as bench/load.py does and
sends each of its seven request kinds N times straight into the ASGI app (no socket, no uvicorn, no
TestClient): search by RRN, a case as JSON, a page of findings, the case page, a note, a refund with an
idempotency key, an assignment; plus /healthz (the middleware stack alone). Prints, per kind, the CPU ms per
request (process time, the best of --rounds rounds), with --pg the CPU ms of PostgreSQL's processes for it
(from /proc), the wall ms and the SQL statements per request; with
--by-package, where each kind's profiled time is spent (framework, ORM, driver, templates, our code); with
--calls, the Python function calls per request (a count: steady on a busy machine, where timings are not).
--first times the first requests of each kind in the new process (`recoup serve` warms a process before it
listens: recoup.web.warm_up; --first --warm does the same first) before anything else runs.
--sql KIND prints the SQL statements of one request of that kind. --profile KIND runs that kind under
cProfile and prints the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.load import KEYS, PASSWORD  # noqa: E402

KINDS = ("healthz", "search", "case", "findings", "case_page", "note", "refund", "assign")


def _recoup(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "recoup", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"recoup {' '.join(args)} failed: {done.stderr[-2000:]}")


def _prepare(options: argparse.Namespace) -> tuple[dict[str, str], Callable[[], None]]:
    """The environment of a demo database (built here unless already there), and how to stop its server."""
    if options.pg:
        from sqlalchemy import create_engine, text
        from tests.support.postgres import start_postgres

        server = start_postgres()
        engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("CREATE DATABASE recoup_profile"))
        engine.dispose()
        folder = Path(tempfile.mkdtemp(prefix="recoup-profile-"))
        env = {**os.environ, **KEYS, "RECOUP_DATABASE_URL": server.url("recoup_profile"),
               "RECOUP_VAR_DIR": str(folder / "var")}
        def stop() -> None:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
        PgCpu.folder = server.folder / "data"
    else:
        folder = Path(options.var or Path(tempfile.gettempdir()) / "recoup-serve-profile")
        env = {**os.environ, **KEYS, "RECOUP_DATABASE_URL": "", "RECOUP_VAR_DIR": str(folder / "var")}
        stop = _nothing
    if not (folder / "built").exists():
        began = time.monotonic()
        _recoup(["db", "upgrade"], env)
        _recoup(["demo"], env)
        (folder / "built").touch()
        print(f"demo built in {time.monotonic() - began:.1f} s ({'PostgreSQL' if options.pg else folder})")
    else:
        _recoup(["db", "upgrade"], env)  # a revision added since the demo was built
    return env, stop


def _nothing() -> None:
    return None


class AsgiClient:
    """Requests straight into the ASGI app on one event loop of its own: no socket and no TestClient (whose
    portal and httpx cost more CPU than the middleware stack it would measure); the browser's cookie kept."""

    def __init__(self, app: Any, cookie: str) -> None:
        import asyncio

        self.app, self.cookie = app, cookie
        self.concurrency = 1  # requests in flight at once (--concurrency)
        self.runner = asyncio.Runner()
        self.statuses: set[int] = set()

    async def request(self, method: str, path: str, *, params: dict[str, object] | None = None,
                      json: object = None, headers: dict[str, str] | None = None) -> Answer:
        import json as json_module
        from urllib.parse import urlencode

        body = b"" if json is None else json_module.dumps(json).encode()
        sent = {"host": "127.0.0.1", "user-agent": "serve-profile", "cookie": self.cookie, **(headers or {})}
        if json is not None:
            sent |= {"content-type": "application/json", "content-length": str(len(body))}
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                 "query_string": urlencode(params or {}).encode(), "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 80),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()]}
        return await self._call(scope, body)

    async def _call(self, scope: dict[str, Any], body: bytes) -> Answer:
        answer = Answer()
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return pending.pop() if pending else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer.status_code = int(message["status"])
            elif message["type"] == "http.response.body":
                answer.content += message.get("body", b"")

        await self.app(scope, receive, send)
        return answer

    async def get(self, path: str, **options: Any) -> Answer:
        return await self.request("GET", path, **options)

    async def post(self, path: str, **options: Any) -> Answer:
        return await self.request("POST", path, **options)

    def many(self, work: Callable[[], Awaitable[object]], n: int) -> None:
        """`work` n times, `concurrency` at once, in one task: the root task stays, so anyio's worker threads
        are reused (as under uvicorn, whose serving task is the root) instead of one new thread per request."""
        import asyncio

        async def loop(times: int) -> None:
            for _ in range(times):
                await work()

        async def all_loops() -> None:
            share, extra = divmod(n, self.concurrency)
            await asyncio.gather(*(loop(share + (1 if k < extra else 0)) for k in range(self.concurrency)))

        self.runner.run(all_loops())


class Answer:
    def __init__(self) -> None:
        self.status_code = 0
        self.content = b""

    @property
    def text(self) -> str:
        return self.content.decode()


class Session:
    """A logged-in client (token for the API, cookie for the page) and the cases and RRNs to ask for."""

    def __init__(self, client: Any, app: Any) -> None:
        import re

        token = client.post("/api/v1/auth/login", json={"username": "finance", "password": PASSWORD}).json()["token"]
        form = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        client.post("/login", data={"username": "finance", "password": PASSWORD,
                                    "csrf_token": csrf.group(1) if csrf else ""})
        self.api = {"Authorization": f"Bearer {token}"}
        items = client.get("/api/v1/cases", params={"limit": 200}, headers=self.api).json()
        self.cases = [c["number"] for c in items if c.get("state") not in ("CLOSED", "REJECTED", "RESOLVED")]
        self.rrns = [c["rrn"] for c in items if c.get("rrn")]
        self.rng = random.Random(1)
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        self.client = AsgiClient(app, cookie)

    def run(self, kind: str, n: int) -> set[int]:
        statuses: set[int] = set()

        async def one() -> None:
            statuses.add(await self.one(kind))

        self.client.many(one, n)
        return statuses

    async def one(self, kind: str) -> int:
        """One request of the kind, as bench/load.py sends it; its status (a refund's refusal counts as 200)."""
        client, rng, api = self.client, self.rng, self.api
        number = rng.choice(self.cases)
        if kind == "healthz":
            return int((await client.get("/healthz")).status_code)
        if kind == "search":
            return int((await client.get("/api/v1/transactions", params={"rrn": rng.choice(self.rrns), "limit": 20},
                                  headers=api)).status_code)
        if kind == "case":
            return int((await client.get(f"/api/v1/cases/{number}", headers=api)).status_code)
        if kind == "findings":
            return int((await client.get("/api/v1/findings", params={"limit": 50, "offset": rng.randrange(0, 200)},
                                  headers=api)).status_code)
        if kind == "case_page":
            return int((await client.get(f"/cases/{number}")).status_code)
        if kind == "note":
            return int((await client.post(f"/api/v1/cases/{number}/notes", json={"text": "called the payer"},
                                   headers=api)).status_code)
        if kind == "refund":
            answer = await client.post(f"/api/v1/cases/{number}/actions", json={"kind": "REFUND", "amount": "0.01"},
                                 headers={**api, "Idempotency-Key": f"load-{number}"})
            refused = answer.status_code in (409, 422) or (answer.status_code == 404 and "no sale" in answer.text)
            return 200 if refused else int(answer.status_code)
        return int((await client.post(f"/api/v1/cases/{number}/assign", json={"username": "finance"},
                               headers=api)).status_code)


class PgCpu:
    """The CPU time PostgreSQL's processes (the postmaster and its backends) have used, from /proc: what a
    request costs the database server besides this process (--pg, Linux)."""

    folder: Path | None = None

    @classmethod
    def seconds(cls) -> float:
        from bench.process_cpu import postmaster_pid, tree_cpu_seconds

        if cls.folder is None or not (cls.folder / "postmaster.pid").exists():
            return 0.0
        return tree_cpu_seconds(postmaster_pid(cls.folder))


class QueryCounter:
    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: object) -> None:
        self.count += 1


def _measure(session: Session, kind: str, n: int, counter: QueryCounter) -> tuple[float, float, float, float,
                                                                                  set[int]]:
    session.run(kind, min(10, n))  # warm: statement caches, templates, the token's first touch
    queries = counter.count
    cpu, wall, database = time.process_time(), time.perf_counter(), PgCpu.seconds()
    statuses = session.run(kind, n)
    cpu, wall, database = time.process_time() - cpu, time.perf_counter() - wall, PgCpu.seconds() - database
    return cpu * 1000 / n, database * 1000 / n, wall * 1000 / n, (counter.count - queries) / n, statuses


def _calls(session: Session, kinds: list[str], n: int) -> None:
    """Python function calls per request (cProfile's count, endpoints inline): unlike CPU time, the same on a
    busy machine as on a quiet one, so a change's effect shows even when the timings drown in noise."""
    print(f"{'kind':<10} {'calls/request':>14}")
    for kind in kinds:
        stats = _profiled(session, kind, n)
        print(f"{kind:<10} {stats.total_calls / n:>14.0f}")  # type: ignore[attr-defined]


def _profiled(session: Session, kind: str, n: int) -> pstats.Stats:
    """`n` requests of the kind under cProfile, the endpoints run inline (cProfile sees one thread)."""
    _inline_threads()
    profiler = cProfile.Profile()
    profiler.enable()
    session.run(kind, n)
    profiler.disable()
    return pstats.Stats(profiler)


def _package_of(filename: str) -> str:
    """Where a profiled function lives: a third-party package, a recoup package, the standard library."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].split(".", 1)[0]
    if "/src/recoup/" in filename:
        return "recoup." + filename.split("/src/recoup/", 1)[1].split("/", 1)[0].removesuffix(".py")
    return "(python)" if filename.startswith(("/", "<frozen")) else "(builtins)"


def _by_package(session: Session, kinds: list[str], n: int) -> None:
    """Own CPU ms per request (cProfile's tottime, so inflated by the profiler alike) by the package the time is
    spent in: which layer a request's time is in (framework, ORM, driver, templates, our code)."""
    for kind in kinds:
        spent: dict[str, float] = {}
        for (filename, _, _), (_, _, own, _, _) in _profiled(session, kind, n).stats.items():  # type: ignore[attr-defined]
            package = _package_of(filename)
            spent[package] = spent.get(package, 0.0) + own
        total = sum(spent.values())
        shares = ", ".join(f"{name} {ms * 1000 / n:.2f}" for name, ms in
                           sorted(spent.items(), key=lambda item: -item[1])[:9])
        print(f"{kind:<10} {total * 1000 / n:6.2f} ms: {shares}")


def _print_statements(session: Session, kind: str, engine: Any) -> None:
    """The SQL of one request of the kind, first line of each statement: which reads a change could merge."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", record)
    session.run(kind, 1)
    event.remove(engine, "before_cursor_execute", record)
    print(f"{kind}: {len(seen)} statements")
    for number, statement in enumerate(seen, 1):
        print(f"{number:>3}  {statement}")


def _print_first(session: Session, kinds: list[str]) -> None:
    """Wall ms of the first, second, third and tenth request of each kind (in this order of kinds)."""
    print(f"{'kind':<10} {'1st ms':>8} {'2nd ms':>8} {'3rd ms':>8} {'10th ms':>8}")
    for kind in kinds:
        took = []
        for _ in range(10):
            began = time.perf_counter()
            session.run(kind, 1)
            took.append((time.perf_counter() - began) * 1000)
        print(f"{kind:<10} {took[0]:>8.1f} {took[1]:>8.1f} {took[2]:>8.1f} {took[9]:>8.1f}")


def _inline_threads() -> None:
    """anyio's worker threads replaced by a plain call, so the profile sees the endpoint and its queries."""
    import anyio.to_thread

    async def run_sync(func: Callable[..., object], *args: object, **_: object) -> object:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", action="store_true", help="on a PostgreSQL server of its own (else SQLite)")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of N per kind: the least CPU is printed")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--profile", default="", help="run this kind under cProfile")
    parser.add_argument("--calls", action="store_true", help="also: Python function calls per request, by kind")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--by-package", action="store_true", help="also: profiled ms per request by package")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once (threads contend)")
    parser.add_argument("--threads", type=int, default=4, help="RECOUP_WEB_REQUEST_THREADS: 0 runs them inline")
    parser.add_argument("--first", action="store_true", help="time the first requests of each kind first")
    parser.add_argument("--warm", action="store_true", help="warm the app as `recoup serve` does (recoup.web.warm_up)")
    parser.add_argument("--sql", default="", help="print the SQL statements of one request of this kind")
    parser.add_argument("--var", default="", help="SQLite: the data folder (kept, reused)")
    options = parser.parse_args()
    env, stop = _prepare(options)
    try:
        os.environ.update(env)
        from fastapi.testclient import TestClient

        from recoup.config import Settings
        from recoup.web.app import create_app
        from recoup.web.serving import serve_blocking_work, settle_collector

        app = create_app(Settings())
        serve_blocking_work(app, options.threads)
        if options.warm:
            from recoup.web.warm_up import warm_up

            print(warm_up(app))
        settle_collector()  # as `recoup serve` does
        counter = QueryCounter(app.state.database.engine)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            session = Session(client, app)  # logging in renders the login page: not quite a cold process
            session.client.concurrency = options.concurrency
            if options.first:
                _print_first(session, options.kinds.split(","))
            print(f"{'kind':<10} {'cpu ms':>8} {'pg ms':>8} {'wall ms':>8} {'queries':>8}  statuses")
            for kind in options.kinds.split(","):  # the best of some rounds: the machine is shared
                rounds = [_measure(session, kind, options.n, counter) for _ in range(options.rounds)]
                cpu, database, wall, queries, statuses = min(rounds, key=lambda measured: measured[0])
                print(f"{kind:<10} {cpu:>8.2f} {database:>8.2f} {wall:>8.2f} {queries:>8.1f}  {sorted(statuses)}")
            if options.calls:
                _calls(session, options.kinds.split(","), options.n)
            if options.by_package:
                _by_package(session, options.kinds.split(","), options.n)
            if options.sql:
                _print_statements(session, options.sql, app.state.database.engine)
            if options.profile:
                stats = _profiled(session, options.profile, options.n)
                stats.sort_stats("cumulative").print_stats(options.top)
                stats.sort_stats("tottime").print_stats(options.top)
    finally:
        stop()


if __name__ == "__main__":
    main()
