"""Rule 2 linking ranked by DuckDB (engine.LINK_RANK) links exactly what Python's best-first ranking links."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.reconciliation.engine import LINK_COLUMNS, LINK_RANK
from recoup.reconciliation.linking import LinkCandidate, best_first_links, greedy_links

T0 = datetime(2026, 10, 12, 2, 0)
AMOUNTS = [500, 5000, 50, 505, 550, 7090, 50000]
# Offsets in microseconds: equal distances either side of a sale, and distances a microsecond apart.
OFFSETS = [-1_800_000_000, -60_000_001, -60_000_000, -1, 0, 1, 60_000_000, 60_000_001, 1_800_000_000]


def _ranked_by_duckdb(candidates: list[LinkCandidate]) -> list[tuple[int, int, int]]:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE TABLE candidates (sale_line BIGINT, order_line BIGINT, sale_minor BIGINT, "
                    "order_minor BIGINT, sale_time TIMESTAMP, order_time TIMESTAMP, rrn VARCHAR, order_no VARCHAR)")
        if candidates:
            con.executemany("INSERT INTO candidates VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [[c.sale_line, c.order_line, c.sale_minor, c.order_minor, c.sale_time, c.order_time,
                              c.rrn, c.order_no] for c in candidates])
        rows = con.execute(f"SELECT sale_line, order_line, sale_minor, order_minor FROM "
                           f"(SELECT {LINK_COLUMNS} FROM candidates) c ORDER BY {LINK_RANK}").fetchall()
    finally:
        con.close()
    return greedy_links(rows)


pairs = st.lists(st.tuples(st.integers(1, 4), st.integers(10, 13), st.sampled_from(AMOUNTS),
                           st.sampled_from(AMOUNTS), st.sampled_from(OFFSETS)), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_duckdb_ranking_links_what_python_ranking_links(drawn: list[tuple[int, int, int, int, int]]) -> None:
    seen: set[tuple[int, int]] = set()
    candidates = []
    for sale, order, sale_minor, order_minor, offset in drawn:
        if (sale, order) in seen:
            continue
        seen.add((sale, order))
        sale_time = T0 + timedelta(minutes=sale)
        # one RRN per sale (none for sale 1) and one number per order: no two pairs tie on every key
        candidates.append(LinkCandidate(sale, order, sale_minor, order_minor, sale_time,
                                        sale_time + timedelta(microseconds=offset),
                                        None if sale == 1 else f"00000000000{sale}", f"O-{order}"))  # type: ignore[arg-type]
    expected = best_first_links(candidates)
    chosen = _ranked_by_duckdb(candidates)
    assert [(sale, order) for sale, order, _ in chosen] == expected
    minor_of = {(c.sale_line, c.order_line): c.order_minor for c in candidates}
    assert all(order_minor == minor_of[(sale, order)] for sale, order, order_minor in chosen)


def test_an_implausible_pair_is_passed_over_and_frees_nothing() -> None:
    """Equal amounts first; an amount no keying slip explains never links, and leaves the order free."""
    sale_time = T0
    ranked = [(1, 10, 7090, 7000), (2, 10, 500, 5000), (1, 11, 500, 500)]
    assert greedy_links(ranked) == [(2, 10, 5000), (1, 11, 500)]
    assert best_first_links([LinkCandidate(1, 10, 7090, 7000, sale_time, sale_time, "1", "A")]) == []
