"""Finding a profile's header in a file and the column of every mapped field. Pure.

The header is the first line, among the first `header_within`, that holds a name (or an alias) of
every column the profile needs; title lines above it are skipped. Names compare trimmed, without
the profile's field prefix, a BOM or a trailing separator's empty cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from recoup.errors import InvalidInput
from recoup.ingest.profile import FieldMap, Profile
from recoup.ingest.reading import column_letter


def clean_cells(cells: list[str], prefix: str) -> list[str]:
    if prefix:
        return [cell.strip().lstrip(prefix).strip() for cell in cells]
    return [cell.strip() for cell in cells]


def header_names(cells: list[str], prefix: str) -> list[str]:
    names = clean_cells([cell.lstrip("\ufeff") for cell in cells], prefix)
    while names and not names[-1]:
        names.pop()
    return names


def _holds(names: list[str], group: tuple[str, ...]) -> bool:
    return any(alias in names for alias in group)


def fits(profile: Profile, names: list[str]) -> bool:
    groups = profile.required_names
    return bool(groups) and all(_holds(names, group) for group in groups) \
        and all(m.position is None or m.position <= len(names) for m in profile.fields.values())


def score(profile: Profile, names: list[str]) -> int:
    """How many of the profile's column names the header holds (ties mean two profiles fit equally)."""
    return sum(1 for group in profile.all_names if _holds(names, group))


def find_header(profile: Profile, rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """(line, names) of the header among the first rows, or None."""
    for line, cells in rows:
        names = header_names(cells, profile.strip_prefix)
        if fits(profile, names):
            return line, names
        if line >= profile.header_within:
            return None
    return None


@dataclass(frozen=True)
class Resolved:
    """A field's column indexes in the file, and the label naming them in messages."""

    mapping: FieldMap
    indexes: tuple[int, ...]  # one column, two (date, time), or none (a constant)
    label: str


def _index(names: list[str], group: tuple[str, ...]) -> int | None:
    return next((names.index(alias) for alias in group if alias in names), None)


def resolve(profile: Profile, names: list[str], header_line: int, file_name: str) -> dict[str, Resolved]:
    resolved: dict[str, Resolved] = {}
    for target, mapping in profile.fields.items():
        if mapping.value is not None and not (mapping.names or mapping.position):
            resolved[target] = Resolved(mapping, (), f"({target} = {mapping.value})")
            continue
        groups = (mapping.date_names, mapping.time_names) if mapping.two_columns else (mapping.names,)
        indexes = []
        for group in groups:
            found = _index(names, group) if group else None
            if found is None and mapping.position is not None:
                found = mapping.position - 1
            if found is None and target not in profile.required_targets:
                break
            if found is None:
                raise InvalidInput(f"{file_name}: line {header_line}: no column {' / '.join(group)} for "
                                   f"{target} (profile {profile.name})")
            indexes.append(found)
        if len(indexes) < len(groups):  # an optional column this file does not have
            continue
        label = "+".join(names[i] if i < len(names) and names[i] else column_letter(i) for i in indexes)
        resolved[target] = Resolved(mapping, tuple(indexes), label)
    return resolved
