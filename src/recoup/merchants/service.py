"""Terminal stop and restart (SPEC section 2, step 1)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.db import utcnow
from recoup.errors import Conflict, InvalidInput
from recoup.merchants.models import Terminal
from recoup.merchants.repository import get_terminal


def terminal_state(terminal: Terminal) -> dict[str, object]:
    return {
        "terminal_id": terminal.terminal_id,
        "merchant_id": terminal.merchant_id,
        "status": "STOPPED" if terminal.stopped else "ACTIVE",
        "stopped_at": terminal.stopped_at.isoformat() if terminal.stopped_at else None,
        "stopped_by": terminal.stopped_by or None,
        "reason": terminal.stop_reason or None,
    }


def stop_terminal(session: Session, principal: Principal, terminal_id: str, reason: str) -> Terminal:
    principal.require(Permission.STOP_TERMINAL)
    terminal = get_terminal(session, principal, terminal_id, lock=True)
    if terminal.stopped:
        return terminal  # stopping twice is harmless and answers the same
    before = terminal_state(terminal)
    terminal.stopped = True
    terminal.stopped_at = utcnow()
    terminal.stopped_by = principal.username
    terminal.stop_reason = reason.strip()
    session.flush()
    record(session, principal.actor(), "terminal.stop", "terminal", terminal_id,
           before=before, after=terminal_state(terminal), note=reason)
    return terminal


def restart_terminal(session: Session, principal: Principal, terminal_id: str, reason: str) -> Terminal:
    principal.require(Permission.RESTART_TERMINAL)
    if not reason.strip():
        raise InvalidInput("a reason is required to restart a terminal")
    terminal = get_terminal(session, principal, terminal_id, lock=True)
    if not terminal.stopped:
        raise Conflict(f"terminal {terminal_id} is not stopped")
    before = terminal_state(terminal)
    terminal.stopped = False
    terminal.stopped_at = None
    terminal.stopped_by = ""
    terminal.stop_reason = ""
    session.flush()
    record(session, principal.actor(), "terminal.restart", "terminal", terminal_id,
           before=before, after=terminal_state(terminal), note=reason)
    return terminal
