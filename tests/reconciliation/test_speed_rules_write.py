"""The cheaper findings writer (issue 15) writes the very bytes of the writer it replaced, and the engine's
cheaper plumbing (rows into DuckDB as one text, findings built by position) changes no value."""

from __future__ import annotations

import csv
import gc
import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.errors import RecoupError
from recoup.money import format_major
from recoup.reconciliation import findings_csv
from recoup.reconciliation.causes import Cause
from recoup.reconciliation.detectors import FINDING_COLUMNS
from recoup.reconciliation.engine import _finding, _insert_rows
from recoup.reconciliation.explain import explain
from recoup.reconciliation.findings import REASON_CODES, Finding, Kind, confidence, finding_id
from recoup.reconciliation.findings_csv import HEADER, _neutralised, ordered_rows, write_findings

MOMENT = datetime(2026, 10, 12, 2, 5, 30)


def _reference_rows(findings: Iterable[Finding]) -> list[list[str]]:
    """The writer before issue 15: one sort by the whole order, every time turned into text."""
    def order(pair: tuple[Finding, str]) -> tuple[object, ...]:
        finding, key = pair
        return (finding.kind.value, finding.rrn or "", finding.order_no or "", key, finding.charged_minor,
                finding.expected_minor, finding.currency, str(finding.event_time), str(finding.other_time),
                finding.note or "")

    keyed = sorted(((finding, finding.key) for finding in findings), key=order)
    seen: dict[str, int] = {}
    rows = []
    for finding, own_key in keyed:
        identity = f"{finding.kind.value}|{own_key}"
        seen[identity] = seen.get(identity, 0) + 1
        key = own_key if seen[identity] == 1 else f"{own_key}#{seen[identity]}"
        rows.append([
            finding_id(finding.kind.value, key), finding.kind.value, finding.cause.value if finding.cause else "",
            finding.merchant_id, finding.terminal_id or "", finding.rrn or "", finding.related_rrn or "",
            finding.order_no or "", format_major(finding.charged_minor, finding.currency),
            format_major(finding.expected_minor, finding.currency),
            format_major(finding.difference_minor, finding.currency), finding.currency,
            f"{confidence(finding):.2f}", explain(finding),
        ])
    return rows


def _reference_bytes(findings: list[Finding], out: Path) -> bytes:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(_neutralised(row) for row in _reference_rows(findings))
    return out.read_bytes()


# Few distinct values, so that findings tie on kind, rrn and order number, share keys (ids "#2", "#3"),
# differ only in times (with and without microseconds, or none), amounts or notes; ids starting like a
# formula, and an id holding the key's separator.
_TIME = st.one_of(st.none(), st.sampled_from([MOMENT, MOMENT + timedelta(microseconds=500),
                                              MOMENT - timedelta(seconds=1)]))
_KINDS = [Kind.OVERCHARGE, Kind.UNDERCHARGE, Kind.DUPLICATE_CHARGE, Kind.UNKNOWN_SETTLEMENT, Kind.MCC_MISMATCH,
          Kind.UNPAID_ORDER, Kind.DEBITED_BUT_FAILED]


def _one_of(*values: str) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    kind = draw(st.sampled_from(_KINDS))
    amounts = kind in (Kind.OVERCHARGE, Kind.UNDERCHARGE)  # their note is the amount refunded
    cause = draw(st.sampled_from(list(Cause))) if amounts else None
    notes = ("0", "300") if amounts else ("FAILED", "5411/5812", "REFUND")
    return Finding(kind=kind, merchant_id=draw(st.sampled_from(["898584058121917", "+898"])),
                   terminal_id=draw(_one_of("61067484")), rrn=draw(_one_of("", "000000000001", "=1+1")),
                   related_rrn=draw(_one_of("a|b")), order_no=draw(_one_of("订单-1", "-5")),
                   charged_minor=draw(st.sampled_from([0, 12800, -300])), expected_minor=draw(st.sampled_from([0, 7])),
                   currency=draw(st.sampled_from(["CNY", "JPY"])), cause=cause, event_time=draw(_TIME),
                   other_time=draw(_TIME), note=draw(_one_of(*notes)),
                   payment_count=draw(st.sampled_from([0, 2])), reason_codes=REASON_CODES.get(kind, ()))


@settings(max_examples=60, deadline=None)
@given(st.lists(findings(), max_size=25))
def test_rows_are_those_of_the_writer_it_replaced(drawn: list[Finding]) -> None:
    assert ordered_rows(drawn) == _reference_rows(drawn)
    assert ordered_rows(drawn[::-1]) == _reference_rows(drawn[::-1])


def test_a_file_of_ties_repeats_and_formulas_is_byte_identical(tmp_path: Path) -> None:
    base = Finding(Kind.UNKNOWN_SETTLEMENT, "+898", "61067484", "000000000001", None, "=SUM(A1)", 100, 0, "CNY",
                   event_time=MOMENT, note="SALE")
    drawn = [base, Finding(**{**base.__dict__, "event_time": None}),
             Finding(**{**base.__dict__, "event_time": MOMENT + timedelta(microseconds=1)}),
             Finding(**{**base.__dict__, "charged_minor": 99}), Finding(**{**base.__dict__, "note": None}),
             Finding(**{**base.__dict__, "kind": Kind.UNSETTLED, "rrn": None}), base]
    out = tmp_path / "findings.csv"
    assert write_findings(drawn[::-1], out) == len(drawn)
    assert out.read_bytes() == _reference_bytes(drawn, tmp_path / "reference.csv")
    ids = [row[0] for row in csv.reader(out.read_text(encoding="utf-8").splitlines()[1:])]
    assert len(set(ids)) == len(ids)  # every repeat of a key got its own id


