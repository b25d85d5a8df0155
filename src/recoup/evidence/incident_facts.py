"""The facts of a case's incident report (SPEC section 2 step 10, section 8): time, place, people, the
transactions, the findings, the timeline, communications, recovery actions and the outcome.

Read from the session within the caller's scope (`get_case`), as codes, minor units and UTC times: the
layout (recoup.evidence.incident_pdf) turns them into words, money and local times. Every text a person
typed is passed through the card-number guard again, so the report never carries a full card number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.cases.models import Case, CaseEvent
from recoup.cases.repository import alerts_of, findings_of, get_case, timeline, transactions_of
from recoup.merchants.models import Merchant, Terminal
from recoup.recovery.models import RecoveryAction
from recoup.transactions.models import JournalLine, SettlementLine
from recoup.transactions.pan_guard import mask_pans

DEFAULT_ZONE = "Asia/Shanghai"  # Settings.default_timezone's default, for a merchant without a zone
# Timeline events that are communications (notes; the messaging worker's message_sent, message_failed, ...).
COMMUNICATION_PREFIXES = ("note", "message", "reply")


@dataclass(frozen=True)
class Place:
    merchant_id: str
    merchant_name: str
    mcc: str
    city: str
    timezone: str
    terminal_id: str
    terminal_model: str
    terminal_location: str


@dataclass(frozen=True)
class Person:
    """Someone who acted on the case: a user of the tenant (with a role) or the system (no role)."""

    name: str
    display_name: str
    role: str  # a Role value, or "" for the system and unknown names
    did: tuple[str, ...]  # event codes, in the order first done


@dataclass(frozen=True)
class TransactionFact:
    source: str  # journal | settlement
    terminal_id: str
    rrn: str
    txn_type: str
    status: str
    amount_minor: int
    currency: str
    card_masked: str
    txn_time: datetime | None
    order_no: str


@dataclass(frozen=True)
class FindingFact:
    kind: str
    cause: str | None
    charged_minor: int
    expected_minor: int
    difference_minor: int
    currency: str
    confidence: float
    reason_codes: tuple[str, ...]
    explanation: str  # "Chinese / English [codes]", as recoup.reconciliation.explain writes it


@dataclass(frozen=True)
class EventFact:
    at: datetime
    actor: str
    event: str
    from_state: str | None
    to_state: str | None
    note: str


@dataclass(frozen=True)
class AlertFact:
    at: datetime
    kind: str
    message: str
    owner: str


@dataclass(frozen=True)
class ActionFact:
    id: int
    kind: str
    status: str
    amount_minor: int
    currency: str
    requested_by: str
    requested_at: datetime
    reference: str  # the bank's or the provider's reference
    confirmed_at: datetime | None
    confirmed_by: str  # journal:ID, settlement:ID or user:reference
    note: str


@dataclass(frozen=True)
class Communication:
    at: datetime
    actor: str
    channel: str  # an event code: note, message_sent, ...
    text: str


@dataclass(frozen=True)
class CaseFacts:
    number: str
    kind: str
    cause: str | None
    direction: str
    state: str
    rung: str
    currency: str
    at_stake_minor: int
    recovered_minor: int
    summary: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    owner: str
    deadline_at: datetime
    txn_time: datetime | None
    rrn: str
    order_no: str
    place: Place
    people: tuple[Person, ...]
    transactions: tuple[TransactionFact, ...]
    findings: tuple[FindingFact, ...]
    timeline: tuple[EventFact, ...]
    alerts: tuple[AlertFact, ...]
    actions: tuple[ActionFact, ...]
    communications: tuple[Communication, ...]


def communications(session: Session, case: Case) -> list[Communication]:
    """The case's communication log, oldest first.

    The notes of its timeline and the events the messaging domain writes there (COMMUNICATION_PREFIXES):
    each message's delivery (message_sent, message_failed, message_dead, with channel and masked address in
    the note, by recoup.messaging.delivery) and each payer's reply (reply, by recoup.messaging.replies).
    """
    return [Communication(event.at, event.actor, event.event, mask_pans(event.note))
            for event in timeline(session, case.id) if event.event.startswith(COMMUNICATION_PREFIXES)]


def _place(session: Session, case: Case) -> Place:
    merchant = session.execute(select(Merchant).where(Merchant.merchant_id == case.merchant_id)).scalar_one()
    terminal = None
    if case.terminal_id:
        terminal = session.execute(select(Terminal).where(Terminal.terminal_id == case.terminal_id,
                                                          Terminal.tenant_id == case.tenant_id)).scalar_one_or_none()
    return Place(merchant_id=merchant.merchant_id, merchant_name=mask_pans(merchant.name), mcc=merchant.mcc,
                 city=merchant.city, timezone=merchant.timezone or DEFAULT_ZONE, terminal_id=case.terminal_id or "",
                 terminal_model=terminal.model if terminal else "",
                 terminal_location=mask_pans(terminal.location) if terminal else "")


def _people(session: Session, case: Case, events: Sequence[CaseEvent],
            actions: Sequence[RecoveryAction]) -> tuple[Person, ...]:
    """Who did what: everyone on the timeline (and who asked for each action), in order of appearance."""
    done: dict[str, list[str]] = {case.opened_by: []}
    for event in events:
        did = done.setdefault(event.actor, [])
        if event.event not in did:
            did.append(event.event)
    for action in actions:
        did = done.setdefault(action.requested_by, [])
        if "action_requested" not in did:
            did.append("action_requested")
    users = {user.username: user for user in session.execute(
        select(User).where(User.tenant_id == case.tenant_id, User.username.in_(sorted(done)))).scalars()}
    return tuple(Person(name, mask_pans(users[name].display_name) if name in users else "",
                        users[name].role if name in users else "", tuple(did))
                 for name, did in done.items())


def _transaction(line: JournalLine | SettlementLine) -> TransactionFact:
    settled = isinstance(line, SettlementLine)
    status = "SETTLED" if isinstance(line, SettlementLine) else line.status
    return TransactionFact(
        source="settlement" if settled else "journal", terminal_id=line.terminal_id or "", rrn=line.rrn or "",
        txn_type=line.txn_type, status=status, amount_minor=line.amount_minor, currency=line.currency,
        card_masked=mask_pans(line.card_masked or ""), txn_time=line.txn_time, order_no=mask_pans(line.order_no or ""))


def _action(action: RecoveryAction) -> ActionFact:
    return ActionFact(id=action.id, kind=action.kind, status=action.status, amount_minor=action.amount_minor,
                      currency=action.currency, requested_by=action.requested_by, requested_at=action.requested_at,
                      reference=mask_pans(action.bank_reference or action.provider_reference),
                      confirmed_at=action.confirmed_at, confirmed_by=mask_pans(action.confirmed_by),
                      note=mask_pans(action.note))


def gather_facts(session: Session, principal: Principal, case_number: str) -> CaseFacts:
    """The facts of the case the caller may see (NotFound for another tenant's or merchant's case)."""
    case = get_case(session, principal, case_number)
    events = timeline(session, case.id)
    actions = list(session.execute(select(RecoveryAction).where(RecoveryAction.case_id == case.id)
                                   .order_by(RecoveryAction.id)).scalars())
    findings = tuple(FindingFact(f.kind, f.cause, f.charged_minor, f.expected_minor, f.difference_minor, f.currency,
                                 f.confidence, tuple(f.reason_codes or ()), mask_pans(f.explanation))
                     for f in findings_of(session, case.id))
    return CaseFacts(
        number=case.number, kind=case.kind, cause=case.cause, direction=case.direction, state=case.state,
        rung=case.rung, currency=case.currency, at_stake_minor=case.at_stake_minor,
        recovered_minor=case.recovered_minor, summary=mask_pans(case.summary), opened_by=case.opened_by,
        opened_at=case.opened_at, closed_at=case.closed_at, owner=case.owner, deadline_at=case.deadline_at,
        txn_time=case.txn_time, rrn=case.rrn, order_no=mask_pans(case.order_no), place=_place(session, case),
        people=_people(session, case, events, actions),
        transactions=tuple(_transaction(line) for line in transactions_of(session, case)), findings=findings,
        timeline=tuple(EventFact(e.at, e.actor, e.event, e.from_state, e.to_state, mask_pans(e.note))
                       for e in events),
        alerts=tuple(AlertFact(a.created_at, a.kind, mask_pans(a.message), a.owner or a.owner_role)
                     for a in alerts_of(session, case.id)),
        actions=tuple(_action(action) for action in actions), communications=tuple(communications(session, case)),
    )
