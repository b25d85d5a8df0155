"""The background worker (`recoup worker`; also a thread of `recoup serve` on the embedded default).

One pass: escalate or alert each case past its rung's deadline, perform recoveries whose funds
arrived, finish actions a crash left pending, alert on recoveries no file confirmed in time,
deliver due webhooks and send the due messages of the outbox (e-mail, SMS: recoup.messaging.delivery).
Each case or action is locked while it is handled and its state says what was done, so every
overdue thing is acted on exactly once, even with several workers.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

import psycopg
import typer
from psycopg import errors as pg_errors
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from recoup.audit.checkpoints import checkpoint_after_pass
from recoup.audit.service import Actor
from recoup.cases.ladder import OverdueAction, deadline_for, overdue_action
from recoup.cases.repository import due_case_ids, get_case_by_id, ladder_config
from recoup.cases.service import escalate, on_ladder, raise_alert
from recoup.complaints.deadlines import complaint_pass
from recoup.config import Settings, get_settings
from recoup.context import CliContext
from recoup.db import Database, utcnow
from recoup.disputes.deadlines import dispute_pass
from recoup.errors import RecoupError
from recoup.keys.ring import KeyRing
from recoup.messaging.delivery import OutboxReport
from recoup.messaging.delivery import deliver_due as deliver_messages
from recoup.recovery.confirm import alert_unconfirmed
from recoup.recovery.execution import fund_waiting, resume_stale
from recoup.recovery.provider import PaymentProvider
from recoup.reports.mailing import report_pass
from recoup.webhooks.delivery import DeliveryReport, deliver_due

log = logging.getLogger("recoup.worker")


@dataclass
class PassReport:
    escalated: int = 0
    alerted: int = 0
    funded: int = 0
    resumed: int = 0
    unconfirmed_alerts: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    disputes_due: int = 0
    complaints_escalated: int = 0
    reports_queued: int = 0

    def summary(self) -> str:
        return (f"{self.escalated} escalated, {self.alerted} alerted, {self.funded} funded, {self.resumed} resumed, "
                f"{self.unconfirmed_alerts} unconfirmed recoveries alerted, {self.webhooks_delivered} webhooks "
                f"delivered ({self.webhooks_failed} to retry), {self.messages_sent} messages sent "
                f"({self.messages_failed} failed), {self.disputes_due} scheme disputes expired or due soon, "
                f"{self.complaints_escalated} complaints escalated, {self.reports_queued} report mails queued")


def handle_overdue(database: Database, case_id: int, now: datetime) -> OverdueAction:
    """Escalate or alert one overdue case, at most once per deadline; returns what was done."""
    with database.unit_of_work() as session:
        case = get_case_by_id(session, case_id, lock=True)
        config = ladder_config(session, case.tenant_id)
        due = overdue_action(on_ladder(case), now, config)
        deadline = deadline_for(case.rung, case.stage, case.rung_started_at, case.txn_time, config)
        case.deadline_at = deadline
        if due is OverdueAction.ESCALATE:
            escalate(session, case, Actor("worker", case.tenant_id, "worker"),
                     f"the {case.rung} deadline {deadline:%Y-%m-%d %H:%M} UTC passed", now, config)
        elif due is OverdueAction.ALERT and case.alerted_deadline_at != deadline:
            case.alerted_deadline_at = deadline
            raise_alert(session, case, "DEADLINE_PASSED", f"the {case.stage or case.rung} deadline "
                        f"{deadline:%Y-%m-%d %H:%M} UTC passed; the case is {case.state}", now)
        else:
            return OverdueAction.NONE
        return due


def run_pass(database: Database, now: datetime | None = None, provider: PaymentProvider | None = None,
             keys: KeyRing | None = None, settings: Settings | None = None,
             stop: threading.Event | None = None) -> PassReport:
    """One pass of everything due at `now`; `keys` open the webhook secrets (default: the settings');
    `settings` say how messages leave (SMTP, SMS gateway; default: the environment's). Once `stop` is set
    the pass ends after the item under way: nothing is left half done, and what is left stays due."""
    one = _Pass(database, now, provider, keys, settings, stop.is_set if stop is not None else (lambda: False))
    for phase in one.phases():  # each phase commits what it did item by item; a stop waits for the phase under way
        if one.stopping():
            break
        phase()
    checkpoint_after_pass(database, now)  # after every commit of the pass: recoup.audit.checkpoints
    return one.report


@dataclass
class _Pass:
    """The state of one pass; each phase is a method that does its part and counts it in `report`."""

    database: Database
    now: datetime | None
    provider: PaymentProvider | None
    keys: KeyRing | None
    given_settings: Settings | None
    stopping: Callable[[], bool]
    report: PassReport = field(default_factory=PassReport)
    moment: datetime = field(init=False)  # one "now" for the whole pass

    def __post_init__(self) -> None:
        self.moment = self.now or utcnow()

    def phases(self) -> tuple[Callable[[], None], ...]:
        return (self.overdue_cases, self.recoveries, self.disputes_and_complaints, self.webhooks,
                self.report_mails, self.messages)

    def settings(self) -> Settings:
        return self.given_settings or get_settings()

    def overdue_cases(self) -> None:
        with self.database.unit_of_work() as session:
            due = due_case_ids(session, self.moment)
        for case_id in due:
            if self.stopping():  # SIGTERM: the cases not reached stay due for the next worker
                return
            try:
                done = handle_overdue(self.database, case_id, self.moment)
            except RecoupError as error:
                log.warning("case %s: %s", case_id, error.message)
                continue
            self.report.escalated += done is OverdueAction.ESCALATE
            self.report.alerted += done is OverdueAction.ALERT

    def recoveries(self) -> None:
        self.report.funded = fund_waiting(self.database, self.provider, self.now)
        self.report.resumed = resume_stale(self.database, self.provider, self.now)
        self.report.unconfirmed_alerts = alert_unconfirmed(self.database, self.now)

    def disputes_and_complaints(self) -> None:
        self.report.disputes_due = dispute_pass(self.database, self.moment)
        self.report.complaints_escalated = complaint_pass(self.database, self.moment)

    def webhooks(self) -> None:
        deliveries: DeliveryReport = deliver_due(self.database, now=self.now, keys=self.keys)
        self.report.webhooks_delivered, self.report.webhooks_failed = deliveries.delivered, deliveries.failed

    def report_mails(self) -> None:
        self.report.reports_queued = report_pass(self.database, self.moment, self.settings()).queued

    def messages(self) -> None:
        sent: OutboxReport = deliver_messages(self.database, self.settings(), now=self.now, stop=self.stopping)
        self.report.messages_sent, self.report.messages_failed = sent.sent, sent.failed + sent.dead


def run_forever(database: Database, interval_seconds: float, stop: threading.Event,
                keys: KeyRing | None = None) -> None:
    """Pass after pass until `stop` is set; a failing pass is logged and the next one runs. A database that
    cannot be reached (restarting, a network cut) is said in one line, not a traceback: every item is
    committed on its own and claimed jobs are released by their lease, so the next pass simply resumes."""
    unreachable = False
    while not stop.is_set():
        try:
            report = run_pass(database, keys=keys, stop=stop)
            if unreachable:
                log.warning("the database answers again: the worker resumes")
                unreachable = False
            if report != PassReport():
                log.info("worker pass: %s", report.summary())
        except DBAPIError as error:
            if not _unreachable(error, database.engine.dialect):
                log.exception("worker pass failed")
            elif not unreachable:  # once per outage, not once per pass
                log.warning("the database cannot be reached (%s): the worker retries every %g s, nothing is lost",
                            _first_line(error), interval_seconds)
                unreachable = True
        except Exception:  # the worker must outlive one bad pass
            log.exception("worker pass failed")
        stop.wait(interval_seconds)


# PostgreSQL going away, by SQLSTATE: class 08 (connection exception: psycopg's ConnectionException,
# ConnectionFailure, ...), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up
# or shutting down). psycopg raises each as its own subclass of OperationalError.
_PG_GONE_CLASS = "08"
_PG_GONE = frozenset({pg_errors.AdminShutdown.sqlstate, pg_errors.CrashShutdown.sqlstate,
                      pg_errors.CannotConnectNow.sqlstate})


def _unreachable(error: DBAPIError, dialect: Dialect | None = None) -> bool:
    """Whether the driver lost (or could not open) its connection, as opposed to refusing a statement: by
    SQLAlchemy's disconnect detection (the pool invalidated the connection; the dialect's is_disconnect), then
    by the driver's error classes and codes, never by the wording of the message."""
    if error.connection_invalidated:
        return True
    cause = error.orig
    driver = dialect.dbapi if dialect is not None else None
    if dialect is not None and driver is not None and isinstance(cause, driver.Error) \
            and dialect.is_disconnect(cause, None, None):
        return True
    if isinstance(cause, psycopg.OperationalError):  # no SQLSTATE: the client found no server to answer
        code = cause.sqlstate
        return code is None or code.startswith(_PG_GONE_CLASS) or code in _PG_GONE
    if isinstance(cause, sqlite3.OperationalError):
        return cause.sqlite_errorcode == sqlite3.SQLITE_CANTOPEN
    return False


def _first_line(error: DBAPIError) -> str:
    return (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0][:200]


def start_in_thread(database: Database, interval_seconds: float = 30.0,
                    keys: KeyRing | None = None) -> threading.Event:
    """Run the worker beside the web server; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(database, interval_seconds, stop, keys), name="recoup-worker",
                     daemon=True).start()
    return stop


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        once: Annotated[bool, typer.Option("--once", help="run one pass and exit")] = False,
        interval: Annotated[float, typer.Option(help="seconds between passes")] = 30.0,
    ) -> None:
        """Escalate or alert overdue cases, perform funded recoveries, deliver webhooks and messages."""
        ctx = CliContext()
        from recoup.scratch import sweep as sweep_scratch
        from recoup.web.uploads import sweep_uploads, uploads_folder

        sweep_uploads(uploads_folder(ctx.settings.var_dir))  # uploads a killed server left, card numbers and all
        sweep_scratch()  # scratch folders (DuckDB spill, import pieces) a killed process left
        if once:  # the webhook secrets open with the settings' key ring, re-read after a rotation
            typer.echo(f"worker pass: {run_pass(ctx.database, settings=ctx.settings).summary()}")
            return
        typer.echo(f"worker running, a pass every {interval:g} s (Ctrl-C or SIGTERM stops it)")
        stop = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):  # finish the item under way, then leave
            signal.signal(number, lambda _signum, _frame: stop.set())
        run_forever(ctx.database, max(interval, 0.5), stop)
        ctx.database.dispose()
        typer.echo("worker stopped")
