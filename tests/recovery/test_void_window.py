"""A void (撤销) is possible on the same day, before the batch settles (SPEC section 6); after that a
refund is the way, and the refusal says so, changes nothing and is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.cases.test_case_world import MERCHANT_A, WHEN, Finding, add_sale, admin, journal_line, save, settle
from tests.support.factories import World

from recoup.audit.models import AuditEntry
from recoup.errors import RecoupError
from recoup.recovery.models import RecoveryAction
from recoup.recovery.plans import ActionRequest
from recoup.recovery.service import perform


def _duplicate_case(world: World, rrn: str, *, when: datetime = WHEN, batch_no: str = "") -> str:
    with world.database.unit_of_work() as session:
        sale = add_sale(session, world.tenants["A"].id, rrn, 8800, settled=False, when=when)
        sale.batch_no = batch_no
    return save(world, [Finding("DUPLICATE_CHARGE", MERCHANT_A, rrn, 8800, 0, related_rrn="600000000000")]).cases[0]


def _void(world: World, number: str, now: datetime, key: str = "void-w") -> dict[str, object]:
    return perform(world.database, admin(world), number, ActionRequest("void"), key, now=now).action


def _actions(world: World) -> int:
    with world.database.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(RecoveryAction)).scalar_one())


def test_a_void_on_the_day_of_the_sale_is_performed(world: World) -> None:
    number = _duplicate_case(world, "610000000101")
    assert _void(world, number, WHEN + timedelta(hours=13))["state"] == "INSTRUCTED"  # 23:30 in Shanghai


def test_a_void_the_next_day_is_refused_even_within_24_hours(world: World) -> None:
    late_sale = datetime(2026, 10, 12, 15, 50, tzinfo=UTC)  # 23:50 in Shanghai
    number = _duplicate_case(world, "610000000102", when=late_sale)
    with pytest.raises(RecoupError) as refused:
        _void(world, number, late_sale + timedelta(minutes=20))  # 00:10 the next day in Shanghai
    assert refused.value.status == 409
    assert refused.value.message == (
        "sale 610000000102 was made on 2026-10-12 and today is 2026-10-13 (merchant's time): a void is only "
        "possible on the same day, before the batch settles; refund it instead")
    assert _actions(world) == 0
    with world.database.unit_of_work() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "case.void.refused")).scalar_one()
    assert (entry.object_id, entry.note) == (number, refused.value.message)


def test_a_void_after_the_batch_settled_is_refused(world: World) -> None:
    number = _duplicate_case(world, "610000000103", batch_no="000042")
    with world.database.unit_of_work() as session:  # another sale of the batch shows in the settlement
        other = journal_line(session, world.tenants["A"].id, "SALE", "610000000104", 1000, when=WHEN)
        other.batch_no = "000042"
        settle(session, world.tenants["A"].id, "SALE", "610000000104", 1000)
    with pytest.raises(RecoupError, match="batch 000042 of terminal 61027889 has settled, so sale 610000000103 "
                                          "can no longer be voided: refund it instead"):
        _void(world, number, WHEN + timedelta(hours=1))
    assert _actions(world) == 0


def test_a_settled_sale_cannot_be_voided(world: World) -> None:
    number = _duplicate_case(world, "610000000105")
    with world.database.unit_of_work() as session:
        settle(session, world.tenants["A"].id, "SALE", "610000000105", 8800)
    with pytest.raises(RecoupError, match="sale 610000000105 has settled, so it can no longer be voided: refund"):
        _void(world, number, WHEN + timedelta(hours=1))
