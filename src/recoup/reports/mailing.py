"""Scheduled reports leave (issue 14): `report_pass(database, now)` is the worker's job, run before its
messages phase.

For each enabled schedule whose latest due period (schedule_rules.due_period) is not sent yet, one
transaction counts the summary, renders its PDF once per language, puts one outbox e-mail per recipient
(due at once, the PDF attached: messaging.attachments) and records the period in report_periods_sent,
whose UNIQUE (schedule, period) key (and each message's dedupe key) make a period queued exactly once,
even when two workers race or one is killed mid-way (then nothing of that period was committed).

Nothing is sent here: the outbox's one sender (messaging.delivery.deliver_due) delivers report mails like
any other message, with their files, leases, retries, "retry now" and audit entries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recoup.audit.service import Actor, record
from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.config import Settings, get_settings
from recoup.db import Database, exclusive
from recoup.errors import RecoupError
from recoup.keys.ring import KeyRing
from recoup.merchants.models import Merchant
from recoup.messaging.attachments import attach
from recoup.messaging.outbox import enqueue
from recoup.reports.models import ReportSchedule, ReportSent
from recoup.reports.rollup import refresh as refresh_rollups
from recoup.reports.rules import DEFAULT_ZONE
from recoup.reports.schedule_rules import DuePeriod, Frequency, due_period, language_of
from recoup.reports.schedules import Recipient, recipients
from recoup.reports.service import summary
from recoup.reports.summary import Summary
from recoup.reports.tables import money_formatter, translator

log = logging.getLogger("recoup.reports")
WORKER = Actor("worker", None, "worker")


@dataclass
class ReportPassResult:
    queued: int = 0  # messages put in the outbox by this pass


def report_pass(database: Database, now: datetime, settings: Settings | None = None) -> ReportPassResult:
    """Count the new journal lines into the report rollups and queue every due scheduled report; the
    worker's messages phase sends them."""
    result = ReportPassResult()
    chosen = settings or get_settings()
    refresh_rollups(database)
    with database.unit_of_work() as session:
        ids = list(session.execute(select(ReportSchedule.id).where(ReportSchedule.enabled.is_(True))
                                   .order_by(ReportSchedule.id)).scalars())
    for schedule_id in ids:
        try:
            result.queued += queue_due(database, schedule_id, now, chosen.keyring())
        except IntegrityError:
            log.info("report schedule %s: another worker queued this period", schedule_id)
        except RecoupError as error:
            log.warning("report schedule %s: %s", schedule_id, error.message)
    return result


def queue_due(database: Database, schedule_id: int, now: datetime, keys: KeyRing | None = None) -> int:
    """Queue the schedule's latest due period, if not queued yet; returns the number of messages queued."""
    with database.unit_of_work() as session:
        schedule = session.get(ReportSchedule, schedule_id)
        if schedule is None or not schedule.enabled:
            return 0
        due = due_period(Frequency(schedule.frequency), schedule.hour, schedule.minute, schedule.weekday,
                         _zone(session, schedule), now)
        if schedule.last_period == due.key or _already_sent(session, schedule.id, due.key):
            return 0
        people = recipients(session, schedule)
        found = summary(session, _reader(schedule), due.first, due.last, merchant_id=schedule.merchant_id, now=now)
        names = merchant_names(session, found.merchant_ids)
        exclusive(session)
        sent = ReportSent(schedule_id=schedule.id, period=due.key, first_day=due.first, last_day=due.last,
                          recipients=len(people), queued_at=now)
        session.add(sent)
        session.flush()
        pdfs: dict[str, bytes] = {}
        for person in people:
            _queue_one(session, schedule, (found, names), due, person, pdfs, now, keys)
        schedule.last_period = due.key
        record(session, WORKER, "report.queued", "report_schedule", str(schedule.id), tenant_id=schedule.tenant_id,
               after={"period": due.key, "recipients": [person.username for person in people]}, at=now)
        return len(people)


