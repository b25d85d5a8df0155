"""A statement file read through a profile, written out in the native SPEC layout of its kind.

Why translate rather than teach the loader every habit: the native loader (transactions/csv_input.py)
already validates, tokens cards, applies zones and stores in bulk, and its speed is measured. A profile
only has to say where each SPEC field is and how it is spelled, so one streaming pass turns the
statement into native text (dates to ISO, fen to yuan, signs to types, value maps, prefixes and
summary lines gone) and the native path does the rest. The pass keeps a line map (native line ->
original line) and the column each field came from, so every reject — the pass's own and the
loader's — names the line and column of the original file. A text file and an XLSX sheet go
through the same pass. Any bad value refuses the file: nothing is written for import — unless
`skip_bad`: then bad lines are left out and listed (Translation.rejects) by original line and column.

A big UTF-8 text file read for an import or a reconciliation is first offered to the SQL path
(fast_translate.py: one DuckDB projection, the same rules); it writes the very same native text, or
declines (any value it cannot turn into native text, any line it might number otherwise) and this
Python pass runs, naming every bad value by its line and column.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from recoup.errors import InvalidInput
from recoup.ingest.columns import Resolved, clean_cells, find_header, resolve
from recoup.ingest.fast_translate import translate_sql
from recoup.ingest.profile import Profile
from recoup.ingest.reading import SourceInfo, open_rows
from recoup.ingest.summary import check_summary
from recoup.ingest.values import REFUND_LIKE, AmountShape, BadValue, amount_text, card_text, mapped_value, minor_units
from recoup.transactions.enums import STATUS_ALIASES, TXN_TYPE_ALIASES
from recoup.transactions.rejects import Reject
from recoup.transactions.schema import KINDS, MINOR_COLUMN, FieldKind

MAX_REJECTS = 1000
PREVIEW_ROWS = 10
SQL_FROM_BYTES = 1 << 20  # smaller files: the Python pass is quicker than starting DuckDB
Convert = Callable[[list[str], int, str], str]  # cells, line, the row's txn_type -> native text


class TranslationRejected(InvalidInput):
    """Values the profile cannot map: listed by original line and column; nothing imported."""

    def __init__(self, file_name: str, profile: str, rejects: list[Reject], count: int) -> None:
        shown = "\n".join(f"  {reject}" for reject in rejects[:10])
        more = f"\n  ... and more ({count} in all)" if count > 10 else ""
        super().__init__(f"{file_name}: {count} bad value(s) read through profile {profile}; nothing imported:"
                         f"\n{shown}{more}",
                         detail=[{"line": r.line, "column": r.column, "reason": r.reason} for r in rejects])
        self.rejects = rejects
        self.count = count


@dataclass
class Translation:
    profile: Profile
    info: SourceInfo
    header_line: int
    targets: list[str]  # the native columns written
    labels: dict[str, str]  # native column -> the original column(s) it came from
    line_map: array[int] = field(default_factory=lambda: array("l"))
    preview: list[dict[str, str]] = field(default_factory=list)
    rows: int = 0
    summary_lines: int = 0
    rejects: list[Reject] = field(default_factory=list)  # bad lines skipped (skip_bad), by original line
    rejected_lines: int = 0

    def original_line(self, native_line: int) -> int:
        """The original line of a line of the native file (1 is the header)."""
        index = native_line - 2
        if 0 <= index < len(self.line_map):
            return int(self.line_map[index])
        return self.header_line

    def remap(self, reject: Reject) -> Reject:
        column = self.labels.get(reject.column, reject.column)
        return Reject(self.original_line(reject.line), column, reject.reason)


class _Plain:
    """A column copied as it is (the pass reads it by index, without a call)."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, cells: list[str], line: int, kind: str) -> str:  # noqa: ARG002
        return cells[self.index] if self.index < len(cells) else ""


def _plain(index: int) -> Convert:
    return _Plain(index)


def _time(resolved: Resolved) -> Convert:
    time_format = resolved.mapping.time_format
    indexes = resolved.indexes
    if time_format is None:
        return _plain(indexes[0])

    first = indexes[0]
    two = len(indexes) > 1

    def convert(cells: list[str], line: int, kind: str) -> str:  # noqa: ARG001
        text = f"{cells[first]} {cells[indexes[1]]}" if two else cells[first]  # rows are padded to the header
        if not text.strip():
            return ""
        iso = time_format.iso(text)
        if iso is None:
            raise BadValue(f"{text!r} does not have the format {time_format.text}")
        return iso
    return convert


