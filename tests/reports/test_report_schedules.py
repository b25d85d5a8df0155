"""Scheduled reports (issue 14): the schedule rules, `recoup report schedule`, and a daily summary that
reaches a real SMTP server on loopback with its PDF exactly once through the outbox's one sender, though
the worker died mid-way; "retry now" of a report sends its PDF too."""

from __future__ import annotations

import email.message
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.messaging.conftest import Received, free_port, smtp_server, with_smtp  # noqa: F401 (smtp_server: a fixture)
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World
from tests.support.report_world import add_second_merchant, generate, store

from recoup.audit.models import AuditEntry
from recoup.auth.models import User
from recoup.auth.roles import Role
from recoup.auth.service import principal_for
from recoup.cases.worker import run_pass
from recoup.config import Settings
from recoup.errors import Forbidden, InvalidInput, NotFound
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import retry_now
from recoup.messaging.transports import Outgoing, SmtpSender
from recoup.reports.mailing import report_pass
from recoup.reports.models import ReportSent
from recoup.reports.schedule_rules import Frequency, due_period, parse_at, parse_weekday
from recoup.reports.schedules import set_schedule
from recoup.reports.service import summary

MERCHANT_A, MERCHANT_B = OBJECTS["A"][0], OBJECTS["B"][0]
# 2026-03-11 09:00 in Shanghai: the daily schedule at 08:00 is due with 2026-03-10 (in report_world's data)
NOW = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


# --- the rules ------------------------------------------------------------------------------------------

def test_daily_and_weekly_periods() -> None:
    assert due_period(Frequency.DAILY, 8, 0, None, "Asia/Shanghai", NOW).key == "daily:2026-03-10"
    before_eight = NOW - timedelta(hours=2)  # 07:00 local: yesterday's report is not due yet
    assert due_period(Frequency.DAILY, 8, 0, None, "Asia/Shanghai", before_eight).key == "daily:2026-03-09"
    # 2026-03-11 is a Wednesday: the Monday 07:30 schedule sent 2026-03-02..08 on Monday the 9th
    weekly = due_period(Frequency.WEEKLY, 7, 30, 0, "Asia/Shanghai", NOW)
    assert (weekly.first, weekly.last) == (date(2026, 3, 2), date(2026, 3, 8))


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
       st.integers(0, 23), st.integers(0, 59), st.integers(0, 6), st.sampled_from(["Asia/Shanghai", "UTC"]))
def test_the_period_due_is_the_latest_whose_sending_time_passed(now: datetime, hour: int, minute: int, weekday: int,
                                                                zone: str) -> None:
    for frequency in Frequency:
        due = due_period(frequency, hour, minute, weekday if frequency is Frequency.WEEKLY else None, zone, now)
        sent_on = due.last + timedelta(days=1)
        sending = datetime.combine(sent_on, datetime.min.time(), ZoneInfo(zone)).replace(hour=hour, minute=minute)
        step = timedelta(days=1 if frequency is Frequency.DAILY else 7)
        assert sending <= now < sending + step + timedelta(hours=1)  # +1 h: a DST day is 25 hours long
        assert (due.last - due.first).days + 1 == step.days
        if frequency is Frequency.WEEKLY:
            assert sent_on.weekday() == weekday


@pytest.mark.parametrize("text", ["25:00", "8", "12:60", "-1:00", "午时"])
def test_an_impossible_time_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_at(text)


def test_weekdays() -> None:
    assert (parse_weekday("Mon"), parse_weekday("7"), parse_weekday("friday")) == (0, 6, 4)
    with pytest.raises(InvalidInput, match="weekday"):
        parse_weekday("someday")


# --- the service and the command ------------------------------------------------------------------------

def _principal(world: World, tenant: str, role: Role):  # type: ignore[no-untyped-def]
    with world.database.unit_of_work() as session:
        user = session.execute(select(User).where(User.username == World.username(tenant, role))).scalar_one()
        return principal_for(session, user, "test")


