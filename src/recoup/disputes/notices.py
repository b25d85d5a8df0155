"""Import of dispute notices (docs/disputes.md): the CSV an acquirer exports from its scheme portal.

Columns: scheme, reference, rrn, reason_code, amount, stage, received_on, due_on (a header line names
them, in any order). Each line opens the dispute on the case of its transaction (opening a case when
there is none) or moves it to the notice's stage; a notice the dispute has already reached changes
nothing, so importing the same file again changes nothing. Any broken line refuses the whole file:
every broken line is named with its reason and nothing is stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.cases.models import Case
from recoup.cases.opening import OpenRequest as CaseRequest
from recoup.cases.opening import open_case, txn_case_key
from recoup.cases.repository import case_for_keys, get_case_by_id
from recoup.db import exclusive
from recoup.disputes import rules as R
from recoup.disputes.models import Dispute
from recoup.disputes.repository import by_reference, open_dispute_of, scheme_rule
from recoup.disputes.service import OpenRequest, advance_dispute, open_on_case, parse_day
from recoup.errors import InvalidInput, NotFound, RecoupError
from recoup.transactions.models import JournalLine, SettlementLine

COLUMNS = ("scheme", "reference", "rrn", "reason_code", "amount", "stage", "received_on", "due_on")
MAX_LINES = 10_000
MAX_BYTES = 5 * 1024 * 1024
_ORDER = {stage: position for position, stage in enumerate(R.Stage)}


@dataclass(frozen=True)
class Notice:
    line: int
    scheme: str
    reference: str
    rrn: str
    reason_code: str
    amount: str
    stage: R.Stage
    received_on: str
    due_on: str


@dataclass(frozen=True)
class ImportReport:
    opened: list[int]
    advanced: list[int]
    unchanged: list[int]
    cases_opened: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"opened": self.opened, "advanced": self.advanced, "unchanged": self.unchanged,
                "cases_opened": self.cases_opened}


class BrokenNotices(InvalidInput):
    """One or more lines cannot be taken: `detail` lists each line and its reason."""


def read_notices(data: bytes) -> list[Notice]:
    """Parse the file; raises BrokenNotices naming every line that is not a notice."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"a notice file has at most {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("a notice file is UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise InvalidInput(f"line 1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    reader.fieldnames = header
    notices: list[Notice] = []
    broken: list[dict[str, object]] = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            raise InvalidInput(f"a notice file has at most {MAX_LINES} lines")
        try:
            notices.append(_notice(number, row))
        except RecoupError as error:
            broken.append({"line": number, "reason": error.message})
    _refuse(broken)
    return notices


def _notice(number: int, row: dict[str, str | None]) -> Notice:
    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    for required in ("scheme", "reference", "rrn", "reason_code", "amount", "stage", "received_on"):
        if not values[required]:
            raise InvalidInput(f"{required} is empty")
    parse_day(values["received_on"], "received_on")
    parse_day(values["due_on"], "due_on")
    if len(values["reference"]) > 40 or len(values["rrn"]) > 12:
        raise InvalidInput("a reference has at most 40 characters and an RRN 12")
    return Notice(number, values["scheme"], values["reference"], values["rrn"], values["reason_code"],
                  values["amount"], R.parse_stage(values["stage"]), values["received_on"], values["due_on"])


def _refuse(broken: list[dict[str, object]]) -> None:
    if broken:
        listed = "; ".join(f"line {item['line']}: {item['reason']}" for item in broken[:20])
        more = f" (and {len(broken) - 20} more)" if len(broken) > 20 else ""
        raise BrokenNotices(f"{len(broken)} broken line(s), nothing was imported: {listed}{more}", detail=broken)


def import_notices(session: Session, principal: Principal, data: bytes, now: datetime) -> ImportReport:
    """Apply every notice of the file in the caller's transaction, or none (BrokenNotices)."""
    principal.require(Permission.DISPUTE)
    notices = read_notices(data)
    report = ImportReport([], [], [], [])
    broken: list[dict[str, object]] = []
    exclusive(session)  # one real transaction around the savepoints (SQLite would commit a released outer one)
    for notice in notices:
        try:
            with session.begin_nested():
                _apply(session, principal, notice, now, report)
        except RecoupError as error:
            broken.append({"line": notice.line, "reason": error.message})
    _refuse(broken)
    return report


def _apply(session: Session, principal: Principal, notice: Notice, now: datetime, report: ImportReport) -> None:
    scheme = scheme_rule(session, principal.tenant_id, notice.scheme).scheme
    dispute = by_reference(session, principal.tenant_id, scheme, notice.reference)
    if dispute is not None and not principal.sees_merchant(dispute.merchant_id):
        raise NotFound(f"no transaction with RRN {notice.rrn} that you can see")
    if dispute is None:
        case = _case_of(session, principal, notice, now, report)
        dispute = open_dispute_of(session, case)
        if dispute is not None and (dispute.reference or dispute.scheme != scheme):
            raise InvalidInput(f"case {case.number} already has dispute {dispute.id} running "
                               f"({dispute.scheme} {dispute.reference or '-'})")
        if dispute is None:
            request = OpenRequest(scheme, notice.stage.value, notice.reason_code, notice.amount, notice.reference,
                                  notice.received_on, notice.due_on, rrn=notice.rrn)
            report.opened.append(open_on_case(session, principal.actor(), case, request, now).id)
            return
        dispute.reference = notice.reference  # the notice names the dispute opened by hand
    _move(session, principal, dispute, notice, now, report)


def _move(session: Session, principal: Principal, dispute: Dispute, notice: Notice, now: datetime,
          report: ImportReport) -> None:
    if dispute.rrn and dispute.rrn != notice.rrn:
        raise InvalidInput(f"reference {notice.reference} is dispute {dispute.id} of RRN {dispute.rrn}, "
                           f"not {notice.rrn}")
    if _ORDER[notice.stage] <= _ORDER[R.Stage(dispute.stage)]:
        report.unchanged.append(dispute.id)
        return
    case = get_case_by_id(session, dispute.case_id, lock=True)
    advance_dispute(session, principal.actor(), case, dispute, notice.stage, now, notice.received_on,
                    notice.due_on or None)
    report.advanced.append(dispute.id)


def _case_of(session: Session, principal: Principal, notice: Notice, now: datetime, report: ImportReport) -> Case:
    """The case of the notice's transaction, opened when there is none."""
    merchant_id = _merchant_of(session, principal, notice.rrn)
    case = case_for_keys(session, principal.tenant_id, [txn_case_key(merchant_id, notice.rrn)])
    if case is not None:
        return case
    opened = open_case(session, principal, CaseRequest(
        rrn=notice.rrn, merchant_id=merchant_id, amount=notice.amount, kind="REPORTED",
        direction="MERCHANT_OWES_PAYER",
        summary=f"{notice.scheme} {notice.stage.value.lower()} {notice.reference} ({notice.reason_code})"), now)
    report.cases_opened.append(opened.number)
    return opened


def _merchant_of(session: Session, principal: Principal, rrn: str) -> str:
    for model in (JournalLine, SettlementLine):
        query = select(model.merchant_id).where(model.tenant_id == principal.tenant_id, model.rrn == rrn)
        if principal.limited_to_merchants:
            query = query.where(model.merchant_id.in_(sorted(principal.merchant_ids)))
        found = session.execute(query.limit(1)).scalar_one_or_none()
        if found is not None:
            return found
    raise NotFound(f"no transaction with RRN {rrn} that you can see")
