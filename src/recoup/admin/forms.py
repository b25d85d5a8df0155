"""What every admin form shares: refusals per field (in the user's language), the audited attempt, the
success messages, and the logged-in user looked up in a short transaction of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.db import utcnow
from recoup.errors import Conflict, InvalidInput, RecoupError
from recoup.web.deps import database, settings, web_principal
from recoup.web.i18n import translate

T = TypeVar("T")
FORM = "_form"  # the key of a refusal that concerns the whole form, not one field


class FormRefused(InvalidInput):
    """One or more fields refused: msgids of the catalogue (English), with the values their braces name."""

    def __init__(self, problems: dict[str, tuple[str, dict[str, object]]]) -> None:
        super().__init__("; ".join(f"{field}: {text.format(**values)}" for field, (text, values) in problems.items()))
        self.problems = problems


class Problems:
    """Collects refused fields; `check()` raises them all at once."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[str, dict[str, object]]] = {}

    def add(self, field: str, text: str, **values: object) -> None:
        self.found.setdefault(field, (text, values))

    def check(self) -> None:
        if self.found:
            raise FormRefused(dict(self.found))


def field_errors(error: RecoupError, locale: str) -> dict[str, str]:
    """Field -> the refusal in the user's language (a service's own message goes to the whole form)."""
    if isinstance(error, FormRefused):
        return {field: translate(locale, text).format(**values) for field, (text, values) in error.problems.items()}
    return {FORM: translate(locale, error.message)}


def attempt(request: Request, principal: Principal, action: str, object_type: str, object_id: str,
            attempted: dict[str, object], work: Callable[[Session], T]) -> T:
    """Run `work` in its own unit of work; a refusal rolls it back and is itself audited (nothing changed)."""
    db = database(request)
    try:
        with db.unit_of_work() as session:
            return work(session)
    except RecoupError as error:
        with db.unit_of_work() as session:
            record(session, principal.actor(), f"{action}.refused", object_type, object_id.strip()[:120] or "-",
                   after=attempted or None, note=error.message[:500], tenant_id=principal.tenant_id)
        raise


REFUSALS = (InvalidInput, Conflict)


def web_user_once(request: Request) -> Principal:
    """The logged-in user, looked up in a short transaction of its own (the change runs in another)."""
    with database(request).unit_of_work() as session:
        return web_principal(request, session, settings(request), utcnow())


WebActor = Annotated[Principal, Depends(web_user_once)]

# After a change, what the next page says (msgids; {subject} is what was changed), kept in the session.
DONE_KEY = "admin_done"
DONE: dict[str, str] = {
    "user.add": "User {subject} added.",
    "user.disable": "User {subject} disabled: their sessions and tokens ended.",
    "user.enable": "User {subject} enabled.",
    "user.password": "The password of {subject} was changed: their sessions ended.",
    "merchant.add": "Merchant {subject} added.",
    "merchant.edit": "Merchant {subject} saved.",
    "terminal.add": "Terminal {subject} added.",
    "terminal.edit": "Terminal {subject} saved.",
    "ladder.set": "The ladder deadlines were saved; the deadlines of open cases follow them.",
    "qr_account.set": "The QR account was saved.",
    "qr_account.reset": "The QR account is back to the default.",
    "webhook.disable": "Webhook {subject} disabled.",
}


def done(request: Request, code: str, subject: str = "") -> None:
    """Remember, for the next page of this browser session, what was just changed (shown once)."""
    request.session[DONE_KEY] = [code, subject[:80]]


def done_message(request: Request, locale: str) -> str:
    """What the change just made says (once), in the user's language; "" when nothing was changed."""
    remembered = request.session.pop(DONE_KEY, None)
    if not isinstance(remembered, list) or len(remembered) != 2 or remembered[0] not in DONE:
        return ""
    return translate(locale, DONE[remembered[0]]).format(subject=remembered[1])