def test_who_may_set_which_schedule(world: World) -> None:
    finance, cashier = _principal(world, "A", Role.MERCHANT_FINANCE), _principal(world, "A", Role.CASHIER)
    with world.database.unit_of_work() as session:
        with pytest.raises(NotFound):  # another tenant's merchant does not exist for A
            set_schedule(session, finance, MERCHANT_B, Frequency.DAILY, (8, 0), None, NOW)
        with pytest.raises(Forbidden):  # a merchant role cannot schedule the tenant's report
            set_schedule(session, finance, None, Frequency.DAILY, (8, 0), None, NOW)
        with pytest.raises(Forbidden):
            set_schedule(session, cashier, MERCHANT_A, Frequency.DAILY, (8, 0), None, NOW)
        with pytest.raises(InvalidInput, match="weekday"):
            set_schedule(session, finance, MERCHANT_A, Frequency.DAILY, (8, 0), 2, NOW)
        done = set_schedule(session, finance, MERCHANT_A, Frequency.WEEKLY, (7, 30), None, NOW)
        assert (done.weekday, done.enabled) == (0, True)
        audited = session.execute(select(AuditEntry).where(AuditEntry.action == "report_schedule.set")).scalar_one()
        assert audited.actor == finance.username


def test_the_schedule_command(world: World, database_url: str, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return run_in_process(["report", "schedule", *args], database_url, monkeypatch, capsys)

    done = run("set", "--merchant", MERCHANT_A, "--weekly", "--weekday", "fri", "--at", "07:30")
    assert done.code == 0
    assert "weekly, fri 07:30" in done.out
    assert run("set", "--daily", "--at", "08:00").code == 0
    listed = run("list")
    assert "tenant\tdaily 08:00 (Asia/Shanghai)\ton\t" in listed.out
    assert f"{MERCHANT_A} 商户A\tweekly, fri 07:30 (Asia/Shanghai)\ton\t" in listed.out  # named, zone said
    assert run("disable", "--merchant", MERCHANT_A, "--weekly").code == 0
    assert f"{MERCHANT_A} 商户A\tweekly, fri 07:30 (Asia/Shanghai)\toff\t" in run("list").out
    for args, said in ((("set", "--daily", "--at", "25:00"), "HH:MM"),
                       (("set", "--merchant", "999999999999999", "--daily", "--at", "08:00"), "no merchant"),
                       (("set", "--merchant", MERCHANT_B, "--daily", "--at", "08:00"), "no merchant"),
                       (("set", "--at", "08:00"), "--daily or --weekly"),
                       (("disable", "--merchant", MERCHANT_A, "--daily"), "no daily report schedule")):
        refused = run(*args)
        assert refused.code == 1, args
        assert said in refused.err, args
        assert "Traceback" not in refused.err


# --- the mail -------------------------------------------------------------------------------------------

class _DiesOnce:
    """The e-mail transport of a worker killed in the middle of sending: the first send never returns."""

    def __init__(self, settings: Settings) -> None:
        self.real, self.died = SmtpSender(settings), False

    def send(self, message: Outgoing) -> str:
        if not self.died:
            self.died = True
            raise SystemExit("killed")
        return self.real.send(message)


def _subject(mail: email.message.Message) -> str:
    return str(make_header(decode_header(str(mail["Subject"]))))


def _text_of(mail: email.message.Message) -> str:
    part = next(part for part in mail.walk() if part.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


def _pdf_of(mail: email.message.Message) -> bytes:
    parts = [part for part in mail.walk() if part.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    assert str(parts[0].get_filename()).endswith(".pdf")
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def _daily_for_finance(world: World) -> None:
    with world.database.unit_of_work() as session:
        session.execute(update(User).where(User.username == "a-merchant_finance")
                        .values(email="finance@shop.test", locale="en"))
        session.execute(update(User).where(User.username == "a-acquirer_ops").values(email="ops@bank.test"))
        set_schedule(session, _principal(world, "A", Role.ADMIN), MERCHANT_A, Frequency.DAILY, (8, 0), None, NOW)


def _report_message(world: World) -> OutboxMessage:
    with world.database.unit_of_work() as session:
        return session.execute(select(OutboxMessage)).scalar_one()


def test_the_daily_summary_arrives_once_with_its_pdf_after_a_restart(
        world: World, settings: Settings, smtp_server: tuple[int, Received]) -> None:  # noqa: F811
    port, received = smtp_server
    mailing = with_smtp(settings, port)
    add_second_merchant(world)
    store(world, generate(seed=14))
    _daily_for_finance(world)
    assert report_pass(world.database, NOW, mailing).queued == 1  # queued due now, sent by the outbox's sender
    assert _report_message(world).next_attempt_at == NOW
    with pytest.raises(SystemExit):  # the worker claimed it, then died before the server took it
        deliver_due(world.database, mailing, now=NOW, senders={"email": _DiesOnce(mailing)})
    assert received.messages == []
    later = NOW + timedelta(minutes=5)  # the lease ran out: the restarted worker's pass sends it
    restarted = run_pass(world.database, now=later, settings=mailing)
    assert (restarted.reports_queued, restarted.messages_sent) == (0, 1)
    again = run_pass(world.database, now=later + timedelta(hours=3), settings=mailing)
    assert (again.reports_queued, again.messages_sent) == (0, 0)  # same period: nothing more
    assert len(received.messages) == 1
    mail = received.messages[0]
    assert mail["To"] == "finance@shop.test"  # the merchant's finance user only, in English
    assert _subject(mail) == f"Recoup · Daily report · 2026-03-10 · 商户A ({MERCHANT_A})"
    day = date(2026, 3, 10)
    with world.database.unit_of_work() as session:
        counted = summary(session, _principal(world, "A", Role.ADMIN), day, day, merchant_id=MERCHANT_A, now=NOW)
    assert counted.totals.findings > 0
    assert f"Findings: {counted.totals.findings}\nCases: {counted.totals.cases}\n" in _text_of(mail)
    assert _pdf_of(mail).startswith(b"%PDF")
    message = _report_message(world)
    assert (message.state, message.attempts, message.purpose) == ("SENT", 1, "report")
    with world.database.unit_of_work() as session:
        assert session.execute(select(ReportSent.period)).scalars().all() == ["daily:2026-03-10"]
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "message.sent")).scalar_one()


def test_retry_now_sends_a_report_with_its_pdf(world: World, settings: Settings,
                                               smtp_server: tuple[int, Received]) -> None:  # noqa: F811
    port, received = smtp_server
    _daily_for_finance(world)
    assert report_pass(world.database, NOW, settings).queued == 1
    nowhere = with_smtp(settings, free_port())  # no server listens there: the attempt fails
    assert deliver_due(world.database, nowhere, now=NOW).failed == 1
    failed = _report_message(world)
    assert (failed.state, failed.attempts) == ("FAILED", 1)
    later = NOW + timedelta(seconds=30)  # before the backoff ends: only "retry now" sends it
    mailing = with_smtp(settings, port)
    assert deliver_due(world.database, mailing, now=later).sent == 0
    with world.database.unit_of_work() as session:
        message = session.get(OutboxMessage, failed.id)
        assert message is not None
        retry_now(message, later)
    assert deliver_due(world.database, mailing, now=later).sent == 1
    assert len(received.messages) == 1
    assert _pdf_of(received.messages[0]).startswith(b"%PDF")
    assert _report_message(world).state == "SENT"


def test_the_tenant_summary_goes_to_operations_users_in_their_language(
        world: World, settings: Settings, smtp_server: tuple[int, Received]) -> None:  # noqa: F811
    port, received = smtp_server
    with world.database.unit_of_work() as session:
        some = ["a-acquirer_ops", "a-merchant_finance", "b-acquirer_ops"]
        session.execute(update(User).where(User.username.in_(some)).values(email="someone@bank.test"))
        session.execute(update(User).where(User.username == "a-provider_support").values(email="support@psp.test",
                                                                                          locale="en"))
        set_schedule(session, _principal(world, "A", Role.ADMIN), None, Frequency.WEEKLY, (7, 0), 2, NOW)
    mailing = with_smtp(settings, port)
    assert report_pass(world.database, NOW, mailing).queued == 2  # A's operations and support users only
    assert deliver_due(world.database, mailing, now=NOW).sent == 2
    subjects = sorted(_subject(mail) for mail in received.messages)
    assert "Weekly report" in subjects[0]
    assert "周报" in subjects[1]
    assert all(_pdf_of(mail).startswith(b"%PDF") for mail in received.messages)
