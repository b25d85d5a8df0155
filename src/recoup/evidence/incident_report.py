"""The incident report of a case (记录和报告, SPEC section 2 step 10 and section 8): a PDF in Chinese or
English with the time, the place, the people, the transactions, the finding with its explanation and
reason codes, the timeline of measures, communications, recovery actions with their confirmations and
the outcome with amounts.

Called by the API and the page (recoup.evidence.report_routes), `recoup case report` and the evidence
bundle (both languages). Reads only, in the caller's transaction and scope.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.evidence.incident_facts import DEFAULT_ZONE, gather_facts
from recoup.evidence.incident_pdf import render_facts
from recoup.evidence.incident_words import Words, report_locale, zone_of

PDF_TYPE = "application/pdf"


def report_filename(case_number: str, lang: str) -> str:
    """`RC-2026-000123-incident-report-zh.pdf`"""
    return f"{case_number}-incident-report-{'zh' if report_locale(lang) == 'zh_CN' else 'en'}.pdf"


def render_incident_report(session: Session, principal: Principal, case_number: str, lang: str,
                           now: datetime) -> bytes:
    """The case's incident report as PDF bytes; `lang` is "zh" or "en" (InvalidInput otherwise), `now` the
    time of generation printed in its header. Another tenant's or merchant's case: NotFound."""
    locale = report_locale(lang)
    principal.require(Permission.READ)
    facts = gather_facts(session, principal, case_number)
    words = Words(locale, zone_of(facts.place.timezone, DEFAULT_ZONE))
    return render_facts(facts, words, words.when(now))
