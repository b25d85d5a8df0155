"""The floor bench/load.py compares Recoup with: the least a Python web process can do per request on this
machine — uvicorn with the same HTTP stack, a bare Starlette route, one indexed PostgreSQL read through a
SQLAlchemy pool, a JSON answer. No middleware, no session, no authentication, no template.

    uvicorn bench.load_floor:application --factory --workers 2     (RECOUP_DATABASE_URL set)

bench/load.py --floor starts it with the same number of processes and drives it with the same client
process and concurrency, so the two throughputs are measured the same way in the same run.
"""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def application() -> Starlette:
    engine = create_engine(os.environ["RECOUP_DATABASE_URL"], pool_size=10, max_overflow=20)
    query = text("SELECT number, state, at_stake_minor FROM cases WHERE id = :id")

    def case(request: Request) -> JSONResponse:  # sync, like Recoup's endpoints: run in the thread pool
        with engine.connect() as connection:
            row = connection.execute(query, {"id": int(request.query_params.get("id", "0"))}).first()
        return JSONResponse({"case": None if row is None else dict(row._mapping)})

    return Starlette(routes=[Route("/floor", case), Route("/readyz", lambda _: JSONResponse({"ok": True}))])
