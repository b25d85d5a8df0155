"""Messages leave for real: e-mail to an SMTP server on loopback (aiosmtpd), SMS to a local HTTP gateway
that fails first; an unreachable server leaves the message FAILED with its reason, retried later."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from tests.cases.test_case_world import admin
from tests.messaging.conftest import CONTACT, NOW, Received, case_with_contact, free_port, with_smtp
from tests.support.factories import World

from recoup.cases.models import Case, CaseEvent
from recoup.config import Settings
from recoup.evidence.models import EvidenceItem
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import OutboxMessage
from recoup.messaging.service import MessageRequest, send_message
from recoup.messaging.transports import SIGNATURE_HEADER, sign

SECRET = "gateway-secret"


def _send(world: World, settings: Settings, number: str, channel: str = "email", to: str = "") -> int:
    with world.database.unit_of_work() as session:
        return send_message(session, admin(world), settings, number, MessageRequest("apology", channel, to),
                            NOW).id


def _stored(world: World, message_id: int) -> OutboxMessage:
    with world.database.unit_of_work() as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        return found


def test_an_apology_reaches_a_real_smtp_server_once_and_is_kept_on_the_case(
        world: World, settings: Settings, smtp_server: tuple[int, Received]) -> None:
    port, received = smtp_server
    mail_settings = with_smtp(settings, port)
    number = case_with_contact(world, settings)
    message_id = _send(world, mail_settings, number)  # no --to: the order's contact
    assert deliver_due(world.database, mail_settings, now=NOW).sent == 1
    assert deliver_due(world.database, mail_settings, now=NOW + timedelta(hours=1)).sent == 0
    assert len(received.messages) == 1
    mail = received.messages[0]
    assert mail["To"] == CONTACT
    assert number in str(mail["Subject"])
    assert mail["Message-ID"] == f"<recoup.{message_id}.{_stored(world, message_id).uid[:16]}@recoup.outbox>"
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    text = payload.decode()
    assert "¥1,280.00" in text
    assert "尾号 1234" in text
    assert "http://127.0.0.1:8000/r/" in text
    stored = _stored(world, message_id)
    assert (stored.state, stored.attempts, stored.sent_at, stored.to_masked) == ("SENT", 1, NOW, "p***@example.com")
    with world.database.unit_of_work() as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        events = session.execute(select(CaseEvent.event).where(CaseEvent.case_id == case_id)).scalars().all()
        kept = session.execute(select(EvidenceItem.kind, EvidenceItem.name)
                               .where(EvidenceItem.case_id == case_id)).all()
    assert "message_queued" in events
    assert "message_sent" in events
    assert ("message", f"message-{message_id}.eml") in kept


def test_an_unreachable_smtp_server_leaves_the_message_failed_with_its_reason_then_it_goes(
        world: World, settings: Settings, smtp_server: tuple[int, Received]) -> None:
    port, received = smtp_server
    number = case_with_contact(world, settings)
    message_id = _send(world, settings, number, to="other@example.com")
    closed = with_smtp(settings, free_port())  # nothing listens there
    assert deliver_due(world.database, closed, now=NOW).failed == 1
    stored = _stored(world, message_id)
    assert stored.state == "FAILED"
    assert "unreachable" in stored.last_error
    assert stored.attempts == 1
    assert stored.next_attempt_at == NOW + timedelta(minutes=1)
    assert deliver_due(world.database, with_smtp(settings, port), now=NOW + timedelta(minutes=1)).sent == 1
    assert [m["To"] for m in received.messages] == ["other@example.com"]
    assert _stored(world, message_id).state == "SENT"


class Gateway:
    """An SMS gateway on loopback: answers 500 to the first request, then accepts; checks signatures."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, object], bool]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                signed = self.headers.get(SIGNATURE_HEADER) == sign(SECRET, body)
                gateway.requests.append((json.loads(body), signed))
                first = len(gateway.requests) == 1
                answer = b"oops" if first else json.dumps({"accepted": True, "id": "gw-1"}).encode()
                self.send_response(500 if first else 200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    found = Gateway()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_an_sms_gateway_answering_500_first_gets_the_message_once_after_a_retry(
        world: World, settings: Settings, gateway: Gateway) -> None:
    sms_settings = settings.model_copy(update={"sms_gateway_url": gateway.url, "sms_gateway_secret": SECRET})
    number = case_with_contact(world, settings, contact="13800138000")
    message_id = _send(world, sms_settings, number, channel="sms")  # the order's mobile number, normalised
    assert deliver_due(world.database, sms_settings, now=NOW).failed == 1
    assert _stored(world, message_id).last_error == "SMS gateway answered HTTP 500"
    assert deliver_due(world.database, sms_settings, now=NOW + timedelta(seconds=30)).sent == 0  # backoff
    assert deliver_due(world.database, sms_settings, now=NOW + timedelta(minutes=1)).sent == 1
    stored = _stored(world, message_id)
    assert (stored.state, stored.attempts, stored.provider_id, stored.to_masked) == (
        "SENT", 2, "gw-1", "+86138****8000")
    assert [signed for _body, signed in gateway.requests] == [True, True]
    bodies = [body for body, _signed in gateway.requests]
    assert bodies[0] == bodies[1]
    assert bodies[0]["to"] == "+8613800138000"
    assert number in str(bodies[0]["text"])
