"""Adding and editing merchants and terminals (SPEC section 10, admin): within the admin's tenant, each
field checked first, each change audited with what it was before."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.admin.forms import Problems
from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.merchants.models import Merchant, Terminal
from recoup.merchants.repository import get_merchant, get_terminal

MERCHANT_ID, MCC, TERMINAL_ID = re.compile(r"\d{15}"), re.compile(r"\d{4}"), re.compile(r"[0-9A-Za-z]{8}")


@dataclass
class MerchantForm:
    merchant_id: str = ""
    name: str = ""
    mcc: str = ""
    timezone: str = "Asia/Shanghai"
    city: str = ""


@dataclass
class TerminalForm:
    terminal_id: str = ""
    merchant_id: str = ""
    model: str = ""
    serial: str = ""
    firmware: str = ""
    location: str = ""
    last_maintenance_at: str = ""


def merchant_view(merchant: Merchant) -> dict[str, object]:
    return {"name": merchant.name, "mcc": merchant.mcc, "timezone": merchant.timezone, "city": merchant.city}


def terminal_view(terminal: Terminal) -> dict[str, object]:
    maintained = terminal.last_maintenance_at
    return {"merchant_id": terminal.merchant_id, "model": terminal.model, "serial": terminal.serial,
            "firmware": terminal.firmware, "location": terminal.location,
            "last_maintenance_at": maintained.isoformat() if maintained else None}


def save_merchant(session: Session, principal: Principal, form: MerchantForm, *, existing: str | None) -> Merchant:
    """Add a merchant (existing=None) or edit one of the tenant's."""
    principal.require(Permission.MANAGE_MERCHANTS)
    merchant = get_merchant(session, principal, existing) if existing else None
    problems = Problems()
    if merchant is None:
        if not MERCHANT_ID.fullmatch(form.merchant_id.strip()):
            problems.add("merchant_id", "15 digits")
        elif session.get(Merchant, form.merchant_id.strip()) is not None:
            problems.add("merchant_id", "this merchant exists already")
    _text(problems, "name", form.name, 200, required=True)
    if not MCC.fullmatch(form.mcc.strip()):
        problems.add("mcc", "4 digits")
    if form.timezone.strip() not in available_timezones():
        problems.add("timezone", "a time zone such as Asia/Shanghai")
    _text(problems, "city", form.city, 80)
    problems.check()
    before = merchant_view(merchant) if merchant else None
    if merchant is None:
        merchant = Merchant(merchant_id=form.merchant_id.strip(), tenant_id=principal.tenant_id)
        session.add(merchant)
    merchant.name, merchant.mcc = form.name.strip(), form.mcc.strip()
    merchant.timezone, merchant.city = form.timezone.strip(), form.city.strip()
    session.flush()
    record(session, principal.actor(), "merchant.edit" if before else "merchant.add", "merchant",
           merchant.merchant_id, before=before, after=merchant_view(merchant), tenant_id=principal.tenant_id)
    return merchant


def save_terminal(session: Session, principal: Principal, form: TerminalForm, *, existing: str | None) -> Terminal:
    """Add a terminal to one of the tenant's merchants (existing=None) or edit one of the tenant's."""
    principal.require(Permission.MANAGE_MERCHANTS)
    terminal = get_terminal(session, principal, existing, lock=True) if existing else None
    problems = Problems()
    if terminal is None:
        if not TERMINAL_ID.fullmatch(form.terminal_id.strip()):
            problems.add("terminal_id", "8 letters or digits")
        elif session.get(Terminal, form.terminal_id.strip()) is not None:
            problems.add("terminal_id", "this terminal exists already")
    merchant = session.execute(select(Merchant).where(Merchant.merchant_id == form.merchant_id.strip(),
                                                      Merchant.tenant_id == principal.tenant_id)).scalar_one_or_none()
    if merchant is None:
        problems.add("merchant_id", "choose a merchant of your organisation")
    for name, limit in (("model", 80), ("serial", 80), ("firmware", 80), ("location", 200)):
        _text(problems, name, getattr(form, name), limit)
    maintained = _date(problems, "last_maintenance_at", form.last_maintenance_at)
    problems.check()
    before = terminal_view(terminal) if terminal else None
    if terminal is None:
        terminal = Terminal(terminal_id=form.terminal_id.strip(), tenant_id=principal.tenant_id)
        session.add(terminal)
    terminal.merchant_id = form.merchant_id.strip()
    terminal.model, terminal.serial = form.model.strip(), form.serial.strip()
    terminal.firmware, terminal.location = form.firmware.strip(), form.location.strip()
    terminal.last_maintenance_at = maintained
    session.flush()
    record(session, principal.actor(), "terminal.edit" if before else "terminal.add", "terminal",
           terminal.terminal_id, before=before, after=terminal_view(terminal), tenant_id=principal.tenant_id)
    return terminal


def _text(problems: Problems, field: str, value: str, limit: int, *, required: bool = False) -> None:
    if required and not value.strip():
        problems.add(field, "required")
    elif len(value.strip()) > limit:
        problems.add(field, "at most {count} characters", count=limit)


def _date(problems: Problems, field: str, value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.add(field, "a date such as 2026-11-20")
        return None
