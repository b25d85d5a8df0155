"""The mapping page's model: a file's layout sniffed, the proposal, the user's corrections, the preview.

The file's delimiter is the one that splits its lines into the most columns; its header is the first of
the first lines that fills (nearly) all of them; a backtick before most header cells is a field prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice

from starlette.datastructures import FormData

from recoup.errors import InvalidInput
from recoup.ingest.columns import header_names
from recoup.ingest.pending import Pending
from recoup.ingest.profile import NAME_PATTERN, parse_profile
from recoup.ingest.proposal import Proposal, profile_text, propose
from recoup.ingest.reading import open_rows
from recoup.ingest.translate import TranslationRejected, translate
from recoup.ingest.value_maps import CHOICES, MAPPED_TARGETS, Words, chosen_values, column_words, unmapped_problem
from recoup.transactions.schema import KINDS, FieldKind

DELIMITERS = (",", "|", "\t", ";")
SAMPLE_ROWS = 3
HEAD_LINES = 20
_INDEX = re.compile(r"\d{1,3}")


@dataclass
class MappingForm:
    action: str = "preview"
    name: str = ""
    unit: str = "yuan"
    sign: str = "positive"
    columns: dict[str, int | None] = field(default_factory=dict)
    time_columns: dict[str, int | None] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    time_formats: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # txn_type/status: file word -> SPEC value


@dataclass(frozen=True)
class Layout:
    """What sniffing found: the delimiter, the field prefix, the header (line and names), sample rows."""

    delimiter: str
    prefix: str
    header_line: int
    names: list[str]
    samples: list[list[str]]


def _index(value: object) -> int | None:
    return int(value) if isinstance(value, str) and _INDEX.fullmatch(value) else None


def read_mapping_form(form: FormData) -> MappingForm:
    parsed = MappingForm(action=str(form.get("action", "preview"))[:10], name=str(form.get("name", ""))[:40].strip(),
                         unit=str(form.get("unit", "yuan"))[:10], sign=str(form.get("sign", "positive"))[:20])
    words = {key: value for key, value in form.multi_items() if key.startswith("vword_") and isinstance(value, str)}
    for key, word in words.items():
        target, _, _ = key[6:].rpartition("_")
        code = form.get("vmap_" + key[6:])
        if target in MAPPED_TARGETS and isinstance(code, str):
            parsed.values.setdefault(target, {})[word[:100]] = code[:30]
    for key, value in form.multi_items():
        if key.startswith("map_"):
            parsed.columns[key[4:]] = _index(value)
        elif key.startswith("time_"):
            parsed.time_columns[key[5:]] = _index(value)
        elif key.startswith("fmt_") and isinstance(value, str):
            parsed.formats[key[4:]] = value[:40]
        elif key.startswith("tfmt_") and isinstance(value, str):
            parsed.time_formats[key[5:]] = value[:40]
    return parsed


def sniff_layout(held: Pending) -> Layout:
    """The layout of a file no profile fits."""
    best: tuple[int, str, list[tuple[int, list[str]]]] = (0, ",", [])
    for delimiter in DELIMITERS:
        with open_rows(held.path, delimiter) as (_, rows):
            head = list(islice(rows, HEAD_LINES))
        width = max((len([c for c in cells if c.strip()]) for _, cells in head), default=0)
        if width > best[0]:
            best = (width, delimiter, head)
    width, delimiter, head = best
    if width < 2:
        raise InvalidInput(f"{held.file_name}: no columns found (neither comma, |, tab nor ; separated)")
    at = next(i for i, (_, cells) in enumerate(head) if len([c for c in cells if c.strip()]) >= width - 1)
    header = head[at][1]
    prefix = "`" if sum(cell.startswith("`") for cell in header) > len(header) // 2 else ""
    samples = [header_names(cells, prefix) for _, cells in head[at + 1:at + 1 + SAMPLE_ROWS]]
    return Layout(delimiter, prefix, head[at][0], header_names(header, prefix), samples)


def _apply(proposal: Proposal, form: MappingForm) -> None:
    kind = KINDS[proposal.kind]
    for spec in kind.fields:
        if spec.name in form.columns:
            index = form.columns[spec.name]
            proposal.columns[spec.name] = index if index is not None and index < len(proposal.names) else None
        time_index = form.time_columns.get(spec.name)
        if time_index is not None and time_index < len(proposal.names):
            proposal.time_column[spec.name] = time_index
        else:
            proposal.time_column.pop(spec.name, None)
        if form.formats.get(spec.name):
            proposal.formats[spec.name] = form.formats[spec.name]
        if form.time_formats.get(spec.name):
            proposal.time_formats[spec.name] = form.time_formats[spec.name]
    proposal.unit = form.unit if form.unit in ("yuan", "fen") else "yuan"
    proposal.sign = form.sign if form.sign in ("positive", "negative_refunds") else "positive"
    for target in proposal.time_column:
        proposal.time_formats.setdefault(target, "HH:mm:ss")


def _value_words(held: Pending, layout: Layout, proposal: Proposal, form: MappingForm | None) -> list[ValueRows]:
    """The words of the type and status columns, each with its value (chosen, or proposed)."""
    columns = {target: index for target, index in proposal.columns.items()
               if target in MAPPED_TARGETS and index is not None}
    found = column_words(held.path, layout.delimiter, layout.prefix, layout.header_line, len(layout.names), columns)
    shown = []
    for target, words in found.items():
        chosen = form.values.get(target, {}) if form else {}
        values = chosen_values(target, words, chosen)
        proposal.values[target] = values
        label = proposal.names[words.column]
        shown.append(ValueRows(target, label, CHOICES[target], words, values,
                               unmapped_problem(target, label, words, values)))
    return shown


@dataclass(frozen=True)
class ValueRows:
    """One value map as the page shows it."""

    target: str
    label: str  # the file's column
    choices: tuple[str, ...]
    words: Words
    values: dict[str, str]
    problem: str | None


def mapping_context(held: Pending, form: MappingForm | None) -> dict[str, object]:
    layout = sniff_layout(held)
    proposal = propose(held.kind, layout.names, layout.samples)
    proposal.delimiter, proposal.prefix = layout.delimiter, layout.prefix
    name = form.name if form and form.name else "my-" + held.kind
    if form:
        _apply(proposal, form)
    value_rows = _value_words(held, layout, proposal, form)
    context: dict[str, object] = {
        "names": layout.names, "samples": layout.samples, "proposal": proposal, "profile_name": name,
        "fields": [f for f in KINDS[held.kind].fields if not f.personal], "value_rows": value_rows,
        "timed": {f.name for f in KINDS[held.kind].fields if f.kind in (FieldKind.TIME, FieldKind.DATE)},
        "rows": [], "columns": [], "rejects": [], "problem": None, "profile": None, "text": "",
    }
    if form is None:
        return context
    if not NAME_PATTERN.match(name):
        context["problem"] = "name: 2 to 40 lower-case letters, digits, - or _"
        return context
    _preview(held, proposal, name, context)
    unmapped = next((rows.problem for rows in value_rows if rows.problem), None)
    if unmapped and (context["problem"] is None or context["rejects"]):  # it explains the rejects; no saving
        context["problem"] = unmapped
    return context


def _preview(held: Pending, proposal: Proposal, name: str, context: dict[str, object]) -> None:
    text = profile_text(proposal, name, f"{held.file_name} ({held.kind})")
    context["text"] = text
    try:
        profile = parse_profile(text, f"profile {name}")
        context["profile"] = profile
        translation = translate(held.path, profile, None, file_name=held.file_name, preview_only=True)
        context["rows"], context["columns"] = translation.preview, translation.targets
    except TranslationRejected as rejected:
        context["rejects"] = rejected.rejects[:20]
        context["problem"] = rejected.message.splitlines()[0]
    except InvalidInput as problem:
        context["problem"] = problem.message
