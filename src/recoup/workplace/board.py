"""Everything one role's dashboard shows, gathered in one place for the page (recoup.web.pages): the case
queue, new findings since the last visit, the week's money, unread alerts, terminals and disputes due soon.

Which parts a role sees is SECTIONS; the auditor's parts carry links only (it reads, it does not act)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Role
from recoup.merchants.models import Merchant, Terminal
from recoup.merchants.repository import scoped_terminals
from recoup.messaging.alerts import AlertView, alerts_for, unread_count
from recoup.workplace.queue import (
    CaseQueue,
    DisputeRow,
    WeekMoney,
    case_queue,
    disputes_due,
    new_findings,
    week_money,
)
from recoup.workplace.rules import new_since, queue_kind
from recoup.workplace.visits import record_visit

ALERTS_SHOWN = 10
TERMINALS_SHOWN = 50
SECTIONS: dict[Role, tuple[str, ...]] = {
    Role.CASHIER: ("report", "queue", "alerts", "terminals", "findings"),
    Role.MERCHANT_FINANCE: ("queue", "findings", "money", "alerts", "stopped"),
    Role.PROVIDER_SUPPORT: ("queue", "alerts", "findings", "stopped"),
    Role.ACQUIRER_OPS: ("disputes", "queue", "alerts", "findings", "stopped"),
    Role.AUDITOR: ("queue", "findings", "money", "stopped"),
    Role.ADMIN: ("admin", "disputes", "queue", "findings", "money", "alerts", "stopped"),
}


@dataclass(frozen=True)
class TerminalRow:
    terminal_id: str
    merchant_name: str
    zone: str
    location: str
    stopped: bool
    stopped_at: datetime | None
    stopped_by: str
    stop_reason: str


@dataclass
class Board:
    sections: tuple[str, ...]
    since: datetime
    first_visit: bool
    scope: str  # whose cases the queue holds: "mine", "rung" or "all" (recoup.workplace.rules.queue_kind)
    queue: CaseQueue = field(default_factory=CaseQueue)
    findings: list[tuple[str, int]] = field(default_factory=list)
    money: list[WeekMoney] = field(default_factory=list)
    alerts: list[AlertView] = field(default_factory=list)
    unread: int = 0
    terminals: list[TerminalRow] = field(default_factory=list)
    disputes: list[DisputeRow] = field(default_factory=list)

    @property
    def new_findings(self) -> int:
        return sum(count for _, count in self.findings)


def terminal_rows(session: Session, principal: Principal, default_zone: str, *,
                  stopped_only: bool) -> list[TerminalRow]:
    """The caller's terminals (stopped first, the latest stop first), or only the stopped ones."""
    query = (scoped_terminals(principal).add_columns(Merchant.name, Merchant.timezone)
             .join(Merchant, Merchant.merchant_id == Terminal.merchant_id))
    if stopped_only:
        query = query.where(Terminal.stopped.is_(True))
    query = query.order_by(Terminal.stopped.desc(), Terminal.stopped_at.desc(), Terminal.terminal_id)
    return [TerminalRow(t.terminal_id, name, merchant_zone or default_zone, t.location, t.stopped, t.stopped_at,
                        t.stopped_by, t.stop_reason)
            for t, name, merchant_zone in session.execute(query.limit(TERMINALS_SHOWN)).all()]


def build_board(session: Session, principal: Principal, now: datetime, default_zone: str) -> Board:
    """The caller's dashboard at `now`; records this visit (the caller commits)."""
    visit = record_visit(session, principal, now)
    board = Board(SECTIONS[principal.role], new_since(visit, now), visit.previous_seen_at is None,
                  queue_kind(principal.role))
    board.queue = case_queue(session, principal, now, default_zone)
    board.findings = new_findings(session, principal, board.since)
    if "money" in board.sections:
        board.money = week_money(session, principal, now, default_zone)
    if "alerts" in board.sections:
        board.unread = unread_count(session, principal)
        board.alerts = [alert for alert in alerts_for(session, principal) if not alert.read][:ALERTS_SHOWN]
    if "terminals" in board.sections or "stopped" in board.sections:
        board.terminals = terminal_rows(session, principal, default_zone, stopped_only="stopped" in board.sections)
    if "disputes" in board.sections:
        board.disputes = disputes_due(session, principal, now, default_zone)
    return board
