"""What the case page reads once per request and hands to each section that shows it (issue 15, load): the
case, its merchant and the case's rows (cases.schemas.read_case), so that no section reads again a table the
page already read (the evidence section's records come from the timeline and actions of the case's own view).
Built by cases.web._draw_case; the sections (evidence, messaging, disputes) take it instead of the case."""

from __future__ import annotations

from dataclasses import dataclass

from recoup.auth.principal import Principal
from recoup.cases.models import Case
from recoup.cases.schemas import CaseReads
from recoup.merchants.models import Merchant


@dataclass(frozen=True)
class CasePage:
    case: Case
    principal: Principal
    merchant: Merchant | None  # None: the merchant row is gone (the page shows the case's merchant id)
    reads: CaseReads
