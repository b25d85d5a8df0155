"""recoup.db.LeanCursor: PostgreSQL cursors whose description makes its columns on first use. Whatever reads
the description sees what psycopg's own cursor shows; SQLAlchemy's results, by position and by name, are the
same whether the statement is new to it (it reads the names) or compiled before (it does not)."""

from __future__ import annotations

import psycopg
from sqlalchemy import text

from recoup.db import Database, LeanCursor

_QUERY = "SELECT 7::bigint AS id, 'x'::varchar(12) AS code, 2.5::numeric(9, 2) AS rate, now() AS at"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _plain(cursor: psycopg.Cursor[object]) -> list[tuple[object, ...]]:
    return [tuple(column) for column in cursor.description or []]


def test_the_description_lists_what_psycopg_lists(postgres_url: str) -> None:
    url = _libpq(postgres_url)
    with psycopg.connect(url) as plain, psycopg.connect(url, cursor_factory=LeanCursor) as lean:
        expected, cursor = _plain(plain.execute(_QUERY)), lean.execute(_QUERY)
        assert isinstance(cursor, LeanCursor)
        described = cursor.description
        assert described is not None
        assert len(described) == len(expected) == 4
        assert [tuple(column) for column in described] == expected
        assert [column.name for column in described] == ["id", "code", "rate", "at"]
        assert described[1].name == "code"
        assert [column.name for column in described[1:3]] == ["code", "rate"]
        assert described[-1][0] == "at"
        assert cursor.fetchall()[0][:2] == (7, "x")


def test_a_description_keeps_its_own_result_after_the_cursor_moves_on(postgres_url: str) -> None:
    with psycopg.connect(_libpq(postgres_url), cursor_factory=LeanCursor) as lean:
        cursor = lean.cursor()
        first = cursor.execute(_QUERY).description
        cursor.execute("SELECT 1 AS other")
        assert first is not None
        assert [column.name for column in first] == ["id", "code", "rate", "at"]


def test_no_description_without_rows_as_psycopg(postgres_url: str) -> None:
    with psycopg.connect(_libpq(postgres_url), cursor_factory=LeanCursor) as lean:
        assert lean.execute("CREATE TEMPORARY TABLE scratch (n int)").description is None
        assert lean.execute("INSERT INTO scratch VALUES (1)").description is None
        empty = lean.execute("SELECT n FROM scratch WHERE n > 5").description
        assert empty is not None
        assert [column.name for column in empty] == ["n"]
        assert len(lean.execute("SELECT").description or ()) == 0


def test_results_by_name_and_position_as_before(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        for _ in range(3):  # the first time new to SQLAlchemy (names read), then from its compiled cache
            with database.unit_of_work(reads_first=True) as session:
                raw = session.connection().connection.dbapi_connection
                assert isinstance(raw, psycopg.Connection)
                assert raw.cursor_factory is LeanCursor
                row = session.execute(text(_QUERY)).one()
                assert (row.id, row.code, str(row.rate)) == (7, "x", "2.50")
                assert row._mapping["code"] == "x"
                assert list(row._fields) == ["id", "code", "rate", "at"]
                assert session.execute(text("SELECT 1 AS one, 2 AS two")).mappings().one() == {"one": 1, "two": 2}
    finally:
        database.dispose()
