"""The messaging world: a case whose order holds the customer's sealed contact, a real SMTP server on
loopback (aiosmtpd) counting messages by Message-ID, and settings pointing at it."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from aiosmtpd.controller import Controller
from tests.cases.test_case_world import MERCHANT_A, TERMINAL_A, WHEN, add_sale, admin
from tests.support.factories import World

from recoup.cases.opening import OpenRequest, open_case
from recoup.config import Settings, get_settings
from recoup.transactions.contacts import ContactSealer
from recoup.transactions.models import Order

NOW = datetime(2026, 10, 13, 1, 0, tzinfo=UTC)
CONTACT = "payer@example.com"


@pytest.fixture(autouse=True)
def same_settings_everywhere(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """get_settings() (used where no settings are handed down: alert e-mails) reads this test's data folder."""
    if "settings" in request.fixturenames:
        settings: Settings = request.getfixturevalue("settings")
        monkeypatch.setenv("RECOUP_DATABASE_URL", settings.resolved_database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def case_with_contact(world: World, settings: Settings, contact: str | None = CONTACT, rrn: str = "610000000001",
                      order_no: str = "ORD-1") -> str:
    """A case opened by hand for a sale whose order holds `contact` (sealed, as imports store it)."""
    tenant_id = world.tenants["A"].id
    with world.database.unit_of_work() as session:
        add_sale(session, tenant_id, rrn, 128000, order_no=order_no)
        sealed = ContactSealer(settings.keyring()).seal(contact, order_no) if contact else None
        session.add(Order(tenant_id=tenant_id, order_no=order_no, merchant_id=MERCHANT_A, terminal_id=TERMINAL_A,
                          created_at=WHEN, local_date=date(2026, 10, 12), expected_minor=12800, currency="CNY",
                          contact_encrypted=sealed))
        session.flush()
        return open_case(session, admin(world), OpenRequest(rrn=rrn, summary="keyed 1280.00 for 128.00"), WHEN).number


@dataclass
class Received:
    messages: list[email.message.Message] = field(default_factory=list)

    @property
    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]


class _Handler:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: ARG002
        content = getattr(envelope, "content", b"")
        self.received.messages.append(email.message_from_bytes(content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Received]]:
    received = Received()
    port = free_port()
    controller = Controller(_Handler(received), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def with_smtp(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "mail_from": "recoup@shop.test"})