def _amount(resolved: Resolved, profile: Profile, typed: bool) -> Convert:
    index, shape = resolved.indexes[0], AmountShape()
    refunds_negative = profile.sign == "negative_refunds"

    def convert(cells: list[str], line: int, kind: str) -> str:
        text = cells[index] if index < len(cells) else ""
        if not text:
            return ""
        if not typed and profile.amount_unit == "yuan":
            shape.check(text, line)
        return amount_text(text, profile.amount_unit, negative_ok=refunds_negative and kind in REFUND_LIKE)
    return convert


def _mapped(resolved: Resolved, aliases: dict[str, str]) -> Convert:
    index, values, what = resolved.indexes[0], resolved.mapping.values, resolved.label
    if not values:
        return _plain(index)
    return lambda cells, line, kind: mapped_value(  # noqa: ARG005
        cells[index] if index < len(cells) else "", values, aliases, what)


def _converter(target: str, resolved: Resolved, profile: Profile, typed: bool) -> Convert:
    if resolved.mapping.value is not None and not resolved.indexes:
        constant = resolved.mapping.value
        return lambda cells, line, kind: constant  # noqa: ARG005
    spec = KINDS[profile.kind].field(target)
    if spec.kind in (FieldKind.TIME, FieldKind.DATE):
        return _time(resolved)
    if target in MINOR_COLUMN:
        return _amount(resolved, profile, typed)
    if spec.kind is FieldKind.TXN_TYPE:
        return _mapped(resolved, TXN_TYPE_ALIASES)
    if spec.kind is FieldKind.STATUS:
        return _mapped(resolved, STATUS_ALIASES)
    index = resolved.indexes[0]
    if spec.kind is FieldKind.CARD:
        return lambda cells, line, kind: card_text(cells[index]) if index < len(cells) else ""  # noqa: ARG005
    return _plain(index)


@dataclass
class _Pass:
    """One translation under way."""

    translation: Translation
    converters: list[tuple[str, Convert]]
    type_index: int | None  # position of txn_type among the converters (computed first)
    amount_index: int | None  # the column of the amount as written (summary totals)
    rejects: list[Reject] = field(default_factory=list)
    reject_count: int = 0
    detail_minor: int = 0
    program: list[tuple[int, Convert | None]] = field(default_factory=list)
    width: int = 0
    first_is_type: bool = False
    unreadable_amounts: int = 0

    def __post_init__(self) -> None:
        self.program = [(convert.index, None) if isinstance(convert, _Plain) else (0, convert)
                        for _, convert in self.converters]
        self.width = 1 + max((index for index, _ in self.program), default=0)
        self.first_is_type = bool(self.converters) and self.converters[0][0] == "txn_type"

    def row(self, line: int, cells: list[str]) -> list[str] | None:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        try:
            kind = self.converters[0][1](cells, line, "") if self.first_is_type else ""
            out = [cells[index] if convert is None else convert(cells, line, kind) for index, convert in self.program]
        except BadValue:
            self._find_bad(line, cells)
            self._add_amount(cells)  # a skipped line still counts in the summary's totals
            return None
        self._add_amount(cells)
        return out

    def _add_amount(self, cells: list[str]) -> None:
        if self.amount_index is not None and self.amount_index < len(cells) and cells[self.amount_index]:
            try:
                self.detail_minor += minor_units(cells[self.amount_index], self.translation.profile.amount_unit)
            except BadValue:
                self.unreadable_amounts += 1  # refused by its converter

    def _find_bad(self, line: int, cells: list[str]) -> None:
        """The slow path of a bad row: which field, and why (the first bad one)."""
        kind = ""
        for target, convert in self.converters:
            try:
                value = convert(cells, line, kind)
            except BadValue as bad:
                self._reject(line, target, str(bad))
                return
            if target == "txn_type":
                kind = value

    def _reject(self, line: int, target: str, reason: str) -> None:
        self.reject_count += 1
        if len(self.rejects) < MAX_REJECTS:
            self.rejects.append(Reject(line, self.translation.labels.get(target, target), reason))


