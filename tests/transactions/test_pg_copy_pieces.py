"""A big journal file goes into PostgreSQL piece by piece (each piece checked while the one before is being
copied). The pieces are made tiny here so that a file of a few dozen lines takes that path. What a user
sees must not change: the same rows stored, bad lines refused by their line in the file, nothing at all
stored when the import fails, a file never imported twice, no card number stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.support.factories import OBJECTS, World
from tests.support.statements import counted
from tests.transactions.test_import import JOURNAL_HEADER, PAN, count, jline, principal, run, write

from recoup.config import Settings
from recoup.transactions import importer, loading, storing_pieces
from recoup.transactions.importer import ImportRejected, import_file
from recoup.transactions.models import ImportBatch, JournalLine
from recoup.transactions.staging import NotInPieces, pieces

M_A, T_A = OBJECTS["A"]
LINES = 40  # four pieces of the sizes below


@pytest.fixture
def pieced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Tiny pieces; the list grows by one for each import that went in pieces (and counts them)."""
    monkeypatch.setattr(importer, "PIECE_BYTES", 2048)
    monkeypatch.setattr(importer, "FIRST_PIECE_BYTES", 1024)
    went: list[int] = []
    real = storing_pieces.store_journal_pieces

    def spy(*args: Any, **kwargs: Any) -> Any:
        handed: list[object] = []

        def counted(items: Any) -> Any:
            for item in items:
                handed.append(item)
                yield item

        stored = real(args[0], args[1], counted(args[2]), *args[3:], **kwargs)
        went.append(len(handed))
        return stored

    monkeypatch.setattr(importer, "store_journal_pieces", spy)
    return went


def rrn(n: int) -> str:
    return f"{n:012d}"


def day_lines(count_of: int = LINES, bad: dict[int, str] | None = None) -> list[str]:
    """Sales with one refund of the third sale near the end (its original lies in an earlier piece) and
    one refund of a sale that is not there; `bad` replaces the amount of some lines (by file line)."""
    lines = [jline(rrn(n), f"{n}.25", stan=f"{n:06d}", order=f"NO{n}") for n in range(1, count_of - 1)]
    lines.append(jline(rrn(9001), "3.25", txn_type="REFUND", orig=rrn(3), stan="900001"))
    lines.append(jline(rrn(9002), "1.00", txn_type="REFUND", orig=rrn(7777), stan="900002"))
    for line_no, amount in (bad or {}).items():
        fields = lines[line_no - 2].split(",")
        fields[5] = amount
        lines[line_no - 2] = ",".join(fields)
    return lines


def stored(world: World) -> list[tuple[Any, ...]]:
    with world.database.unit_of_work() as session:
        return [tuple(row) for row in session.execute(select(
            JournalLine.rrn, JournalLine.amount_minor, JournalLine.txn_time, JournalLine.card_masked,
            JournalLine.card_last4, JournalLine.card_token, JournalLine.orig_rrn, JournalLine.order_no,
            JournalLine.import_id).order_by(JournalLine.id)).all()]


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """The path in pieces is PostgreSQL's alone (SQLite takes its rows in one pass)."""
    return postgres_url


def test_a_big_journal_stores_every_line_once_in_file_order_without_the_card_number(
        world: World, settings: Settings, tmp_path: Path, pieced: list[int]) -> None:
    report = run(world, settings, "journal", write(tmp_path, "day.csv", JOURNAL_HEADER, day_lines()))
    rows = stored(world)
    assert (report.imported, report.rows_in_file, report.already_present, report.rejected_rows) == (LINES, LINES, 0, 0)
    assert [row[0] for row in rows] == [rrn(n) for n in range(1, LINES - 1)] + [rrn(9001), rrn(9002)]
    assert rows[2][1] == 325
    assert rows[2][2].isoformat().startswith("2026-10-12T02:00:00")
    assert {row[3] for row in rows} == {"622848******5678"}
    assert {row[4] for row in rows} == {"5678"}
    assert all(row[5] and PAN not in row[5] for row in rows)
    assert {row[8] for row in rows} == {report.batch_id}
    # the follow-up saw every piece: only the refund whose original is nowhere is reported
    assert any("1 void/refund/reversal line(s) name an original" in w and rrn(7777) in w for w in report.warnings)
    assert len(pieced) == 1
    assert pieced[0] >= 3


def test_a_bad_line_in_a_later_piece_refuses_the_file_by_its_line_and_leaves_nothing(
        world: World, settings: Settings, tmp_path: Path, pieced: list[int]) -> None:
    path = write(tmp_path, "day.csv", JOURNAL_HEADER, day_lines(bad={33: "12.3.4"}))
    with world.database.unit_of_work() as session:  # a caller that commits whatever happens
        with pytest.raises(ImportRejected) as refused:
            import_file(session, principal(world), "journal", path, settings)
    assert [(r.line, r.column) for r in refused.value.rejects] == [(33, "amount")]
    assert "1 bad line(s), nothing imported" in str(refused.value)
    assert (count(world, JournalLine), count(world, ImportBatch)) == (0, 0)
    assert pieced == []  # given up at the bad piece, before the end


def test_skip_bad_rows_imports_the_good_lines_of_every_piece_and_writes_the_bad_ones(
        world: World, settings: Settings, tmp_path: Path, pieced: list[int]) -> None:
    rejects = tmp_path / "rejects.csv"
    path = write(tmp_path, "day.csv", JOURNAL_HEADER, day_lines(bad={20: "x", 38: "-1"}))
    report = run(world, settings, "journal", path, skip_bad_rows=True, reject_path=rejects)
    assert (report.imported, report.rejected_rows) == (LINES - 2, 2)
    assert [r.line for r in report.rejects] == [20, 38]
    assert rejects.read_text(encoding="utf-8").count("\n") == 3  # the header and the two bad lines
    assert rrn(19) not in {row[0] for row in stored(world)}
    assert len(stored(world)) == LINES - 2


