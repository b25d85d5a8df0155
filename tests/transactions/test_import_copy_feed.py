"""The CSV that feeds PostgreSQL's COPY while DuckDB is still writing it."""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import duckdb
import pytest

from recoup.transactions.copy_feed import CsvFeed

ROWS = 300_000  # several blocks of the feed


def test_every_row_arrives_in_order_with_null_and_empty_text_kept_apart(tmp_path: Path) -> None:
    con = duckdb.connect()
    query = (f"SELECT range AS n, CASE WHEN range % 3 = 0 THEN NULL WHEN range % 3 = 1 THEN '' ELSE 'a,\"b' END "
             f"AS text FROM range({ROWS})")
    with CsvFeed(con, query, tmp_path / "rows.csv") as feed:
        sent = b"".join(feed.blocks())
    rows = list(csv.reader(io.StringIO(sent.decode())))
    assert len(rows) == ROWS
    assert rows[:3] == [["0", ""], ["1", ""], ["2", 'a,"b']]
    assert sent.startswith(b'0,\n1,""\n2,"a,""b"\n')  # NULL is nothing, an empty text is ""


def test_a_query_duckdb_cannot_run_raises_its_error(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(duckdb.Error, match="no_such_table"), CsvFeed(con, "SELECT * FROM no_such_table",
                                                                      tmp_path / "rows.csv") as feed:
        list(feed.blocks())


def _send_first_block_then_fail(feed: CsvFeed) -> None:
    next(iter(feed.blocks()))
    raise RuntimeError("the server refused")


def test_a_reader_that_gives_up_early_stops_duckdb_and_leaves(tmp_path: Path) -> None:
    con = duckdb.connect()
    big = "SELECT range, repeat('x', 200) FROM range(20000000)"  # minutes of writing, were it not stopped
    with CsvFeed(con, big, tmp_path / "rows.csv") as feed, pytest.raises(RuntimeError, match="the server refused"):
        _send_first_block_then_fail(feed)
    assert con.execute("SELECT 42").fetchall() == [(42,)]  # the connection is free again


class _EndFirstFeed(CsvFeed):
    """Writes as DuckDB's threads can: the last line ends before its first bytes are there (a hole of zeros)."""

    HEAD = b"1,first\n2,second\n3,third"

    def _write(self) -> None:
        with self.path.open("wb") as handle:
            os.pwrite(handle.fileno(), b"\n", len(self.HEAD))
            time.sleep(0.2)  # the reader polls every few ms: it sees the hole
            os.pwrite(handle.fileno(), self.HEAD, 0)


def test_a_part_duckdb_has_not_written_yet_is_waited_for_not_sent_as_zero_bytes(tmp_path: Path) -> None:
    with _EndFirstFeed(duckdb.connect(), "SELECT 1", tmp_path / "rows.csv") as feed:
        sent = b"".join(feed.blocks())
    assert sent == _EndFirstFeed.HEAD + b"\n"  # was: a block of zero bytes PostgreSQL refused, line 1
