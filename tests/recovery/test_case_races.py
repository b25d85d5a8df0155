"""Issue 10, concurrency on one case: refunds, state changes and notes (and notes on a case that does not
exist) fired at once over the API. No 500, every attempt on the audit trail exactly once, the chain
intact, and the timeline's moves chain up to the case's state (no lost update)."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.recovery.sale_world import SALE_RRN, audit_actions, counting_minor, ledger, sale_with_three_cases
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.cases.models import Case, CaseEvent

ATTEMPT_ACTIONS = frozenset({"case.note", "case.note.refused", "case.move", "case.move.refused",
                             "case.action_requested", "case.refund.refused"})
TARGETS = ("AWAITING_MERCHANT", "INVESTIGATING")


def _request(client: TestClient, token: str, case: str, index: int) -> tuple[str, int]:
    """One attempt of four kinds, named by a token that its audit entry carries."""
    headers = {"Authorization": f"Bearer {token}"}
    kind = index % 4
    if kind == 0:
        token_text = f"race-refund-{index}"
        answer = client.post(f"/api/v1/cases/{case}/actions", json={"kind": "refund", "amount": "100.00",
                                                                    "rrn": SALE_RRN},
                             headers=headers | {"Idempotency-Key": token_text})
    elif kind == 1:
        token_text = f"race-move-{index}"
        answer = client.post(f"/api/v1/cases/{case}/move", json={"state": TARGETS[index % 8 // 4],
                                                                 "reason": token_text}, headers=headers)
    elif kind == 2:
        token_text = f"race-note-{index}"
        answer = client.post(f"/api/v1/cases/{case}/notes", json={"text": token_text}, headers=headers)
    else:
        token_text = f"race-lost-{index}"
        answer = client.post("/api/v1/cases/RC-2026-999999/notes", json={"text": token_text}, headers=headers)
    return token_text, answer.status_code


def test_refunds_moves_and_notes_racing_on_one_case_lose_nothing(client: TestClient, world: World) -> None:
    sale = sale_with_three_cases(world)
    token = token_for(world.database, "a-merchant_finance")
    case = sale.cases[0]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda index: _request(client, token, case, index), range(48)))
    assert {status for _, status in answers} <= {200, 201, 404, 409}, answers
    audit_actions(world)  # the whole chain verifies
    with world.database.unit_of_work() as session:
        entries = [(entry.action, json.dumps(entry.after or {}) + entry.note)
                   for entry in session.execute(select(AuditEntry)).scalars() if entry.action in ATTEMPT_ACTIONS]
        stored = session.execute(select(Case).where(Case.number == case)).scalar_one()
        moves = list(session.execute(select(CaseEvent).where(CaseEvent.case_id == stored.id,
                                                             CaseEvent.to_state.is_not(None))
                                     .order_by(CaseEvent.id)).scalars())
    for token_text, status in answers:
        carrying = [action for action, text in entries if f'"{token_text}"' in text or text.endswith(token_text)]
        assert len(carrying) == 1, (token_text, status, carrying)
        assert carrying[0].endswith(".refused") == (status >= 400), (token_text, status, carrying)
    assert all(earlier.to_state == later.from_state for earlier, later in itertools.pairwise(moves))
    assert moves[-1].to_state == stored.state
    assert counting_minor(world) == 100 * 100 * sum(1 for text, status in answers if "refund" in text and status == 201)
    assert ledger(world).sales == 1
