"""Pages of the messaging domain."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.models import Case

router = APIRouter()


def case_section(session: Session, principal: Principal, case: Case) -> dict[str, object]:  # noqa: ARG001
    """What templates/messaging/_case_section.html shows on the case page (cases.web.case_page calls it)."""
    return {}
