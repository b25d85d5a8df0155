"""The outbox (recoup.webhooks.service.emit_many): events written by one Core insert, in order, each with a
pending delivery per active endpoint, a card number typed into their data masked as an ORM flush masked it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from tests.cases.test_case_world import admin
from tests.support.factories import World

from recoup.keys.ring import KeyRing
from recoup.webhooks.models import WebhookDelivery, WebhookEvent
from recoup.webhooks.service import add_endpoint, disable_endpoint, emit_many

AT = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
CARD = "4111111111111111"


def test_events_are_written_in_order_with_a_delivery_per_endpoint_and_cards_masked(world: World) -> None:
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        for port in (9, 10):
            add_endpoint(session, admin(world), f"http://127.0.0.1:{port}/hooks",
                         keys=KeyRing.from_texts({"data": "k"}))
    with world.database.unit_of_work() as session:
        written = emit_many(session, tenant_id, [("case.updated", {"note": f"card {CARD}"}),
                                                 ("case.alert", {"n": 2})], AT)
        assert emit_many(session, tenant_id, [], AT) == []
    with world.database.unit_of_work() as session:
        stored = {event.id: event for event in session.execute(select(WebhookEvent)).scalars()}
        deliveries = sorted((d.event_id, d.status) for d in session.execute(select(WebhookDelivery)).scalars())
    assert [stored[event.id].type for event in written] == ["case.updated", "case.alert"]
    first = stored[written[0].id]
    assert (first.tenant_id, first.created_at.astimezone(UTC)) == (tenant_id, AT)
    assert first.payload["id"] == written[0].id
    assert first.payload["created_at"] == AT.isoformat()
    note = str(first.payload["data"]["note"])  # type: ignore[index]
    assert CARD not in note
    assert note.endswith("1111")
    assert stored[written[1].id].payload["data"] == {"n": 2}
    assert deliveries == sorted([(event.id, "PENDING") for event in written for _ in (9, 10)])


def _deliveries_of(world: World, event_id: str) -> int:
    with world.database.unit_of_work() as session:
        return len(list(session.execute(select(WebhookDelivery).where(WebhookDelivery.event_id == event_id))))


def test_the_endpoints_are_read_once_a_transaction_and_again_after_one_is_added_or_disabled(world: World) -> None:
    tenant_id, keys = world.tenants["A"].id, KeyRing.from_texts({"data": "k"})
    with world.database.unit_of_work() as session:
        add_endpoint(session, admin(world), "http://127.0.0.1:9/hooks", keys=keys)
    with world.database.unit_of_work() as session:
        before = emit_many(session, tenant_id, [("case.alert", {"n": 1})], AT)[0]
        added, _ = add_endpoint(session, admin(world), "http://127.0.0.1:10/hooks", keys=keys)
        after_adding = emit_many(session, tenant_id, [("case.alert", {"n": 2})], AT)[0]
        disable_endpoint(session, admin(world), added.id)
        after_disabling = emit_many(session, tenant_id, [("case.alert", {"n": 3})], AT)[0]
    with world.database.unit_of_work() as session:  # a new transaction reads what the last one left
        later = emit_many(session, tenant_id, [("case.alert", {"n": 4})], AT)[0]
    counts = [_deliveries_of(world, event.id) for event in (before, after_adding, after_disabling, later)]
    assert counts == [1, 2, 1, 1]
