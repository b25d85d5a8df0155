"""Small helpers over a DuckDB connection (DuckDB 2 wants every result read to its end)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from recoup.scratch import scratch_folder


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The first column of the first row, or None."""
    rows = con.execute(sql).fetchall()
    return rows[0][0] if rows else None


def row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    rows = con.execute(sql).fetchall()
    return tuple(rows[0]) if rows else ()


def configure(con: duckdb.DuckDBPyConnection, *, threads: int = 2, memory_limit: str = "3GB") -> None:
    """Bounded threads and memory, UTC session, no progress bar on the terminal."""
    con.execute(f"SET threads = {threads}")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")


@contextmanager
def spilling_memory(memory_limit: str, spill: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection (configured) whose overflow spills to `spill`, or to a private folder removed
    at the end: never DuckDB's default, a `.tmp` folder in whatever directory the command was started from."""
    with scratch_folder("spill") as private:
        con = duckdb.connect(":memory:")
        try:
            configure(con, memory_limit=memory_limit)
            con.execute(f"SET temp_directory = '{spill or private}'")
            yield con
        finally:
            con.close()
