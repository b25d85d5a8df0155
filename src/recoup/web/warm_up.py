"""A web process made ready before it takes its first request (issue 15, load).

A fresh process builds a good deal on first use, and its first users paid for it: the first case page took
245 ms against 6 ms after (bench: the first request of each kind in a new process), 113 ms of it compiling
the 238 message patterns the timeline's words are translated by (recoup.web.i18n), the rest compiling its
templates and FastAPI's per-route state (built on the first request that tries a router); warmed, 27 ms. On
PostgreSQL the first request of a kind then still compiled its read statements (recoup.db.FixedRead, 2-4 ms
each: the first case as JSON 35 ms against 10 after, the first case page 38 against 14): they are compiled
here too. In the load benchmark the first second of a run answered 38 requests (p50 170 ms) before, 84-196
(p50 34-98 ms) after; the rest of its slow start is the bench's own first refunds (bench/load.py).
`recoup serve` (and the ASGI factory behind `--workers`) warms each process before it listens: the pages'
templates in each language, the message patterns, the state of every route and the read statements. Not in
`create_app`: the tests make hundreds of apps and would each pay about two seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import FastAPI

from recoup.cases.web import build_page_reads
from recoup.config import get_settings
from recoup.db import compile_fixed_reads
from recoup.web.i18n import message_patterns
from recoup.web.route_gates import GatedRouter
from recoup.web.templating import compile_page_templates


@dataclass(frozen=True)
class WarmedUp:
    templates: int  # templates compiled (each page template in each language)
    message_patterns: int
    routers: int  # included routers whose routes' state was built
    seconds: float
    statements: int = 0  # read statements compiled (recoup.db.FixedRead, PostgreSQL)

    def __str__(self) -> str:
        return (f"warmed up in {self.seconds:.1f} s: {self.templates} templates, {self.message_patterns} message "
                f"patterns, {self.routers} routers, {self.statements} statements")


def warm_up(app: FastAPI) -> WarmedUp:
    """Build now what the first requests of this process would otherwise build."""
    began = time.perf_counter()
    templates = compile_page_templates()
    patterns = len(message_patterns())
    routers = 0
    for route in app.router.routes:
        if isinstance(route, GatedRouter):
            route.refresh_gate()  # FastAPI builds each route's state as the gate reads the router's routes
            routers += 1
    build_page_reads()
    statements = compile_fixed_reads(app.state.database.engine.dialect)
    get_settings()  # the settings some sections read outside the app's own (messaging's contacts): 7 ms at first
    return WarmedUp(templates, patterns, routers, time.perf_counter() - began, statements)
