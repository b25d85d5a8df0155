"""Issue 15, the cheaper strict read: its one-expression card check, its digit GLOB and its plain AND/OR
field checks take only what the lenient read takes, with the same value (the masked card and the token
the reconciliation compares), and leave the rest to the lenient read that names line, column and reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.transactions.cards import mask_pan, normalise_masked
from recoup.transactions.csv_input import load_csv
from recoup.transactions.fields_sql import Zones, ok_sql, parse_field
from recoup.transactions.schema import Field, FieldKind

_CON = duckdb.connect()
_ZONES = Zones("'Asia/Shanghai'", "480")
_CARD = Field("card", FieldKind.CARD, mandatory=False)
_STAN = Field("stan", FieldKind.DIGITS, length=6, mandatory=False)
_KEY = b"speed-key"


def _read(field: Field, texts: Sequence[str | None], *, strict: bool,
          run_tokens: bool = True) -> list[tuple[Any, ...]]:
    """(fine, value columns...) of each text, through the layers the load query builds for one field."""
    parsed = parse_field(field, _KEY, _ZONES, run_tokens=run_tokens, strict=strict)

    def extend(items: dict[str, str]) -> str:
        return "".join(f", {sql} AS {name}" for name, sql in items.items())

    source = (f"(SELECT unnest(CAST(? AS VARCHAR[])) AS t_{field.name}, "
              "generate_subscripts(CAST(? AS VARCHAR[]), 1) AS i) l0")
    layers = f"(SELECT *{extend(parsed.cleaned)} FROM {source}) l1"
    layers = f"(SELECT *{extend(parsed.prepared)} FROM {layers}) l2"
    layers = f"(SELECT *{extend(parsed.values)} FROM {layers}) l3"
    columns = ", ".join([ok_sql(field, parsed), *parsed.values])
    rows = _CON.execute(f"SELECT {columns} FROM {layers} ORDER BY i", [list(texts), list(texts)]).fetchall()
    return [(bool(row[0]), *row[1:]) for row in rows]


_DIGITS = "0123456789"
_pans = st.text(_DIGITS, min_size=11, max_size=20)
_masked = st.builds(lambda head, marks, tail: head + marks + tail, st.text(_DIGITS, min_size=3, max_size=10),
                    st.text("*xX", min_size=1, max_size=14), st.text(_DIGITS, min_size=1, max_size=5))
_spelled = st.builds(lambda card, cut, mark, pad: pad + card[:cut] + mark + card[cut:] + pad,
                     st.one_of(_pans, _masked), st.integers(0, 20), st.sampled_from(["", " ", "-", "x", "a", "*"]),
                     st.sampled_from(["", "", " "]))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(_pans, _masked, _spelled, st.none()), min_size=30, max_size=80),
       st.booleans())
def test_a_card_the_strict_read_takes_the_lenient_read_takes_with_the_same_masked_form_and_token(
        texts: list[str | None], run_tokens: bool) -> None:
    strict = _read(_CARD, texts, strict=True, run_tokens=run_tokens)
    lenient = _read(_CARD, [None if text is None else text.strip() or None for text in texts],
                    strict=False, run_tokens=run_tokens)
    for text, taken, read in zip(texts, strict, lenient, strict=True):
        if taken[0]:
            assert read[0], text
            assert taken == read, text


def test_the_strict_card_check_takes_the_usual_spellings_and_refuses_the_rest() -> None:
    texts = ["6217000472907650621", "621700******0621", "621700xxxxxx0621", "6217 0004 7290 7650 621",
             "62170004729", "62170004729076506211", "621700*0621", "6217*0*00000621", "621700+*****0621"]
    assert [row[0] for row in _read(_CARD, texts, strict=True)] == [True] * 4 + [False] * 5


def test_a_full_card_number_and_its_masked_form_compare_equal_in_a_run_and_nowhere_else() -> None:
    pan = "6217000472907650621"
    texts = [pan, mask_pan(pan), normalise_masked("621700xxxxxxxxx0621"), "621700*********0622", "62170012*******0621"]
    rows = _read(_CARD, texts, strict=True)
    assert all(fine for fine, _, _ in rows)
    masked = [value for _, value, _ in rows]
    assert masked[0] == masked[1] == masked[2]
    assert len({masked[0], masked[3], masked[4]}) == 3
    assert rows[0][2] is not None  # only the full number is tokened
    assert rows[1][2] is None
    stored = _read(_CARD, texts[:2], strict=True, run_tokens=False)
    assert [value for _, value, _ in stored] == ["621700*********0621"] * 2


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.text("0123456789٣ a-", max_size=8), st.text(max_size=7), st.none()),
                min_size=20, max_size=60))
def test_the_digit_glob_decides_as_exactly_n_ascii_digits(texts: list[str | None]) -> None:
    for text, (fine,) in zip(texts, _read(_STAN, texts, strict=True), strict=True):
        assert fine == (text is None or re.fullmatch(r"[0-9]{6}", text) is not None), text


def test_absent_values_are_fine_only_where_they_may_be_absent() -> None:
    mandatory = Field("terminal_id", FieldKind.CODE, length=8)
    assert [row[0] for row in _read(mandatory, [None, "61067484", "6106 484"], strict=True)] == [False, True, False]
    assert [row[0] for row in _read(_STAN, [None, "781461", "78146"], strict=True)] == [True, True, False]


_HEADER = "merchant_id,terminal_id,txn_time,txn_type,status,amount,currency,rrn,stan,card,order_no,orig_rrn"
_LINE = "898584058121917,61067484,2026-10-12T08:04:52+08:00,SALE,APPROVED,357.50,CNY,{rrn},{stan},{card},NO{rrn},"


def _journal(path: Path, cards_and_stans: list[tuple[str, str]]) -> Path:
    lines = [_LINE.format(rrn=f"40549611407{n}", stan=stan, card=card)
             for n, (card, stan) in enumerate(cards_and_stans)]
    path.write_text("\n".join([_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_a_journal_with_a_full_card_number_and_its_masked_form_loads_them_as_one_card(tmp_path: Path) -> None:
    path = _journal(tmp_path / "journal.csv", [("6217000472907650621", "000001"), ("621700*********0621", "000002"),
                                               ("6217 0004 7290 7650 621", "000003")])
    con = duckdb.connect()
    load_csv(con, "journal", path, card_key=_KEY, run_tokens=True, line_numbers=False)
    assert con.execute("SELECT count(DISTINCT card_masked), count(card_token) FROM journal").fetchone() == (1, 2)


def test_a_bad_stan_or_card_is_still_named_by_line_and_column(tmp_path: Path) -> None:
    path = _journal(tmp_path / "journal.csv", [("6217000472907650621", "000001"), ("6217000472907650621", "7814a1"),
                                               ("621700*0621", "000003")])
    with pytest.raises(InvalidInput) as raised:
        load_csv(duckdb.connect(), "journal", path, card_key=_KEY, run_tokens=True)
    message = str(raised.value)
    assert "line 3, column stan: must be 6 digits" in message
    assert "line 4, column card: neither a card number nor a masked card" in message
