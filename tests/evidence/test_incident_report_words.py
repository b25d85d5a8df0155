"""The incident report's words and layout without a database: languages, codes in words, the explanation in
the report's language, times in the merchant's zone, sections that say "nothing" and any typed text in a PDF."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.errors import InvalidInput
from recoup.evidence.incident_facts import CaseFacts, Communication, EventFact, Place
from recoup.evidence.incident_pdf import render_facts
from recoup.evidence.incident_report import report_filename
from recoup.evidence.incident_sections import report_sections
from recoup.evidence.incident_words import Words, report_locale

SHANGHAI = ZoneInfo("Asia/Shanghai")
WHEN = datetime(2026, 10, 12, 2, 30, tzinfo=UTC)
ZH, EN = Words("zh_CN", SHANGHAI), Words("en", SHANGHAI)
PLACE = Place("898301054111439", "商户A", "5411", "上海", "Asia/Shanghai", "", "", "")


def hand_reported(**changes: object) -> CaseFacts:
    facts = CaseFacts(
        number="RC-2026-000042", kind="REPORTED", cause=None, direction="MERCHANT_OWES_PAYER", state="OPEN",
        rung="MERCHANT", currency="CNY", at_stake_minor=12345, recovered_minor=0, summary="顾客说多扣了",
        opened_by="a-admin", opened_at=WHEN, closed_at=None, owner="", deadline_at=WHEN, txn_time=None, rrn="",
        order_no="", place=PLACE, people=(), transactions=(), findings=(), timeline=(), alerts=(), actions=(),
        communications=())
    return replace(facts, **changes)  # type: ignore[arg-type]


def test_the_report_speaks_zh_or_en_and_refuses_other_languages_clearly() -> None:
    assert [report_locale(lang) for lang in ("zh", "ZH", "zh-CN", "zh_cn", "en", " en ")] == [
        "zh_CN", "zh_CN", "zh_CN", "zh_CN", "en", "en"]
    for lang in ("fr", "", "english", "<script>"):
        with pytest.raises(InvalidInput, match="use zh or en"):
            report_locale(lang)
    assert report_filename("RC-2026-000042", "zh-CN") == "RC-2026-000042-incident-report-zh.pdf"


def test_codes_become_words_in_both_languages_never_raw() -> None:
    assert (ZH.code("OVERCHARGE"), ZH.code("EXTRA_DIGIT"), ZH.code("PROVIDER_SUPPORT"), ZH.code("cashier")) == (
        "多收", "多输一位", "POS机客服", "收银员")
    assert (EN.code("OVERCHARGE"), EN.code("MERCHANT_OWES_PAYER"), EN.code("action_confirmed"), EN.code(None)) == (
        "Overcharge", "Merchant owes the payer", "Action confirmed", "—")


def test_the_explanation_is_given_in_the_reports_language_and_times_in_the_merchants_zone() -> None:
    both = "收银员可能漏输了小数点 / The cashier probably missed the decimal point [UnionPay 4507]"
    assert ZH.explanation(both) == "收银员可能漏输了小数点"
    assert EN.explanation(both) == "The cashier probably missed the decimal point"
    assert EN.explanation("only one language") == "only one language"
    assert ZH.when(WHEN) == "2026-10-12 10:30"
    assert Words("en", ZoneInfo("Europe/London")).when(WHEN) == "2026-10-12 03:30"
    assert (ZH.money(115200, "CNY"), EN.money(115200, "CNY")) == ("¥1,152.00", "¥1,152.00")


def test_a_case_reported_by_hand_says_what_it_does_not_have() -> None:
    texts = {section.title: section for section in report_sections(hand_reported(), EN)}
    assert texts["Transactions"].parts == ()
    assert texts["Transactions"].empty == "No transaction is linked to this case."
    assert texts["The finding"].empty == "Reported by hand: no reconciliation finding."
    assert texts["Communications"].empty == "No communication recorded."
    zh_titles = [section.title for section in report_sections(hand_reported(), ZH)]
    assert zh_titles[:3] == ["案件概况", "时间与地点", "相关人员"]
    outcome = dict(texts["Outcome"].parts[0].rows)  # type: ignore[union-attr, arg-type]
    assert (outcome["Amount at stake"], outcome["Still outstanding"], outcome["Recovery rate"]) == (
        "¥123.45", "¥123.45", "0%")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=300))
def test_any_typed_text_goes_into_the_pdf_without_breaking_it(typed: str) -> None:
    """Notes, summaries and messages are typed by people: markup characters, Chinese, emoji, long words."""
    note = EventFact(WHEN, "a-admin", "note", None, None, typed)
    facts = hand_reported(summary=typed, timeline=(note,) * 3,
                          communications=(Communication(WHEN, "a-admin", "note", typed),))
    pdf = render_facts(facts, ZH, "2026-10-20 09:05")
    assert pdf.startswith(b"%PDF")
    assert b"/Count " in pdf
