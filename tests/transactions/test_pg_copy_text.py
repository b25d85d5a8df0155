"""Imported rows reach PostgreSQL in its COPY text format (tab between values, \\N for NULL, backslash
escapes), written by DuckDB. A value holding a tab, a backslash, a line break, a quote, Chinese text, the
two characters \\N, or nothing at all must be stored and read back exactly as the file had it; NULL must
stay NULL and an empty text stay empty. If the escaping broke, a tab would split a value in two, a
backslash would vanish, or an empty text would turn into NULL (or the COPY would refuse the file)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from tests.support.factories import World
from tests.transactions.test_import import JOURNAL_HEADER, jline, principal

from recoup.config import Settings
from recoup.db import Database
from recoup.transactions import importer
from recoup.transactions.copy_feed import TEXT, CsvFeed, text_select
from recoup.transactions.importer import ImportOptions, import_file
from recoup.transactions.loading import Rows, bulk_insert
from recoup.transactions.models import JournalLine

# In a CSV file (the reader's own rule): a lone carriage return inside a quoted value is not a line of CSV.
IN_FILE = ["a\tb", "back\\slash\\", "two\nlines", 'say "hi"', "收银员 王", "\\N", "\\", "", "end\\n", "\\t literally",
           ",;|"]
TRICKY = ["a\tb", "back\\slash\\", "two\nlines", "cr\rhere", 'say "hi"', "收银员 王", "\\N", "\\", "", "end\\n",
          "\\t literally", ",;|"]


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    with database.unit_of_work() as session:
        session.execute(text("CREATE TABLE scratch (n integer PRIMARY KEY, t text, flag boolean)"))
    yield database
    database.dispose()


def _store(database: Database, values: Sequence[str | None]) -> tuple[int, list[tuple[Any, ...]]]:
    """`values` through DuckDB and the import's COPY into `scratch`; (rows new, every stored row)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE v (n INTEGER, t VARCHAR, flag BOOLEAN)")
    con.executemany("INSERT INTO v VALUES (?, ?, ?)", [[n, value, n % 2 == 0] for n, value in enumerate(values)])
    with database.unit_of_work() as session:
        new = bulk_insert(session, con, Rows("SELECT n, t, flag FROM v", "scratch", ("n", "t", "flag"), len(values)))
        stored = [tuple(row) for row in session.execute(text("SELECT n, t, flag FROM scratch ORDER BY n")).all()]
    con.close()
    return new, stored


def test_every_awkward_text_null_and_empty_text_come_back_exactly(pg: Database) -> None:
    values: list[str | None] = [*TRICKY, None]
    new, stored = _store(pg, values)
    assert new == len(values)
    assert stored == [(n, value, n % 2 == 0) for n, value in enumerate(values)]
    assert stored[TRICKY.index("")][1] == ""  # empty text is not NULL
    assert stored[-1][1] is None  # and NULL is not empty text


def test_rows_stored_before_go_the_staged_way_with_the_same_escaping(pg: Database) -> None:
    _store(pg, TRICKY[:3])
    new, stored = _store(pg, [*TRICKY, None])  # the first three are there: COPY refused, staged INSERT
    assert new == len(TRICKY) + 1 - 3
    assert [row[1] for row in stored] == [*TRICKY, None]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.none() | st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"),
                                    max_size=12), min_size=1, max_size=30))
def test_any_text_comes_back_exactly(pg: Database, values: list[str | None]) -> None:
    with pg.unit_of_work() as session:
        session.execute(text("DELETE FROM scratch"))
    _, stored = _store(pg, values)
    assert [row[1] for row in stored] == values


def test_the_text_feed_escapes_what_the_text_format_escapes(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT * FROM (VALUES (1, 'a\tb\\c', NULL), (2, '', 'x\ny\rz')) v(n, s, u)")
    with CsvFeed(con, text_select(con, "SELECT n, s, u FROM v ORDER BY n"), tmp_path / "rows.txt", TEXT) as feed:
        sent = b"".join(feed.blocks())
    assert sent == b"1\ta\\tb\\\\c\t\\N\n2\t\tx\\ny\\rz\n"


def _cashier(n: int) -> str:
    """The awkward text as a cashier code (a code holds no space and is not empty)."""
    return IN_FILE[n % len(IN_FILE)].replace(" ", "_") or "-"


def _journal_file(tmp_path: Path, count_of: int) -> Path:
    """Journal lines whose cashier and an extra `note` column hold the awkward texts (quoted where CSV
    needs it), one line without a card (card_token NULL, card_masked empty)."""
    path = tmp_path / "awkward.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow([*JOURNAL_HEADER.split(","), "note"])
        for n in range(count_of):
            fields = jline(f"{n + 1:012d}", card="" if n == 1 else "6228480012345678", order=f"NO{n}").split(",")
            fields[12] = _cashier(n)
            out.writerow([*fields, IN_FILE[n % len(IN_FILE)]])
    return path


@pytest.mark.parametrize("in_pieces", [False, True], ids=["whole", "pieces"])
def test_an_imported_journal_keeps_every_awkward_value_exactly(
        world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_pieces: bool) -> None:
    if in_pieces:
        if world.database.engine.dialect.name != "postgresql":
            pytest.skip("the path in pieces is PostgreSQL's alone")
        monkeypatch.setattr(importer, "PIECE_BYTES", 1024)
        monkeypatch.setattr(importer, "FIRST_PIECE_BYTES", 512)
    count_of = 3 * len(IN_FILE)
    path = _journal_file(tmp_path, count_of)
    assert not in_pieces or path.stat().st_size > 4 * importer.PIECE_BYTES  # several pieces
    with world.database.unit_of_work() as session:
        report = import_file(session, principal(world), "journal", path, settings, ImportOptions())
    assert (report.imported, report.rejected_rows) == (count_of, 0)
    with world.database.unit_of_work() as session:
        rows = session.execute(select(JournalLine.cashier_id, JournalLine.extra, JournalLine.card_masked,
                                      JournalLine.card_token).order_by(JournalLine.id)).all()
    # an empty field is a missing value (the input layer's rule, on either engine): null in the extra columns
    assert [(row[1] or {})["note"] for row in rows] == [IN_FILE[n % len(IN_FILE)] or None for n in range(count_of)]
    assert [row[0] for row in rows] == [_cashier(n) for n in range(count_of)]
    assert (rows[1][2], rows[1][3]) == ("", None)
    assert rows[0][3] is not None
    assert "6228480012345678" not in rows[0][3]
