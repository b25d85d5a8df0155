"""Rule 2 of linking: best first over candidate pairs, each sale and order used once."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recoup.reconciliation.linking import LinkCandidate, best_first_links

T0 = datetime(2026, 10, 12, 2, 0)


def candidate(sale: int, order: int, sale_minor: int, order_minor: int, minutes: float,
              rrn: str = "000000000001", order_no: str | None = None) -> LinkCandidate:
    return LinkCandidate(sale, order, sale_minor, order_minor, T0, T0 + timedelta(minutes=minutes), rrn,
                         order_no or f"O-{order}")


def test_equal_amount_beats_a_nearer_related_amount() -> None:
    links = best_first_links([candidate(1, 10, 12800, 128000, 1), candidate(1, 11, 12800, 12800, 25)])
    assert links == [(1, 11)]


def test_nearest_in_time_among_equal_amounts() -> None:
    links = best_first_links([candidate(1, 10, 500, 500, -20), candidate(1, 11, 500, 500, 5)])
    assert links == [(1, 11)]


def test_ties_fall_to_rrn_then_order_number() -> None:
    pairs = [candidate(2, 10, 500, 500, 5, rrn="000000000002", order_no="O-B"),
             candidate(1, 10, 500, 500, 5, rrn="000000000001", order_no="O-B"),
             candidate(1, 11, 500, 500, 5, rrn="000000000001", order_no="O-A"),
             candidate(2, 11, 500, 500, 5, rrn="000000000002", order_no="O-A")]
    assert best_first_links(pairs) == [(1, 11), (2, 10)]


def test_implausible_amounts_never_link() -> None:
    assert best_first_links([candidate(1, 10, 7090, 7000, 1)]) == []


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(10, 15), st.sampled_from([500, 5000, 50, 505, 550])),
                max_size=30))
def test_each_sale_and_order_used_at_most_once_whatever_the_input_order(triples: list[tuple[int, int, int]]) -> None:
    pairs = [candidate(sale, order, 500, amount, order - sale) for sale, order, amount in triples]
    links = best_first_links(pairs)
    assert len({sale for sale, _ in links}) == len(links) == len({order for _, order in links})
    assert sorted(best_first_links(list(reversed(pairs)))) == sorted(links)
