"""The journal's big imports reach PostgreSQL in its binary COPY format, encoded by DuckDB (copy_binary). Every
value must come back exactly as DuckDB had it: whole numbers of each width (negative ones too), booleans,
times before and after 2000 to the microsecond, dates, any text (Chinese, tabs, line breaks, backslashes,
empty) and JSON, and NULL as NULL. A wrong byte order, length or epoch would store another number, time or
date, or make the server refuse the COPY."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from recoup.db import Database
from recoup.transactions.copy_binary import DUCKDB_OPTIONS, binary_file, column_types, hex_blocks, hex_row_select
from recoup.transactions.fields_sql import quote
from recoup.transactions.loading import BINARY_FILES, CopyPipe

COLUMNS = ("big", "mid", "small", "flag", "moment", "day", "t", "doc")
TEXTS = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"), max_size=12)
ROW = st.tuples(
    st.none() | st.integers(-(2**63), 2**63 - 1), st.none() | st.integers(-(2**31), 2**31 - 1),
    st.none() | st.integers(-(2**15), 2**15 - 1), st.none() | st.booleans(),
    st.none() | st.datetimes(datetime(1900, 1, 1), datetime(2199, 12, 31)),
    st.none() | st.dates(date(1900, 1, 1), date(2199, 12, 31)), st.none() | TEXTS,
    st.none() | st.dictionaries(TEXTS, TEXTS | st.integers(-1000, 1000), max_size=3),
)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    with database.unit_of_work() as session:
        session.execute(text("CREATE TABLE scratch (n integer PRIMARY KEY, big bigint, mid integer, small smallint, "
                             "flag boolean, moment timestamptz, day date, t varchar, doc json)"))
    yield database
    database.dispose()


def _store(database: Database, rows: list[tuple[Any, ...]], folder: Path, pieces: int = 2) -> list[tuple[Any, ...]]:
    """`rows` through DuckDB's encoder and a binary CopyPipe (in `pieces` files) into `scratch`; what is stored."""
    con = duckdb.connect()
    con.execute("CREATE TABLE v (n INTEGER, big BIGINT, mid INTEGER, small SMALLINT, flag BOOLEAN, moment TIMESTAMP, "
                "day DATE, t VARCHAR, doc VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [[n, *row[:7], None if row[7] is None else json.dumps(row[7], ensure_ascii=False)]
                     for n, row in enumerate(rows)])
    names = ("n", *COLUMNS)
    with database.unit_of_work() as session:
        raw: Any = session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            types = column_types(cursor, "scratch", names)
        with CopyPipe(session, "scratch", names, BINARY_FILES) as pipe:
            for piece in range(pieces):
                target = folder / f"{piece}.hex"
                select = f"SELECT {', '.join(names)} FROM v WHERE n % {pieces} = {piece}"
                con.execute(f"COPY ({hex_row_select(select, types)}) TO {quote(str(target))} ({DUCKDB_OPTIONS})")
                pipe.put(binary_file(target))
            assert pipe.finish() == len(rows)
        stored = [tuple(row) for row in session.execute(text(f"SELECT {', '.join(COLUMNS)} FROM scratch ORDER BY n"))]
        session.execute(text("DELETE FROM scratch"))
    con.close()
    return stored


def _expected(row: tuple[Any, ...]) -> tuple[Any, ...]:
    at = row[4]
    return (*row[:4], None if at is None else at.replace(tzinfo=UTC), *row[5:])


def test_edge_values_of_every_type_come_back_exactly(pg: Database, tmp_path: Path) -> None:
    rows: list[tuple[Any, ...]] = [
        (-(2**63), -(2**31), -(2**15), False, datetime(1999, 12, 31, 23, 59, 59, 999999), date(1999, 12, 31),
         "", {}),
        (2**63 - 1, 2**31 - 1, 2**15 - 1, True, datetime(2000, 1, 1), date(2000, 1, 1), "收银员 王\t\\N\nx",
         {"note": "a \"quoted\"\ttab", "n": -5}),
        (-1, -1, -1, True, datetime(2026, 9, 1, 10, 0, 0, 123456), date(2026, 9, 1), "\\", {"中": "文"}),
        (None, None, None, None, None, None, None, None),
    ]
    assert _store(pg, rows, tmp_path) == [_expected(row) for row in rows]


@settings(max_examples=30, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ROW, min_size=1, max_size=25))
def test_any_row_comes_back_exactly(pg: Database, tmp_path: Path, rows: list[tuple[Any, ...]]) -> None:
    assert _store(pg, rows, tmp_path) == [_expected(row) for row in rows]


def test_rows_stored_before_go_the_staged_way_in_the_binary_format(pg: Database, tmp_path: Path) -> None:
    with pg.unit_of_work() as session:
        session.execute(text("INSERT INTO scratch (n, t) VALUES (1, 'there before')"))
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT * FROM (VALUES (0, 'row 0'), (1, 'row 1'), (2, 'row 2')) v(n, t)")
    with pg.unit_of_work() as session:
        with CopyPipe(session, "scratch", ("n", "t"), BINARY_FILES) as pipe:
            target = tmp_path / "rows.hex"
            con.execute(f"COPY ({hex_row_select('SELECT n, t FROM v', ['int4', 'varchar'])}) TO "
                        f"{quote(str(target))} ({DUCKDB_OPTIONS})")
            pipe.put(binary_file(target))
            assert pipe.finish() == 2  # row 1 was there: the COPY was refused and the rows moved one by one
        stored = session.execute(text("SELECT n, t FROM scratch ORDER BY n")).all()
    assert [tuple(row) for row in stored] == [(0, "row 0"), (1, "there before"), (2, "row 2")]


def test_hex_lines_turn_into_bytes_across_block_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recoup.transactions import copy_binary

    monkeypatch.setattr(copy_binary, "BLOCK", 7)  # a block end falls inside a line, and inside a byte's digits
    path = tmp_path / "rows.hex"
    path.write_text("00010203\nFFFE\n0A0B0C0D0E\n", encoding="ascii")
    assert b"".join(hex_blocks(path)) == bytes.fromhex("00010203FFFE0A0B0C0D0E")
    stored = binary_file(path)  # what waits for the COPY: the bytes, half the size; the hex file is gone
    assert (stored.read_bytes(), path.exists()) == (bytes.fromhex("00010203FFFE0A0B0C0D0E"), False)


def test_a_column_type_without_an_encoding_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="type numeric"):
        hex_row_select("SELECT 1", ["numeric"])