def test_a_file_that_falls_back_to_the_whole_path_is_looked_up_once(
        world: World, settings: Settings, tmp_path: Path, pieced: list[int]) -> None:
    """The "imported before?" question is asked after the first piece; the whole-file path that takes the
    file after a bad line in a later piece keeps that answer instead of asking again."""
    path = write(tmp_path, "day.csv", JOURNAL_HEADER, day_lines(bad={33: "x"}))
    with counted(world.database) as seen:
        report = run(world, settings, "journal", path, skip_bad_rows=True)
    lookups = [s for s in seen if "content_sha256 =" in s and s.lstrip().upper().startswith("SELECT")]
    assert (report.imported, report.rejected_rows, pieced) == (LINES - 1, 1, [])
    assert len(lookups) == 1, lookups


def test_the_same_file_twice_imports_once(world: World, settings: Settings, tmp_path: Path,
                                          pieced: list[int]) -> None:
    path = write(tmp_path, "day.csv", JOURNAL_HEADER, day_lines())
    first = run(world, settings, "journal", path)
    again = run(world, settings, "journal", path)
    assert again.already_imported
    assert again.batch_id == first.batch_id
    assert (count(world, JournalLine), count(world, ImportBatch), len(pieced)) == (LINES, 1, 1)


def test_lines_stored_before_or_repeated_across_pieces_are_stored_once(
        world: World, settings: Settings, tmp_path: Path, pieced: list[int]) -> None:
    run(world, settings, "journal", write(tmp_path, "late.csv", JOURNAL_HEADER, day_lines()[30:35]))
    lines = day_lines()
    lines.append(lines[4].replace(",5.25,", ",99.00,"))  # line 6 again, in the last piece, another amount
    report = run(world, settings, "journal", write(tmp_path, "day.csv", JOURNAL_HEADER, lines))
    assert (report.imported, report.already_present) == (LINES - 5, 6)
    rows = stored(world)
    assert len(rows) == LINES
    assert len({row[0] for row in rows}) == LINES
    assert next(row[1] for row in rows if row[0] == rrn(5)) == 525  # the first of the two
    assert len(pieced) == 1


def test_an_error_while_the_pieces_are_copied_leaves_nothing(
        world: World, settings: Settings, tmp_path: Path, pieced: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    real_put: Callable[[loading.CopyPipe, Path], None] = loading.CopyPipe.put
    handed: list[Path] = []

    def failing_put(pipe: loading.CopyPipe, path: Path) -> None:
        if len(handed) == 3:
            raise OSError("disk full")
        handed.append(path)
        real_put(pipe, path)

    monkeypatch.setattr(loading.CopyPipe, "put", failing_put)
    path = write(tmp_path, "day.csv", JOURNAL_HEADER, day_lines())
    with pytest.raises(OSError, match="disk full"):
        run(world, settings, "journal", path)
    assert (count(world, JournalLine), count(world, ImportBatch)) == (0, 0)
    monkeypatch.setattr(loading.CopyPipe, "put", real_put)
    assert run(world, settings, "journal", path).imported == LINES  # and the file can be imported next


def test_a_quoted_line_break_is_never_cut_and_such_a_file_still_imports(
        world: World, settings: Settings, tmp_path: Path, pieced: list[int]) -> None:
    note = "a long note" + "\nof many lines" * 300  # longer than a piece: some cut would fall inside it
    lines = [f'{line},"{note if n == 30 else "two lines"}"' for n, line in enumerate(day_lines())]
    path = write(tmp_path, "day.csv", JOURNAL_HEADER + ",note", lines)
    with pytest.raises(NotInPieces):
        list(pieces(path, tmp_path / "cut", 2048, 1024))
    report = run(world, settings, "journal", path)
    assert report.imported == LINES
    with world.database.unit_of_work() as session:
        extras = list(session.execute(select(JournalLine.extra).order_by(JournalLine.id)).scalars())
    assert extras[30] == {"note": note}
    assert extras[31] == {"note": "two lines"}
    assert pieced == []


def test_the_pieces_hold_the_file_exactly_each_with_the_header(tmp_path: Path) -> None:
    lines = [jline(rrn(n)) for n in range(1, 200)]
    path = write(tmp_path, "day.csv", JOURNAL_HEADER, lines)
    cut = list(pieces(path, tmp_path / "cut", 2000, 500))
    texts = [piece.read_text(encoding="utf-8") for piece in cut]
    assert all(text.startswith(JOURNAL_HEADER + "\n") for text in texts)
    assert len(cut) > 5
    assert all(piece.name == "day.csv" for piece in cut)
    assert "".join(text[len(JOURNAL_HEADER) + 1:] for text in texts) == "\n".join(lines) + "\n"
    assert len(texts[0]) < len(texts[1])


def test_an_upload_of_another_tenant_is_refused_whole(world: World, settings: Settings, tmp_path: Path,
                                                      pieced: list[int]) -> None:
    lines = day_lines()
    other, other_terminal = OBJECTS["B"]
    lines[35] = jline(rrn(5050), merchant=other, terminal=other_terminal)
    path = write(tmp_path, "day.csv", JOURNAL_HEADER, lines)
    with pytest.raises(ImportRejected) as refused:
        run(world, settings, "journal", path)
    assert [(r.line, r.column) for r in refused.value.rejects] == [(37, "merchant_id")]
    left_out = run(world, settings, "journal", path, tenant_code="A")
    assert (left_out.imported, left_out.left_out) == (LINES - 1, 1)
