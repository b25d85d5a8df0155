"""The strict first read's cheaper date check takes only what the lenient read takes, with the same day, and
every reason that quotes a value reads a shown layer its field declares (fields_sql.Parsed.shown)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.transactions.csv_input import load_csv
from recoup.transactions.csv_sql import Header, LoadQuery
from recoup.transactions.fields_sql import Parsed, Zones, ok_sql, parse_field
from recoup.transactions.schema import KINDS, Field, FieldKind

_CON = duckdb.connect()
_DATE = Field("settle_date", FieldKind.DATE)
_ZONES = Zones("'Asia/Shanghai'", "480")


def _read(texts: list[str], *, strict: bool) -> list[tuple[bool, date | None]]:
    """(accepted, day) of each text by the strict or the lenient parse of a date field."""
    parsed = parse_field(_DATE, None, _ZONES, strict=strict)
    values = ", ".join(f"{sql} AS {name}" for name, sql in parsed.values.items())
    rows = _CON.execute(
        f"SELECT {ok_sql(_DATE, parsed)}, v_settle_date FROM (SELECT *, {values} FROM "
        "(SELECT unnest(CAST(? AS VARCHAR[])) AS t_settle_date, generate_subscripts(CAST(? AS VARCHAR[]), 1) AS i)) "
        "ORDER BY i", [texts, texts]).fetchall()
    return [(bool(ok), day) for ok, day in rows]


_DATE_LIKE = st.builds(lambda year, month, day, tail: f"{year}-{month}-{day}{tail}",
                       st.sampled_from(["2026", "0026", "26", "20260", "+026", " 2026", "2O26"]),
                       st.sampled_from(["09", "9", "12", "13", "00", "02"]),
                       st.sampled_from(["01", "1", "28", "29", "30", "31", "00"]),
                       st.sampled_from(["", " ", "T00:00:00", "T", "Z", "x", "T08:30+08:00"]))


@settings(max_examples=25, deadline=None)
@given(st.lists(_DATE_LIKE, min_size=20, max_size=60))
def test_a_date_the_strict_read_takes_the_lenient_read_takes_as_the_same_day(texts: list[str]) -> None:
    for text, (strict_ok, strict_day), (lenient_ok, lenient_day) in zip(
            texts, _read(texts, strict=True), _read(texts, strict=False), strict=True):
        if strict_ok:
            assert lenient_ok, text
            assert strict_day == lenient_day, text


def test_the_strict_read_takes_the_canonical_date_and_leaves_the_rest_to_the_lenient_one() -> None:
    texts = ["2026-10-13", "2024-02-29", "2026-10-13T00:00:00", "2026-9-13", "2026-10-13 ", "2026-02-30"]
    assert [ok for ok, _ in _read(texts, strict=True)] == [True, True, False, False, False, False]
    assert _read(texts[:2], strict=True) == [(True, date(2026, 10, 13)), (True, date(2024, 2, 29))]


def _every_parse() -> list[tuple[str, Parsed]]:
    return [(f"{kind.name}.{f.name}", parse_field(f, b"k", _ZONES, strict=False))
            for kind in KINDS.values() for f in kind.fields]


@pytest.mark.parametrize(("where", "parsed"), _every_parse(), ids=lambda value: value if isinstance(value, str) else "")
def test_a_reason_quotes_a_value_only_through_the_shown_layer_its_field_declares(where: str, parsed: Parsed) -> None:
    quoted = set(re.findall(r"\bs_[a-z_]+\b", parsed.error))
    if parsed.shown is None:
        assert not quoted, where
    else:
        assert quoted == {parsed.shown.column}, where
        assert parsed.shown.column in parsed.shown.values, where


def test_the_reasons_pass_selects_the_shown_layers_and_the_cheap_passes_do_not() -> None:
    kind = KINDS["settlement"]
    query = LoadQuery(kind, Header([f.name for f in kind.fields]), kind.fields, {}, _ZONES, b"k", None)
    shown = [parsed.shown.column for f in kind.fields
             if (parsed := parse_field(f, b"k", _ZONES)).shown is not None]
    assert {"s_settle_date", "s_amount", "s_currency", "s_txn_time"} <= set(shown)
    for column in shown:
        assert f" AS {column}" in query.sql("source", reasons=True)
        assert column not in query.sql("source", reasons=False)
        assert column not in query.sql("source", reasons=False, strict=True)


def test_a_refused_date_is_still_quoted_in_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "settlement.csv"
    path.write_text("settle_date,merchant_id,mcc,terminal_id,txn_time,txn_type,rrn,card,amount,currency\n"
                    "2026-9-13,898301054111439,5411,61027889,2026-10-12T10:00:00+08:00,SALE,000000000001,"
                    "622848******1234,128.00,CNY\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 2, column settle_date: not an ISO 8601 date: '2026-9-13'"):
        load_csv(duckdb.connect(), "settlement", path)
