"""The reject file of an import through a profile: the rejected lines of the ORIGINAL file, as CSV.

Each rejected line is copied with its cells (field prefix removed) and three more columns: the line, the
column and the reason, as the import report names them. Card numbers never reach the file: the card
column is masked as a card, every other cell has any card number pan_guard finds masked. Works for
text files and workbooks alike (the rows come from the same reader as the translation's).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from recoup.ingest.columns import clean_cells, find_header
from recoup.ingest.profile import Profile
from recoup.ingest.reading import open_rows
from recoup.output import csv_writer, safe_row
from recoup.transactions.pan_guard import mask_pans
from recoup.transactions.reject_file import mask_digits
from recoup.transactions.rejects import Reject

REJECT_COLUMNS = ("reject_line", "reject_column", "reject_reason")


def write_original_rejects(path: Path, profile: Profile, rejects: list[Reject], target: Path) -> int:
    """Copy the lines of `path` that `rejects` name to `target`; returns how many lines were written."""
    reasons: dict[int, list[Reject]] = defaultdict(list)
    for reject in rejects:
        reasons[reject.line].append(reject)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open_rows(path, profile.delimiter) as (_, rows), target.open("w", encoding="utf-8", newline="") as out:
        writer = csv_writer(out)
        found = find_header(profile, rows)
        names = found[1] if found else []
        card_labels = _card_labels(profile)
        cards = {index for index, name in enumerate(names) if name in card_labels}
        writer.writerow(safe_row([*names, *REJECT_COLUMNS]))
        for line, raw in rows:
            if line not in reasons:
                continue
            cells = [mask_digits(cell) if index in cards else mask_pans(cell)
                     for index, cell in enumerate(clean_cells(raw, profile.strip_prefix)[:max(len(names), 1)])]
            first = reasons[line][0]
            reason = "; ".join(reject.reason for reject in reasons[line])
            writer.writerow(safe_row([*cells, *[""] * (len(names) - len(cells)), str(line), first.column, reason]))
            written += 1
    return written


def _card_labels(profile: Profile) -> set[str]:
    card = profile.fields.get("card")
    return set(card.names) if card else set()
