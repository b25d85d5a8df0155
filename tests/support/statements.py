"""The SQL statements a block of code runs: for tests that count what a user action costs the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from recoup.db import Database


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    """The SQL statements run on the database while the block runs."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
