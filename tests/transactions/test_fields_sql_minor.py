"""Amounts become the same minor units whichever multiplication path the loader takes."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.transactions.fields_sql import _minor_sql

REFERENCE = "CAST(TRY_CAST(t AS DECIMAL(18, 3)) * p_scale AS BIGINT)"
amount_texts = st.builds(lambda whole, cents, width: f"{whole}.{cents:0{width}d}" if width else str(whole),
                         st.integers(0, 10**16), st.integers(0, 99), st.sampled_from([0, 1, 2]))


@settings(max_examples=50, deadline=None)
@given(texts=st.lists(amount_texts, min_size=1, max_size=50), scale=st.sampled_from([1, 100]))
def test_fast_and_wide_multiplication_give_the_same_minor_units(texts: list[str], scale: int) -> None:
    con = duckdb.connect()
    rows = con.execute(f"SELECT t, {_minor_sql('t')}, {REFERENCE} FROM (SELECT unnest(?::VARCHAR[]) AS t, "
                       f"CAST(? AS BIGINT) AS p_scale)", [texts, scale]).fetchall()
    assert [(text, fast) for text, fast, _ in rows] == [(text, reference) for text, _, reference in rows]