def _queue_one(session: Session, schedule: ReportSchedule, counted: tuple[Summary, dict[str, str]], due: DuePeriod,
               person: Recipient, pdfs: dict[str, bytes], now: datetime, keys: KeyRing | None) -> None:
    from recoup.reports.pdf import render_pdf

    found, names = counted
    lang = language_of(person.locale)
    if lang not in pdfs:
        pdfs[lang] = render_pdf(found, lang)
    subject, body = mail_text(found, schedule.frequency, lang, names)
    message = enqueue(session, tenant_id=schedule.tenant_id, channel="email", to=person.email, subject=subject,
                      body=body, now=now, purpose="report", created_by=WORKER.name, keys=keys,
                      dedupe_key=f"report:{schedule.id}:{due.key}:{person.username}")
    attach(session, message, f"recoup-report-{due.first.isoformat()}-{due.last.isoformat()}.pdf",
           "application/pdf", pdfs[lang], now)


def merchant_names(session: Session, merchant_ids: Sequence[str]) -> dict[str, str]:
    """merchant id -> its name, for the merchants a report is about."""
    if not merchant_ids:
        return {}
    rows = session.execute(select(Merchant.merchant_id, Merchant.name).where(
        Merchant.merchant_id.in_(list(merchant_ids)))).tuples()
    return {merchant_id: name for merchant_id, name in rows if name}


def scope_words(found: Summary, lang: str, names: Mapping[str, str] | None = None) -> str:
    """Whom the report is about, as the recipient reads it: each merchant by its name, with its id in
    parentheses (two merchants may have the same name), or all merchants in the recipient's language."""
    if not found.merchant_ids:
        return translator(lang)("All merchants")
    known = names or {}
    return ", ".join(f"{known[merchant_id]} ({merchant_id})" if known.get(merchant_id) else merchant_id
                     for merchant_id in found.merchant_ids)


def mail_text(found: Summary, frequency: str, lang: str, names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The e-mail's subject and body in `lang`: the period, the scope (merchants by name: `names`, merchant id ->
    name) and the totals (the PDF has the rest)."""
    t = translator(lang)
    money = money_formatter(lang, found.currency)
    title = t("Daily report") if frequency == Frequency.DAILY.value else t("Weekly report")
    period = found.date_from.isoformat() if found.date_from == found.date_to else \
        f"{found.date_from.isoformat()} – {found.date_to.isoformat()}"
    scope = scope_words(found, lang, names)
    totals = found.totals
    lines = [f"{title} · {period} · {scope}", "",
             f"{t('Findings')}: {totals.findings}", f"{t('Cases')}: {totals.cases}",
             f"{t('Amount at stake')}: {money(totals.amount_at_stake_minor)}",
             f"{t('Recovered')}: {money(totals.amount_recovered_minor)}",
             f"{t('Recovery rate')}: {totals.recovery_rate * 100:.1f}%",
             f"{t('Open past deadline')}: {totals.open_past_deadline}", "",
             t("The full report is attached as a PDF.")]
    return f"Recoup · {title} · {period} · {scope}", "\n".join(lines) + "\n"


def _zone(session: Session, schedule: ReportSchedule) -> str:
    merchant = session.get(Merchant, schedule.merchant_id) if schedule.merchant_id else None
    return (merchant.timezone if merchant is not None else "") or DEFAULT_ZONE


def _reader(schedule: ReportSchedule) -> Principal:
    """Who counts the report: the worker, tenant-wide (the schedule's merchant narrows it)."""
    return Principal(user_id=0, username=WORKER.name, tenant_id=schedule.tenant_id, role=Role.ACQUIRER_OPS,
                     merchant_ids=frozenset(), origin="worker")


def _already_sent(session: Session, schedule_id: int, period: str) -> bool:
    return session.execute(select(ReportSent.id).where(ReportSent.schedule_id == schedule_id,
                                                       ReportSent.period == period)).first() is not None
