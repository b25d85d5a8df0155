"""The SQL translation (one DuckDB projection) writes exactly what the Python pass writes, or hands the file
back to the Python pass, which names the line and column of a bad value. Pure: no database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.ingest import translate as translating
from recoup.ingest.fast_translate import scan, translate_sql
from recoup.ingest.profile import parse_profile
from recoup.ingest.shipped import shipped_profiles

STATEMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
PROFILES = shipped_profiles()
WALLET_NO_SUMMARY = re.sub(r"\[summary\][^\[]*", "", PROFILES["wallet-bill"].source)


def utf8(path: Path, tmp_path: Path, *, drop: int = 0) -> Path:
    """The sample as UTF-8 (the SQL path reads UTF-8), without its last `drop` lines."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    lines = text.splitlines(keepends=True)
    target = tmp_path / f"utf8-{path.name}"
    target.write_text("".join(lines[:len(lines) - drop]), encoding="utf-8", newline="")
    return target


def both(path: Path, profile_name: str, tmp_path: Path) -> tuple[str | None, str, list[int], list[int]]:
    """(the SQL path's native text or None, the Python pass's, their line maps)."""
    profile = PROFILES[profile_name]
    fast = translate_sql(path, profile, tmp_path / "sql.csv", path.name)
    slow = translating.translate(path, profile, tmp_path / "python.csv", skip_bad=True)  # skip_bad: Python
    fast_text = (tmp_path / "sql.csv").read_bytes().decode() if fast else None  # line ends too
    return (fast_text, (tmp_path / "python.csv").read_bytes().decode(),
            list(fast.line_map) if fast else [], list(slow.line_map))


@pytest.mark.parametrize(("sample", "profile"), [("check-file-fen.txt", "check-file-fen"),
                                                 ("pos-journal.csv", "pos-journal"),
                                                 ("allinpay-statement.csv", "allinpay-statement")])
def test_the_sql_path_writes_what_the_python_pass_writes(sample: str, profile: str, tmp_path: Path) -> None:
    fast, slow, fast_lines, slow_lines = both(utf8(STATEMENTS / sample, tmp_path), profile, tmp_path)
    assert fast == slow
    assert fast_lines == slow_lines


def test_a_backtick_bill_without_summary_lines_is_translated_in_sql(tmp_path: Path) -> None:
    PROFILES["wallet-nosum"] = parse_profile(WALLET_NO_SUMMARY.replace('"wallet-bill"', '"wallet-nosum"'))
    try:
        fast, slow, fast_lines, slow_lines = both(utf8(STATEMENTS / "wallet-bill.csv", tmp_path, drop=2),
                                                  "wallet-nosum", tmp_path)
    finally:
        del PROFILES["wallet-nosum"]
    assert fast is not None
    assert fast == slow
    assert "2026-10-12T08:12:37" in fast
    assert fast_lines == slow_lines == list(range(2, 14))


def test_files_the_sql_path_cannot_read_exactly_go_to_the_python_pass(tmp_path: Path) -> None:
    profile = PROFILES["check-file-fen"]
    assert translate_sql(STATEMENTS / "allinpay-statement.csv", PROFILES["allinpay-statement"],
                         tmp_path / "x.csv", "a.csv") is None  # GB18030
    assert translate_sql(STATEMENTS / "wallet-bill.csv", PROFILES["wallet-bill"], tmp_path / "x.csv", "w") is None
    lines = (STATEMENTS / "check-file-fen.txt").read_text(encoding="utf-8").splitlines()
    for odd in ([*lines[:4], "", *lines[4:]],  # a blank line: the line numbers would shift
                [lines[0], lines[1].replace("|S01|", "|S01\u3000|"), *lines[2:]],  # str.strip() white space
                [lines[0], lines[1].replace("|6900|", "|69.00|"), *lines[2:]]):  # a bad value
        path = tmp_path / "odd.txt"
        path.write_text("\n".join(odd) + "\n", encoding="utf-8")
        assert translate_sql(path, profile, tmp_path / "x.csv", "odd.txt") is None


def test_a_bad_value_is_still_named_by_its_original_line_and_column(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translating, "SQL_FROM_BYTES", 0)  # the SQL path first, for this small file
    lines = (STATEMENTS / "check-file-fen.txt").read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6].replace("|S01|", "|S9|")
    path = tmp_path / "check.txt"
    path.write_text("\n".join([*lines[:3], "", *lines[3:]]) + "\n", encoding="utf-8")
    with pytest.raises(translating.TranslationRejected) as refused:
        translating.translate(path, PROFILES["check-file-fen"], tmp_path / "native.csv")
    assert [(r.line, r.column) for r in refused.value.rejects] == [(8, "交易代码")]


def test_scan_counts_lines_and_finds_the_white_space_sql_treats_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_bytes(b"a|b|\n1|x y|\n2|z|")
    assert scan(path, "|", 1).lines == 3
    path.write_bytes(b"a| b|\n1|x|\n")
    assert not scan(path, "|", 1).spaced  # the header's spaces do not count
    path.write_bytes(b"a|b|\n1| x|\n")
    assert scan(path, "|", 1).spaced
    path.write_bytes(b"a|b|\r\n1|x|\r\n")
    assert not scan(path, "|", 1).odd_space  # Windows line ends are no white space of a cell
    path.write_bytes("a|b|\n1|x\u00a0|\n".encode())
    assert scan(path, "|", 1).odd_space


AMOUNTS = st.integers(min_value=0, max_value=10**12)
KINDS = st.sampled_from(["S01", "S02", "S03", "S04"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(KINDS, AMOUNTS, AMOUNTS), min_size=1, max_size=8))
def test_fen_amounts_and_value_maps_agree_with_the_python_pass(tmp_path: Path,
                                                                rows: list[tuple[str, int, int]]) -> None:
    lines = (STATEMENTS / "check-file-fen.txt").read_text(encoding="utf-8").splitlines()
    body = [lines[0]]
    for index, (kind, amount, fee) in enumerate(rows):
        cells = lines[1 + index % 10].split("|")
        cells[6], cells[9], cells[10], cells[11] = kind, str(amount), str(fee), ""
        body.append("|".join(cells))
    path = tmp_path / "gen.txt"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    fast, slow, fast_lines, slow_lines = both(path, "check-file-fen", tmp_path)
    assert fast == slow
    assert fast_lines == slow_lines
