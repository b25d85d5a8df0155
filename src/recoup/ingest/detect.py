"""Which profile reads a file: the one whose needed columns its header holds (SPEC section 3).

A file already in the native layout of its kind needs no profile. Otherwise every candidate profile
of the kind (shipped and the tenant's) is tried on the first lines of the file; the one whose header
holds the most of its column names wins, and two that fit equally ask the user to choose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from recoup.errors import InvalidInput
from recoup.ingest.columns import fits, header_names, score
from recoup.ingest.profile import Profile
from recoup.ingest.reading import open_rows
from recoup.transactions.schema import KINDS

HEAD_LINES = 50


@dataclass(frozen=True)
class Detection:
    profile: Profile | None  # None: the native layout
    note: str


def _head(path: Path, delimiter: str, lines: int = HEAD_LINES) -> list[list[str]]:
    with open_rows(path, delimiter) as (_, rows):
        return [cells for _, cells in islice(rows, lines)]


def _native(path: Path, kind: str) -> bool:
    """The first line names columns of the native layout (the native loader then judges the rest)."""
    head = _head(path, ",", 1)
    if not head:
        return False
    names = set(header_names(head[0], ""))
    return bool(names & {f.name for f in KINDS[kind].fields})


def detect(path: Path, kind: str, candidates: Iterable[Profile], *, file_name: str | None = None) -> Detection:
    """The profile for `path` of `kind`; InvalidInput when none fits or two fit equally."""
    name = file_name or path.name
    if kind in KINDS and _native(path, kind):
        return Detection(None, f"{name}: the native {kind} layout (no profile needed)")
    heads: dict[str, list[list[str]]] = {}
    scored: list[tuple[int, Profile]] = []
    for profile in candidates:
        if profile.kind != kind:
            continue
        head = heads.setdefault(profile.delimiter, _head(path, profile.delimiter))
        best = max((score(profile, names) for names in _headers(profile, head) if fits(profile, names)), default=0)
        if best:
            scored.append((best, profile))
    if not scored:
        raise InvalidInput(f"{name}: no profile fits this file's header (a {kind} file; give --profile NAME, "
                           "add a profile with `recoup profile add`, or build one on the upload page)")
    scored.sort(key=lambda pair: -pair[0])
    tied = [profile.name for points, profile in scored if points == scored[0][0]]
    if len(tied) > 1:
        raise InvalidInput(f"{name}: profiles {', '.join(sorted(tied))} fit this file equally well; choose one "
                           "with --profile NAME")
    chosen = scored[0][1]
    return Detection(chosen, f"{name}: read with profile {chosen.name} ({chosen.title})")


def _headers(profile: Profile, head: list[list[str]]) -> list[list[str]]:
    return [header_names(cells, profile.strip_prefix) for cells in head[:profile.header_within]]
