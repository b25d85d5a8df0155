"""The findings page's filter form read into a filter (recoup.reconciliation.inbox_form): amounts as a person
types them, dates in one order, codes chosen from a list, each refusal kept for its field. Pure: no database."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs

from hypothesis import given
from hypothesis import strategies as st

from recoup.reconciliation.inbox_form import (
    AMOUNTS_REVERSED,
    CHOOSE_KIND,
    DATE_FORMAT,
    DATE_RANGE,
    DATES_REVERSED,
    LAST4_FORMAT,
    read_form,
)
from recoup.web.formatting import AMOUNT_IN_WORDS


def test_amounts_are_read_as_a_person_types_them_into_the_field_they_belong_to() -> None:
    form = read_form({"min_charged": "2120", "max_charged": "2,120.00", "min_at_stake": "1908元",
                      "max_at_stake": "￥1,908.5"})
    assert form.errors == {}
    wanted = form.wanted
    assert (wanted.min_charged_minor, wanted.max_charged_minor) == (212000, 212000)
    assert (wanted.min_minor, wanted.max_minor) == (190800, 190850)


@given(st.integers(min_value=0, max_value=10**11))
def test_any_amount_written_with_grouping_and_a_yuan_sign_is_read_exactly(minor: int) -> None:
    text = f"{minor // 100:,}.{minor % 100:02d}元"
    assert read_form({"min_at_stake": text}).wanted.min_minor == minor


def test_each_refusal_stays_with_its_field_and_the_other_filters_still_apply() -> None:
    form = read_form({"min_charged": "两千", "date_from": "20/11/2026", "kind": "多收", "last4": "218",
                      "terminal": "61027889", "date_to": "9999-12-31"})
    assert form.errors == {"min_charged": AMOUNT_IN_WORDS, "date_from": DATE_FORMAT, "kind": CHOOSE_KIND,
                           "last4": LAST4_FORMAT, "date_to": DATE_RANGE}
    assert form.wanted.terminal_id == "61027889"
    assert form.wanted.min_charged_minor is None
    assert form.typed["min_charged"] == "两千"  # the page shows what was typed


def test_dates_in_year_month_day_order_and_ranges_the_right_way_round() -> None:
    assert read_form({"date_from": "2026/11/2", "date_to": "2026-11-20"}).wanted.date_from == date(2026, 11, 2)
    reversed_days = read_form({"date_from": "2026-11-20", "date_to": "2026-11-02"})
    assert reversed_days.errors == {"date_to": DATES_REVERSED}
    assert reversed_days.wanted.date_to is None
    assert read_form({"min_charged": "300", "max_charged": "20"}).errors == {"max_charged": AMOUNTS_REVERSED}


def test_codes_sort_and_page_are_checked() -> None:
    form = read_form({"kind": "overcharge", "cause": "extra_digit"}, sort="-charged", page="3")
    assert (form.wanted.kind, form.wanted.cause, form.wanted.sort, form.page) == ("OVERCHARGE", "EXTRA_DIGIT",
                                                                                "-charged", 3)
    odd = read_form({}, sort="password", page="二")
    assert odd.sort == "-day"
    assert odd.page == 1
    assert "page" in odd.errors


def test_the_address_of_another_page_keeps_the_filters() -> None:
    form = read_form({"last4": "0218", "merchant": "星巴克 国贸店", "kind": ""}, sort="charged", page="2")
    address = form.query_string(page=3)
    assert parse_qs(address.lstrip("?")) == {"last4": ["0218"], "merchant": ["星巴克 国贸店"], "sort": ["charged"],
                                             "page": ["3"]}
    assert read_form({}).query_string() == ""
