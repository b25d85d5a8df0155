"""A web process made ready before it takes its first request (issue 15, load).

A fresh process builds a good deal on first use, and its first users paid for it: the first case page took
245 ms against 6 ms after (bench: the first request of each kind in a new process), 113 ms of it compiling
the 238 message patterns the timeline's words are translated by (recoup.web.i18n), the rest compiling its
templates and FastAPI's per-route state (built on the first request that tries a router); warmed, 27 ms. In
the load benchmark the first second of a run answered 38 requests (p50 170 ms) before, 84-196 (p50 34-98 ms)
after; the rest of its slow start is the bench's own first refunds (bench/load.py).
`recoup serve` (and the ASGI factory behind `--workers`) warms each process before it listens: the pages'
templates in each language, the message patterns, and the state of every route. Not in `create_app`: the
tests make hundreds of apps and would each pay about two seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import FastAPI

from recoup.web.i18n import message_patterns
from recoup.web.route_gates import GatedRouter
from recoup.web.templating import compile_page_templates


@dataclass(frozen=True)
class WarmedUp:
    templates: int  # templates compiled (each page template in each language)
    message_patterns: int
    routers: int  # included routers whose routes' state was built
    seconds: float

    def __str__(self) -> str:
        return (f"warmed up in {self.seconds:.1f} s: {self.templates} templates, {self.message_patterns} message "
                f"patterns, {self.routers} routers")


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
    return WarmedUp(templates, patterns, routers, time.perf_counter() - began)
