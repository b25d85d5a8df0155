"""The pure rules of messages: placeholders, addresses, masking, backoff (SPEC section 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.messaging.default_templates import DEFAULTS
from recoup.messaging.rules import (
    BACKOFF,
    LOCALES,
    MAX_ATTEMPTS,
    PLACEHOLDERS,
    TEMPLATE_KEYS,
    Channel,
    RuleError,
    check_template,
    fill,
    mask,
    next_attempt,
    normalise_address,
    normalise_email,
    normalise_phone,
)

T0 = datetime(2026, 10, 13, 1, 0, tzinfo=UTC)


def test_every_shipped_template_exists_in_both_languages_and_passes_its_own_check() -> None:
    assert set(DEFAULTS) == {(key, locale) for key in TEMPLATE_KEYS for locale in LOCALES}
    for wording in DEFAULTS.values():
        check_template(wording.subject, wording.body)
        assert "{reply_link}" in wording.body  # every message carries the way to answer
    assert "{payment_link}" in DEFAULTS[("request_difference", "zh_CN")].body


def test_an_unknown_placeholder_is_refused_by_name() -> None:
    with pytest.raises(RuleError, match=r"unknown placeholder \{customer_name\}") as refused:
        check_template("Case {case_number}", "Dear {customer_name}, about {amount}")
    assert refused.value.values["name"] == "customer_name"
    for bad in ("{case_number!r}", "{amount:>10}", "{case.number}", "{0}", "{"):
        with pytest.raises(RuleError):
            check_template("s", bad)
    with pytest.raises(RuleError, match="one line"):
        check_template("a\nBcc: victim@example.com", "body")


def test_fill_uses_the_facts_and_a_dash_for_a_missing_one() -> None:
    assert fill("{case_number}: {amount} {{literal}}", {"case_number": "RC-1", "amount": ""}) == "RC-1: - {literal}"


@given(st.dictionaries(st.sampled_from(sorted(PLACEHOLDERS)), st.text(max_size=30)))
def test_a_valid_template_always_fills_without_error(facts: dict[str, str]) -> None:
    body = " ".join(f"{{{name}}}" for name in sorted(PLACEHOLDERS))
    filled = fill(body, facts)
    for _name, value in facts.items():
        if value:
            assert value in filled


@pytest.mark.parametrize("address", ["payer@example.com", "Zhang.San+1@Mail.Example.CN", "a_b@x-y.example.org"])
def test_good_email_addresses_pass_and_the_domain_is_lowercased(address: str) -> None:
    assert normalise_email(address).split("@")[1] == address.split("@")[1].lower()


@pytest.mark.parametrize("address", ["", "payer", "payer@example", "a@@example.com", "a b@example.com",
                                     "a@example.com\r\nBcc: x@y.com", "a@exa\nmple.com", "<a@example.com>",
                                     "a..b@example.com", ".a@example.com", "a@-example.com"])
def test_malformed_email_addresses_are_refused(address: str) -> None:
    with pytest.raises(RuleError, match="not an e-mail address"):
        normalise_address(Channel.EMAIL, address)


@given(st.text(max_size=60))
def test_an_accepted_email_address_never_holds_a_header_breaking_character(text: str) -> None:
    try:
        address = normalise_email(text)
    except RuleError:
        return
    assert not any(char in address for char in "\r\n <>,;\"")
    assert address.count("@") == 1


@pytest.mark.parametrize(("typed", "normal"), [
    ("13800138000", "+8613800138000"), ("138 0013 8000", "+8613800138000"), ("+86-138-0013-8000", "+8613800138000"),
    ("+14155550123", "+14155550123")])
def test_phone_numbers_are_normalised_to_e164(typed: str, normal: str) -> None:
    assert normalise_phone(typed) == normal


@pytest.mark.parametrize("typed", ["", "12345", "23800138000", "+0123456789", "+1234567890123456", "phone", "+86 abc"])
def test_malformed_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(RuleError, match="not a phone number"):
        normalise_phone(typed)


def test_masks_show_enough_to_recognise_and_not_enough_to_use() -> None:
    assert mask("payer@example.com") == "p***@example.com"
    assert mask("+8613800138000") == "+86138****8000"


def test_backoff_grows_then_gives_up_after_the_last_attempt() -> None:
    waits = [next_attempt(attempts, T0) for attempts in range(1, MAX_ATTEMPTS + 1)]
    assert waits[:-1] == [T0 + wait for wait in BACKOFF]
    assert waits[-1] is None
    assert BACKOFF == (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                       timedelta(hours=12))
