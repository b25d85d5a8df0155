"""The findings file of SPEC section 4 "Output": fixed header, fixed order, stable identities.

The same inputs give the same bytes whatever the row order of the inputs. The file is written
next to its destination and renamed into place only once complete. The free-text columns (ids and
order numbers come from the input files, the explanation quotes them) go through `output.safe_cell`,
so a formula-like value is written as text; the amount, confidence and code columns never change.
"""

from __future__ import annotations

import csv
import gc
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from recoup.errors import RecoupError
from recoup.money import format_major
from recoup.output import FORMULA_START, safe_cell
from recoup.reconciliation.explain import explain
from recoup.reconciliation.findings import Finding, confidence, finding_id

HEADER = ("finding_id", "kind", "cause", "merchant_id", "terminal_id", "rrn", "related_rrn", "order_no",
          "charged_amount", "expected_amount", "difference", "currency", "confidence", "explanation")
FREE_TEXT = frozenset(HEADER.index(name) for name in (
    "merchant_id", "terminal_id", "rrn", "related_rrn", "order_no", "explanation"))


def _order_with_key(finding: Finding, key: str) -> tuple[object, ...]:
    return (finding.kind.value, finding.rrn or "", finding.order_no or "", key, finding.charged_minor,
            finding.expected_minor, finding.currency, str(finding.event_time), str(finding.other_time),
            finding.note or "")


def _full_order(finding: Finding) -> tuple[object, ...]:
    """Sort by kind, rrn, order_no (SPEC), then by everything else, so ties never fall to input order."""
    return _order_with_key(finding, finding.key)


def _head(pair: tuple[Finding, str]) -> tuple[str, str, str, str]:
    """The first four parts of _order_with_key (a Kind is a str: it sorts as its value)."""
    finding, key = pair
    return finding.kind, finding.rrn or "", finding.order_no or "", key


def _sorted_with_keys(findings: Iterable[Finding]) -> list[tuple[Finding, str]]:
    """The findings with their keys, in the order of _order_with_key. Its first four parts tell nearly
    every two findings apart, and they are cheap (no time turned into text): sort by them alone, then
    sort the rare runs they leave tied by the whole order (the same answer as one sort by the whole)."""
    keyed = [(finding, finding.key) for finding in findings]  # the key joins five texts: once each
    keyed.sort(key=_head)
    start = 0
    for end in range(1, len(keyed) + 1):
        if end < len(keyed) and keyed[end][1] == keyed[end - 1][1] and _head(keyed[end]) == _head(keyed[end - 1]):
            continue
        if end - start > 1:
            keyed[start:end] = sorted(keyed[start:end], key=lambda pair: _order_with_key(*pair))
        start = end
    return keyed


def _row(finding: Finding, kind: str, key: str) -> list[str]:
    currency, charged, expected = finding.currency, finding.charged_minor, finding.expected_minor
    return [
        finding_id(kind, key), kind, finding.cause.value if finding.cause else "",
        finding.merchant_id, finding.terminal_id or "", finding.rrn or "", finding.related_rrn or "",
        finding.order_no or "", format_major(charged, currency), format_major(expected, currency),
        format_major(charged - expected, currency), currency, f"{confidence(finding):.2f}", explain(finding),
    ]


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Build many small acyclic objects without the cycle collector walking every finding again and
    again (it would run thousands of times over a long list of findings: a fifth of the write)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _identified(findings: Iterable[Finding]) -> list[tuple[Finding, str, str]]:
    """(finding, kind, key) in output order; a key seen twice gets '#2', '#3'... (it names the finding's id)."""
    seen: dict[str, int] = {}
    identified = []
    for finding, own_key in _sorted_with_keys(findings):
        kind = finding.kind.value
        identity = f"{kind}|{own_key}"
        repeats = seen[identity] = seen.get(identity, 0) + 1
        identified.append((finding, kind, own_key if repeats == 1 else f"{own_key}#{repeats}"))
    return identified


def ordered_rows(findings: Iterable[Finding]) -> list[list[str]]:
    """CSV rows (without header) in output order."""
    with _without_cycle_collection():
        return [_row(*item) for item in _identified(findings)]


def _neutralised(row: list[str]) -> list[str]:
    """safe_cell on the free-text cells that may need it (only a cell starting like a formula can)."""
    if not any(row[position].startswith(FORMULA_START) for position in FREE_TEXT):
        return row
    return [str(safe_cell(value)) if position in FREE_TEXT else value for position, value in enumerate(row)]


def _write_rows(handle: IO[str], identified: Sequence[tuple[Finding, str, str]]) -> None:
    csv.writer(handle, lineterminator="\n").writerows(_neutralised(_row(*item)) for item in identified)


# From this many findings the rows are made in two processes: turning a finding into its row (its id, amounts
# and explanation) is Python's work, a few hundredths of a millisecond each, and 3.8 of the 48.7 seconds of a
# 10-million-line reconciliation (119,499 findings) ran on one core while the other idled (bench/reconcile.py).
SHARE_FROM = 20_000


def _can_share() -> bool:
    return hasattr(os, "fork") and len(os.sched_getaffinity(0)) >= 2


def _write_half_in_child(path: str, identified: Sequence[tuple[Finding, str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as part:
        _write_rows(part, identified)


def _write_shared(handle: IO[str], identified: Sequence[tuple[Finding, str, str]], directory: Path) -> None:
    """The second half of the rows written by a forked child into a file of its own while this process writes
    the first half, then copied after it. The child touches nothing but its file (not the engine, not `handle`,
    whose buffer it leaves unflushed: it leaves by os._exit); if it fails, this process writes its half too."""
    half = len(identified) // 2
    descriptor, path = tempfile.mkstemp(prefix=".findings-half.", suffix=".tmp", dir=directory)
    os.close(descriptor)
    try:
        child = os.fork()
        if child == 0:  # pragma: no cover (the child process: coverage does not follow it)
            status = 1
            try:
                _write_half_in_child(path, identified[half:])
                status = 0
            finally:
                os._exit(status)
        try:
            _write_rows(handle, identified[:half])
        finally:  # the child is waited for whatever happens here: no process is left behind
            _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            with open(path, encoding="utf-8", newline="") as part:
                shutil.copyfileobj(part, handle, 1 << 20)
        else:
            _write_rows(handle, identified[half:])
    finally:
        Path(path).unlink(missing_ok=True)


def write_findings(findings: Iterable[Finding], out: Path, *, share_from: int = SHARE_FROM) -> int:
    """Write the findings CSV atomically; returns the number of findings written. From `share_from` findings
    on (and with two cores), the rows are made in two processes (SHARE_FROM): the same bytes."""
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        raise RecoupError(f"cannot write {out}: no directory {directory}")
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=directory,
                                         prefix=f".{out.name}.", suffix=".tmp", delete=False)
    try:
        with handle, _without_cycle_collection():
            identified = _identified(findings)
            csv.writer(handle, lineterminator="\n").writerow(HEADER)
            if len(identified) >= share_from and _can_share():
                handle.flush()  # nothing of this process's buffer may reach the child's copy of it
                _write_shared(handle, identified, directory)
            else:
                _write_rows(handle, identified)
        os.replace(handle.name, out)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise RecoupError(f"cannot write {out}: {error.strerror}") from None
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return len(identified)
