"""Only the switch-log import may carry card tokens: a user's journal CSV with a `card_token` column gets
it kept as an ordinary extra column, its card numbers masked, and the token computed from the card."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.cli import run_in_process
from tests.support.factories import World
from tests.support.journals import JOURNAL_HEADER, csv_bytes, journal_line

from recoup.transactions.models import JournalLine

PAN = "4111111111111111"
HIDDEN = PAN + "ab" * 24  # 64 characters, as a token would be, with a card number inside


def test_a_card_token_column_in_a_users_file_is_not_taken_as_the_token(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "journal.csv"
    path.write_bytes(csv_bytes(journal_line(card="622848******1234") + f",{HIDDEN}",
                               header=JOURNAL_HEADER + ",card_token"))
    code, _, err = run_in_process(["import", "journal", str(path)], database_url, monkeypatch, capsys)
    assert code == 0, err
    with world.database.unit_of_work() as session:
        line = session.execute(select(JournalLine)).scalar_one()
        stored = f"{line.card_token} {line.extra} {line.order_no}"
    assert line.card_token != HIDDEN
    assert PAN not in re.sub(r"[ -]", "", stored)
