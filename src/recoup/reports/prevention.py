"""The prevention lists of a period (issue 14) and their acknowledgements: `prevention_lists` reads (the
caller's unit of work is left untouched); `acknowledge` stores a row of prevention_acknowledgements and its
audit entry (action `prevention.acknowledge`, the entry's key as object id, the note; services flush, the
caller commits). The lists mark an entry acknowledged by its latest acknowledgement. (Before migration
0012 the audit entry was the only record: the migration copied those into the table.)
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.errors import NotFound
from recoup.merchants.repository import get_merchant
from recoup.reports import prevention_repository as sql
from recoup.reports import prevention_rules as rules
from recoup.reports.models import PreventionAcknowledgement
from recoup.reports.repository import Scope
from recoup.reports.rules import Period
from recoup.reports.summary import PreventionRow

ACK_PERMISSION = Permission.RECONCILE  # finance, support, acquirer operations and admins act on the lists


def entries(session: Session, scope: Scope, period: Period, now: datetime) -> list[rules.Entry]:
    """Every list's entries, in the order of rules.LISTS."""
    days = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    totals = sql.terminal_totals(session, scope, period)
    terminals = sql.terminal_facts(session, scope, period, totals)
    today = now.astimezone(ZoneInfo(period.zone)).date()
    low, high = rules.under_limit_band()  # the band recoup.reports.flagged flags
    voids = [flag for flag, sold in sql.voids_of_own_sales(session, scope, period)
             if flag.moment is not None and sold is not None and rules.within(sold, flag.moment)]
    return [
        *rules.due_for_maintenance(terminals, today),
        *rules.standout_terminals(terminals, days),
        *rules.unusual_firmware(terminals),
        *rules.entries_of("training", sql.keying_errors(session, scope, period, rules.TRAINING_MIN_ERRORS), days,
                          "cashier"),
        *rules.entries_of("mcc", sql.mcc_mismatches(session, scope, period, rules.MCC_MIN_FINDINGS),
                          {**days, "in": "settlement"}, ""),
        *rules.grouped("refund_other_card", sql.refunds_to_other_cards(session, scope, period), 1,
                       {**days, "type": "REFUND"}, "terminal"),
        *rules.refund_bursts(sql.burst_refunds(session, scope, period), {"type": "REFUND"}),
        *rules.grouped("refund_large", sql.large_refunds(session, scope, period, rules.LARGE_REFUND_FACTOR,
                                                         rules.MIN_SALES_FOR_AVERAGE, totals), 1,
                       {**days, "type": "REFUND"}, "terminal"),
        *rules.grouped("under_limit", sql.sales_in_band(session, scope, period, rules.UNDER_LIMIT_COUNT),
                       rules.UNDER_LIMIT_COUNT,
                       {**days, "type": "SALE", "min": f"{low / 100:.2f}", "max": f"{high / 100:.2f}"}, "last4"),
        *rules.grouped("void_after_sale", voids, rules.VOID_MIN_COUNT, {**days, "type": "VOID"}, "cashier"),
    ]


def listed(session: Session, tenant_id: int, found: list[rules.Entry]) -> list[rules.Listed]:
    """The entries with their latest acknowledgement, if any."""
    acks = sql.acknowledgements(session, tenant_id, [entry.key for entry in found])
    out = []
    for entry in found:
        ack = acks.get(entry.key)
        out.append(rules.Listed(entry, rules.Acknowledgement(ack.acknowledged_by, ack.acknowledged_at, ack.note)
                                if ack else None))
    return out


def prevention_rows(session: Session, scope: Scope, period: Period, now: datetime) -> list[PreventionRow]:
    """The lists of the report's scope and period, as the report holds them."""
    return [PreventionRow.of(item) for item in listed(session, scope.tenant_id, entries(session, scope, period, now))]


def acknowledge(session: Session, principal: Principal, key: str, note: str, now: datetime) -> rules.Acknowledgement:
    """Acknowledge the entry `key` with a note: an audit entry (the caller commits). A merchant the caller
    cannot see is NotFound, as everywhere."""
    principal.require(ACK_PERMISSION)
    list_key, merchant_id, subject = rules.parse_key(key)
    text = rules.check_note(note)
    if merchant_id:
        get_merchant(session, principal, merchant_id)  # NotFound for a merchant of another tenant, or unseen
    if not merchant_id and principal.limited_to_merchants:
        raise NotFound(f"no prevention entry {key[:60]}")
    entry = record(session, principal.actor(), rules.ACK_ACTION, "prevention_entry", key.strip(), note=text,
                   after={"list": list_key, "merchant_id": merchant_id, "subject": subject}, at=now)
    ack = PreventionAcknowledgement(tenant_id=principal.tenant_id, list_key=list_key, merchant_id=merchant_id,
                                    entry_key=key.strip(), note=entry.note, acknowledged_by=entry.actor,
                                    acknowledged_at=entry.at, audit_seq=entry.seq)
    session.add(ack)
    session.flush()
    return rules.Acknowledgement(ack.acknowledged_by, ack.acknowledged_at, ack.note)
