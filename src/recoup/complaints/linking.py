"""A complaint and the money it is about: candidate transactions, the linked one, and its case.

The candidates are the search of SPEC section 2 step 2 (amount, time window, last four, terminal), always
within the complaint's own merchant, whoever asks. Linking refuses a transaction of another merchant;
opening a case (or joining one) links both ways: the complaint names the case, the case's timeline and
page name the complaint, and the complaint's evidence (the slip photo) is attached to the case.
Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.opening import OpenRequest, open_case
from recoup.cases.recording import add_event
from recoup.cases.repository import get_case
from recoup.complaints.models import Complaint
from recoup.complaints.ports import EVIDENCE, available, function, module
from recoup.complaints.repository import deadline_policy, get_complaint
from recoup.complaints.states import ComplaintEvent, ComplaintState, deadline_for, next_state
from recoup.errors import Conflict, InvalidInput, NotFound
from recoup.money import Money
from recoup.transactions.models import JournalLine
from recoup.transactions.repository import scoped_journal
from recoup.transactions.search import SearchFilters, search_query

TIME_WINDOW = timedelta(hours=3)  # a payer's "about half past two" either way
MAX_CANDIDATES = 20


class OtherMerchant(InvalidInput):
    """A transaction or case of another merchant than the complaint's."""


def candidates(session: Session, principal: Principal, complaint: Complaint) -> list[JournalLine]:
    """The journal lines of the complaint's merchant that fit its facts, the nearest in time first."""
    moment = complaint.occurred_at
    filters = SearchFilters(
        source="journal", merchant=complaint.merchant_id, amount_min=complaint.amount_minor,
        amount_max=complaint.amount_minor, last4=complaint.last4 or None, terminal=complaint.terminal_id or None,
        time_from=moment - TIME_WINDOW if moment else None, time_until=moment + TIME_WINDOW if moment else None,
    )
    query = search_query(principal, filters, newest_first=True).limit(200)
    found = list(session.execute(query).scalars())
    if moment is not None:
        found.sort(key=lambda line: abs((line.txn_time - moment).total_seconds()))
    return found[:MAX_CANDIDATES]


def _worked(session: Session, principal: Principal, complaint: Complaint, action: str, now: datetime,
            after: dict[str, object]) -> None:
    """The complaint is being worked: NEW becomes IN_PROGRESS; audited."""
    before = complaint.state
    state = next_state(ComplaintState(complaint.state), ComplaintEvent.WORK)
    if state.value != before:
        complaint.state = state.value
        complaint.deadline_at = deadline_for(state, complaint.created_at, deadline_policy(session, complaint.tenant_id))
    complaint.updated_at = now
    session.flush()
    record(session, principal.actor(), action, "complaint", str(complaint.id), tenant_id=complaint.tenant_id,
           before={"state": before}, after={"state": complaint.state, **after}, at=now)


def link_transaction(session: Session, principal: Principal, complaint_id: int, journal_id: int,
                     now: datetime) -> Complaint:
    principal.require(Permission.WORK_CASES)
    complaint = get_complaint(session, principal, complaint_id, lock=True)
    line = session.execute(scoped_journal(principal).where(JournalLine.id == journal_id)).scalar_one_or_none()
    if line is None:
        raise NotFound(f"no transaction {journal_id} that you can see")
    if line.merchant_id != complaint.merchant_id:
        raise OtherMerchant("this transaction belongs to another merchant than the complaint's: "
                            "choose one of the complaint's merchant")
    complaint.journal_id = line.id
    _worked(session, principal, complaint, "complaint.link", now, {"journal_id": line.id, "rrn": line.rrn})
    if complaint.case_id is not None:
        case = session.get(Case, complaint.case_id)
        if case is not None:
            add_event(session, case, principal.username, "complaint_transaction",
                      f"RRN {line.rrn}", data={"complaint_id": complaint.id}, now=now)
    return complaint


def open_case_for(session: Session, principal: Principal, complaint_id: int, now: datetime) -> Case:
    """Open the complaint's case (for its linked transaction, else for its merchant and amount); when the
    transaction already has a case, the complaint joins that one."""
    principal.require(Permission.WORK_CASES)
    complaint = get_complaint(session, principal, complaint_id, lock=True)
    _no_case_yet(complaint)
    line = session.get(JournalLine, complaint.journal_id) if complaint.journal_id else None
    amount = Money(complaint.amount_minor, complaint.currency).major if complaint.amount_minor else ""
    request = OpenRequest(
        rrn=line.rrn if line else "", terminal_id=line.terminal_id if line else "", merchant_id=complaint.merchant_id,
        amount="" if line else amount, currency=complaint.currency,
        summary=f"Complaint {complaint.code_prefix}: {complaint.description[:1000]}",
    )
    try:
        case = open_case(session, principal, request, now)
    except Conflict as taken:
        number = taken.detail.get("case") if isinstance(taken.detail, dict) else None
        if not isinstance(number, str):
            raise
        case = get_case(session, principal, number)
    return _attach(session, principal, complaint, case, now)


def join_case(session: Session, principal: Principal, complaint_id: int, case_reference: str,
              now: datetime) -> Case:
    principal.require(Permission.WORK_CASES)
    complaint = get_complaint(session, principal, complaint_id, lock=True)
    _no_case_yet(complaint)
    case = get_case(session, principal, case_reference.strip())
    if case.merchant_id != complaint.merchant_id:
        raise OtherMerchant("this case is another merchant's: a complaint joins a case of its own merchant",
                            detail={"case": case.number})
    return _attach(session, principal, complaint, case, now)


def _no_case_yet(complaint: Complaint) -> None:
    if complaint.case_id is not None:
        raise Conflict("the complaint already has a case", detail={"case_id": complaint.case_id})


def _attach(session: Session, principal: Principal, complaint: Complaint, case: Case, now: datetime) -> Case:
    complaint.case_id = case.id
    _worked(session, principal, complaint, "complaint.case", now, {"case": case.number})
    add_event(session, case, principal.username, "complaint_linked", f"#{complaint.id} ({complaint.code_prefix})",
              data={"complaint_id": complaint.id}, now=now)
    _attach_evidence(session, complaint, case)
    return case


def _attach_evidence(session: Session, complaint: Complaint, case: Case) -> None:
    """The complaint's files (the slip photo) become the case's evidence too."""
    models = module("recoup.evidence.models")
    item = getattr(models, "EvidenceItem", None) if models is not None else None
    if item is None or not hasattr(item, "complaint_id") or not available(EVIDENCE, "attach_to_case"):
        return
    ids = list(session.execute(select(item.id).where(item.complaint_id == complaint.id)).scalars())
    if ids:
        function(EVIDENCE, "attach_to_case")(session, ids, case.id)
