"""Files attached to an outbox message go out with it through the one outbox sender (messaging.delivery):
the e-mail carries them as MIME attachments, the case's evidence keeps their names (not their bytes), and
an SMS refuses them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.cases.test_case_world import admin
from tests.messaging.conftest import NOW, Received, case_with_contact, with_smtp
from tests.support.factories import World

from recoup.cases.models import Case
from recoup.config import Settings
from recoup.errors import InvalidInput
from recoup.evidence.models import EvidenceItem
from recoup.evidence.service import open_item
from recoup.messaging.attachments import attach
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import OutboxMessage
from recoup.messaging.outbox import enqueue
from recoup.messaging.service import MessageRequest, send_message
from recoup.messaging.transports import Attachment, Outgoing, email_of

SHEET = b"%PDF-1.4 the statement" + bytes(range(256)) * 40


def test_an_email_carries_its_files_and_the_evidence_keeps_their_names(
        world: World, settings: Settings, smtp_server: tuple[int, Received]) -> None:
    port, received = smtp_server
    mail_settings = with_smtp(settings, port)
    number = case_with_contact(world, settings)
    with world.database.unit_of_work() as session:
        queued = send_message(session, admin(world), mail_settings, number, MessageRequest("apology", "email", ""),
                              NOW)
        message = session.get(OutboxMessage, queued.id)
        assert message is not None
        attach(session, message, "statement.pdf", "application/pdf", SHEET, NOW)
    assert deliver_due(world.database, mail_settings, now=NOW).sent == 1
    assert len(received.messages) == 1
    files = [part for part in received.messages[0].walk() if part.get_filename()]
    assert [(part.get_filename(), part.get_content_type()) for part in files] == [("statement.pdf", "application/pdf")]
    assert files[0].get_payload(decode=True) == SHEET
    with world.database.unit_of_work() as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        kept = session.execute(select(EvidenceItem).where(EvidenceItem.case_id == case_id,
                                                          EvidenceItem.kind == "message")).scalar_one()
        content = b"".join(open_item(mail_settings, kept))
    assert b"X-Recoup-Attachments: statement.pdf" in content
    assert len(content) < len(SHEET)  # the names, not the bytes


def test_an_sms_refuses_attachments(world: World, settings: Settings) -> None:
    with world.database.unit_of_work() as session:
        message = enqueue(session, tenant_id=world.tenants["A"].id, channel="sms", to="13800138000", subject="",
                          body="hello", now=NOW, keys=settings.keyring())
        with pytest.raises(InvalidInput, match="only an e-mail"):
            attach(session, message, "statement.pdf", "application/pdf", SHEET, NOW)


def test_the_email_of_a_message_lists_each_file() -> None:
    outgoing = Outgoing(7, "f" * 32, "someone@shop.test", "Report", "See the files.",
                        (Attachment("a.pdf", "application/pdf", b"%PDF-a"), Attachment("b.csv", "text/csv", b"x,y\n")))
    mail = email_of(outgoing, "recoup@shop.test")
    assert [part.get_filename() for part in mail.iter_attachments()] == ["a.pdf", "b.csv"]
    assert mail["Message-ID"] == "<recoup.7.ffffffffffffffff@recoup.outbox>"
