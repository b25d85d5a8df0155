"""Finding a request's route without trying every route of every router (issue 15, load).

FastAPI tries the app's included routers in order, and each tries its routes' patterns one by one: a case
page (`/cases/{number}`) went through the ~100 API routes first, about 0.3 ms of CPU per request. Every path
a route accepts begins with the literal text of its path format up to the first `{` (a route without a parameter
takes that path alone), so a router none of whose routes can take the path is passed over after one set look-up
and one `str.startswith`. Order and
answers stay FastAPI's own (tests/web/test_route_gates.py resolves every route of the app with and without
gates). FastAPI's `_IncludedRouter` is private: the pinned version is the one these tests prove.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match, Route
from starlette.types import Scope


def literal_start(path_format: str) -> str:
    """The text every path of this route begins with: its format up to the first parameter."""
    return path_format.split("{", 1)[0]


@dataclass(frozen=True)
class Gate:
    """The paths a router's routes can take: these exactly (routes without a parameter), or any beginning with
    one of `starts`. Everything when a route's paths cannot be told (no path format: a mount, say)."""

    exact: frozenset[str] = frozenset()
    starts: tuple[str, ...] = ()

    def lets(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.starts)


OPEN = Gate(starts=("",))


def gate_of(router: _IncludedRouter) -> Gate:
    """The gate of an included router, over every route it reaches (nested routers too)."""
    exact: set[str] = set()
    starts: set[str] = set()
    for candidate in router.effective_candidates():
        if isinstance(candidate, _IncludedRouter):
            inner = gate_of(candidate)
            exact.update(inner.exact)
            starts.update(inner.starts)
            continue
        path_format = getattr(candidate, "path_format", None)
        if not isinstance(path_format, str):
            return OPEN
        if "{" not in path_format and isinstance(getattr(candidate, "original_route", None), Route):
            exact.add(path_format)  # a Route's pattern is anchored at both ends: this path alone
        else:
            starts.add(literal_start(path_format))
    return Gate(frozenset(exact), tuple(sorted(starts)))


@dataclass(eq=False)
class GatedRouter(_IncludedRouter):
    """An included router that answers "no match" at once for a path none of its routes can take."""

    gate: Gate = OPEN
    gate_version: int = -1  # the router's routes version the gate was made at (routes added later count)

    def refresh_gate(self) -> Gate:
        """The gate, made again if the router's routes changed since it was made."""
        version = self.original_router._get_routes_version()
        if version != self.gate_version:
            self.gate, self.gate_version = gate_of(self), version
        return self.gate

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.refresh_gate().lets(get_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


def gate_routers(app: FastAPI) -> int:
    """Put a gate on each router the app includes; returns how many got one."""
    routes = app.router.routes
    gated = 0
    for position, route in enumerate(routes):
        if type(route) is _IncludedRouter:
            routes[position] = GatedRouter(original_router=route.original_router,
                                           include_context=route.include_context)
            gated += 1
    return gated
