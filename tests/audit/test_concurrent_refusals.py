"""Issue 10, defect 6: concurrent refused requests each append an audit entry; appending takes the write
lock on every database, so none answers 500 (`UNIQUE constraint failed: audit_entries.seq`) and no
refusal goes unrecorded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.factories import World, token_for

from recoup.audit.models import AuditEntry
from recoup.audit.service import verify

RACERS = 40


def refused_notes(world: World) -> int:
    with world.database.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "case.note.refused")).scalar_one()


def test_forty_concurrent_notes_on_missing_cases_are_each_refused_and_audited(
        world: World, client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.database, 'a-admin')}"}

    def note(i: int) -> int:
        answer = client.post(f"/api/v1/cases/RC-2026-{900000 + i:06d}/notes", json={"text": f"racer {i}"},
                             headers=headers)
        return answer.status_code

    with ThreadPoolExecutor(RACERS) as pool:
        codes = list(pool.map(note, range(RACERS)))
    assert codes == [404] * RACERS
    assert refused_notes(world) == RACERS
    with world.database.unit_of_work() as session:
        count, found = verify(session)
        objects = set(session.execute(select(AuditEntry.object_id)
                                      .where(AuditEntry.action == "case.note.refused")).scalars())
    assert found is None, found
    assert objects == {f"RC-2026-{900000 + i:06d}" for i in range(RACERS)}
    assert count >= RACERS