def _plan(profile: Profile, resolved: dict[str, Resolved], typed: bool) -> list[tuple[str, Convert]]:
    order = sorted(resolved, key=lambda target: target != "txn_type")  # the type first: amounts' signs need it
    plan = [(target, _converter(target, resolved[target], profile, typed)) for target in order]
    for spec in KINDS[profile.kind].fields:  # columns the native header names, which this file lacks: empty
        if spec.required and spec.name not in resolved:
            plan.append((spec.name, _empty))
    return plan


def _empty(cells: list[str], line: int, kind: str) -> str:  # noqa: ARG001
    return ""


def translate(path: Path, profile: Profile, target: Path | None, *, file_name: str | None = None,
              preview_only: bool = False, skip_bad: bool = False) -> Translation:
    """Read `path` through `profile`; write the native file at `target` (unless None).

    A bad value refuses the file (TranslationRejected), unless `skip_bad`: then its line is left out of the
    native file and listed in `Translation.rejects` by original line and column.
    """
    name = file_name or path.name
    if target is not None and not preview_only and not skip_bad and path.stat().st_size >= SQL_FROM_BYTES:
        fast = translate_sql(path, profile, target, name)
        if fast is not None:
            return Translation(profile, SourceInfo("text", "utf-8"), fast.header_line, fast.targets, fast.labels,
                               fast.line_map, fast.preview, fast.rows)
    with open_rows(path, profile.delimiter) as (info, rows):
        found = find_header(profile, rows)
        if found is None:
            raise InvalidInput(f"{name}: no header with the columns of profile {profile.name} in the first "
                               f"{profile.header_within} line(s) ({', '.join(g[0] for g in profile.required_names)})")
        header_line, names = found
        resolved = resolve(profile, names, header_line, name)
        converters = _plan(profile, resolved, info.typed_numbers)
        targets = [target for target, _ in converters]
        translation = Translation(profile, info, header_line, targets, {t: resolved[t].label for t in targets})
        amount = resolved.get("amount") or resolved.get("expected_amount")
        summed = amount.indexes[0] if amount and amount.indexes and profile.summary_amount else None
        job = _Pass(translation, converters, None, summed)
        summary = _write(job, rows, target, preview_only)
    if job.reject_count and not skip_bad:
        raise TranslationRejected(name, profile.name, job.rejects, job.reject_count)
    translation.rejects, translation.rejected_lines = job.rejects, job.reject_count
    if translation.rows == 0 and not job.reject_count:
        raise InvalidInput(f"{name}: line {header_line}: a header and no detail lines; nothing to import")
    if summary and not preview_only:
        amounts = profile.summary_amount if not job.unreadable_amounts else ()  # a skipped amount: no total
        check_summary(name, summary, count_labels=profile.summary_count, amount_labels=amounts,
                      unit=profile.amount_unit, detail_count=translation.rows + job.reject_count,
                      detail_minor=job.detail_minor)
    return translation


def _write(job: _Pass, rows: Iterator[tuple[int, list[str]]], target: Path | None,
           preview_only: bool) -> list[tuple[int, list[str]]]:
    """Write the detail lines; returns the summary lines (cleaned) that follow them."""
    translation, profile = job.translation, job.translation.profile
    summary: list[tuple[int, list[str]]] = []
    with (target.open("w", encoding="utf-8", newline="") if target else _Discard()) as handle:
        writer = csv.writer(handle)
        writer.writerow(translation.targets)
        for line, raw in rows:
            cells = clean_cells(raw, profile.strip_prefix)
            if summary or (profile.summary_pattern and profile.summary_pattern.search(",".join(cells))):
                summary.append((line, cells))
                continue
            if not any(cells):
                continue
            out = job.row(line, cells)
            if out is None:
                continue
            translation.rows += 1
            translation.line_map.append(line)
            writer.writerow(out)
            if len(translation.preview) < PREVIEW_ROWS:
                translation.preview.append(dict(zip(translation.targets, out, strict=True)))
            elif preview_only:
                break
    translation.summary_lines = len(summary)
    return summary


class _Discard:
    def __enter__(self) -> _Discard:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: str) -> int:
        return len(text)