def test_the_writer_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    drawn = [Finding(Kind.UNPAID_ORDER, "898584058121917", None, None, None, "O-1", 0, 100, "CNY")]
    assert gc.isenabled()
    write_findings(drawn, tmp_path / "a.csv")
    assert gc.isenabled()
    gc.disable()
    try:
        write_findings(drawn, tmp_path / "b.csv")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_rows_reach_duckdb_unchanged() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE pairs (a BIGINT, b BIGINT, c BIGINT)")
    rows = [(1, 2, 3), (-4, 0, 2**62), (7, 7, -(2**63))]
    _insert_rows(con, "pairs", rows)
    _insert_rows(con, "pairs", [])
    assert sorted(con.execute("SELECT * FROM pairs").fetchall()) == sorted(rows)
    con.execute("CREATE TABLE single (a BIGINT)")
    _insert_rows(con, "single", [(5,), (6,)])
    assert sorted(con.execute("SELECT a FROM single").fetchall()) == [(5,), (6,)]


def test_a_detector_row_becomes_the_finding_its_columns_name() -> None:
    values = {"kind": "OVERCHARGE", "merchant_id": "898584058121917", "terminal_id": "61067484",
              "rrn": "000000000001", "related_rrn": "000000000002", "order_no": "O-1", "charged_minor": 128000,
              "expected_minor": 12800, "currency": "CNY", "event_time": MOMENT,
              "other_time": MOMENT + timedelta(minutes=1), "note": "300", "payment_count": 2}
    assert set(values) == set(FINDING_COLUMNS)
    finding = _finding(tuple(values[column] for column in FINDING_COLUMNS))
    assert finding.kind is Kind.OVERCHARGE
    assert finding.cause is Cause.EXTRA_DIGIT
    assert finding.reason_codes == REASON_CODES[Kind.OVERCHARGE]
    assert {column: getattr(finding, column) for column in FINDING_COLUMNS if column != "kind"} == \
        {column: value for column, value in values.items() if column != "kind"}
    unsettled = _finding(("UNSETTLED", "M", None, "R", None, None, 0, 100, "CNY", MOMENT, None, None, 0))
    assert unsettled.cause is None
    assert unsettled.reason_codes == ()


# --- many findings: the rows made in two processes -------------------------------------------------------------

def _many() -> list[Finding]:
    """Findings with ties, repeated keys and formula-like ids, a few of every kind of the drawn ones."""
    base = Finding(Kind.UNKNOWN_SETTLEMENT, "+898", "61067484", "000000000001", None, "=SUM(A1)", 100, 0, "CNY",
                   event_time=MOMENT, note="SALE")
    many = [Finding(**{**base.__dict__, "rrn": f"{n % 37:012d}", "charged_minor": n, "kind": _KINDS[n % len(_KINDS)],
                       "note": "300" if _KINDS[n % len(_KINDS)] in (Kind.OVERCHARGE, Kind.UNDERCHARGE) else "SALE"})
            for n in range(301)]
    return many + many[:40]  # a key seen again: '#2' ids, on both sides of the halves' border


def _shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(findings_csv, "_can_share", lambda: True)  # whatever this machine's cores


def test_rows_made_in_two_processes_are_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _shared(monkeypatch)
    many = _many()
    alone, shared = tmp_path / "alone.csv", tmp_path / "shared.csv"
    assert write_findings(many, alone, share_from=len(many) + 1) == len(many)
    assert write_findings(many[::-1], shared, share_from=1) == len(many)
    assert shared.read_bytes() == alone.read_bytes() == _reference_bytes(many, tmp_path / "reference.csv")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["alone.csv", "reference.csv", "shared.csv"]


def test_the_second_half_is_the_childs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the forked child writes is what follows this process's half (so the split is really made)."""
    _shared(monkeypatch)

    def child_half(path: str, identified: object) -> None:
        Path(path).write_text("the child's half\n", encoding="utf-8")

    monkeypatch.setattr(findings_csv, "_write_half_in_child", child_half)
    many = _many()
    out = tmp_path / "findings.csv"
    write_findings(many, out, share_from=1)
    lines = out.read_text(encoding="utf-8").splitlines()
    expected = _reference_bytes(many, tmp_path / "reference.csv").decode("utf-8").splitlines()
    assert lines == [*expected[:1 + len(many) // 2], "the child's half"]


def test_a_child_that_fails_leaves_the_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _shared(monkeypatch)

    def failing(path: str, identified: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(findings_csv, "_write_half_in_child", failing)
    many = _many()
    out = tmp_path / "findings.csv"
    assert write_findings(many, out, share_from=1) == len(many)
    assert out.read_bytes() == _reference_bytes(many, tmp_path / "reference.csv")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["findings.csv", "reference.csv"]


def test_a_failing_write_here_waits_for_the_child_and_leaves_nothing(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _shared(monkeypatch)
    parent, forked = os.getpid(), []
    real_write, real_fork = findings_csv._write_rows, os.fork

    def disk_full_here(handle: object, identified: object) -> None:
        if os.getpid() == parent:
            raise OSError(28, "No space left on device")
        real_write(handle, identified)  # type: ignore[arg-type]

    def fork() -> int:
        child = real_fork()
        forked.append(child)
        return child

    monkeypatch.setattr(findings_csv, "_write_rows", disk_full_here)
    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(RecoupError, match="No space left on device"):
        write_findings(_many(), tmp_path / "findings.csv", share_from=1)
    assert list(tmp_path.iterdir()) == []
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):  # already waited for: no process left behind
        os.waitpid(forked[0], os.WNOHANG)
