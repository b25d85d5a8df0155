"""How a web process runs the blocking part of its requests (`RECOUP_WEB_REQUEST_THREADS`).

FastAPI runs every `def` route and dependency, and Starlette every blocking file operation, through
`anyio.to_thread.run_sync`: a hand-off to a worker thread and back, three to five times per request, and the
threads of one process then queue for the GIL: the more threads, the more CPU each request costs. With
PostgreSQL on the same 2-core machine (bench/load.py --threads, 8 keep-alive clients, one run each, back to back):
0 threads served 249 requests/s with 2 processes and 240 with 4 (5.6-6.0 ms of web CPU per request), 4 threads
214 (6.3 ms), 40 threads (anyio's own default, ours until issue 15's load work) 106 (8.6 ms). 0 wins on CPU, but
when most connections land on one process it serves them one at a time while the other idles (earlier runs: 91 to
238 requests/s); recoup.web.keep_alive now closes each connection after its answer (after 25 with threads), so
that every request goes to a process that has time. Threads still win where the database is farther away, which
idles a process on every statement.

With 0 threads, the hand-off becomes a plain call: a process runs one request's database work
at a time on its event loop, as a synchronous worker does, and `serve --workers` gives the concurrency (two to
four per core). A request never yields to another between its first statement and its commit, so one
process never holds two requests' transactions. The catch: a slow request (a large export) holds its
process; new connections go to the other processes, but a connection kept alive on the busy one waits. So does
`/readyz` while a database that stopped answering keeps a request waiting: with threads it answers 503 at once.
With N > 0 threads (4 by default), up to N requests of one process run at once in worker threads, as FastAPI
does (with 40).
The choice is made once per process, before it serves (`recoup serve`, or `recoup.web.asgi:application`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import FastAPI

Result = TypeVar("Result")
# A young collection after 7,000 net allocations instead of Python's 700: a case page alone allocates
# thousands of short-lived objects, and most die before any collection would have looked at them.
COLLECTOR_THRESHOLDS = (7000, 20, 20)


def settle_collector() -> None:
    """What start-up made (routes, templates, translations, SQLAlchemy's mappers and caches) lives as long as
    the process: moved out of the cycle collector's sight (gc.freeze), so that no full collection walks it
    again, and young collections made ten times rarer. bench/serve_profile.py over 1,640 requests: the
    collector's time fell from 0.23-0.39 ms to 0.05 ms per request, and the full collections (tens of ms
    each, a p99 of their own) from one or two per run to none."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def finish_start_up(app: FastAPI) -> None:
    """The last steps of a web process before it listens (`recoup serve`, the ASGI factory): no card number in
    the access or error log (after uvicorn set its loggers up), the process warmed (recoup.web.warm_up), what
    start-up made moved out of the collector's sight."""
    import logging

    from recoup.logs import guard_loggers
    from recoup.web.warm_up import warm_up

    guard_loggers()
    logging.getLogger("uvicorn.error").info("%s", warm_up(app))
    settle_collector()


def serve_blocking_work(app: FastAPI, threads: int) -> None:
    """0: run the blocking work inline, for the whole process; N: in up to N worker threads per process."""
    if threads == 0:
        anyio.to_thread.run_sync = _call_inline
        return
    opened: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads  # the loop's own limiter
        async with opened(application) as state:
            yield state

    app.router.lifespan_context = lifespan


async def _call_inline(func: Callable[..., Result], *args: object, **_options: object) -> Result:
    """anyio.to_thread.run_sync's signature, without the thread (its limiter and cancel options are moot)."""
    return func(*args)
