"""Files attached to an outbox message (a scheduled report's PDF), and e-mail with them.

The outbox (messaging.outbox) carries text only; this table holds the files of a message, by message id.
`email_with` builds the e-mail of messaging.transports with the files added, `AttachingSmtpSender` sends it.
Until messaging.delivery loads attachments itself, a message with attachments is delivered by its own
domain's sender (recoup.reports.mailing), which keeps it away from the generic one (see there).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import ForeignKey, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from recoup.config import Settings
from recoup.db import Base, utcnow
from recoup.errors import InvalidInput
from recoup.messaging.models import OutboxMessage
from recoup.messaging.transports import TIMEOUT_SECONDS, DeliveryFailed, Outgoing, email_of

MAX_BYTES = 10 * 1024 * 1024  # what mail servers commonly accept, base64 included, with room to spare


class OutboxAttachment(Base):
    """One file of one outbox message, sent with it."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes


def attach(session: Session, message: OutboxMessage, name: str, content_type: str, content: bytes,
           now: datetime) -> OutboxAttachment:
    """Add a file to a queued message (flushed, not committed)."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"an attachment has at most {MAX_BYTES // (1024 * 1024)} MB, not {len(content)} bytes")
    if "/" not in content_type or any(char in name for char in "\r\n/\\"):
        raise InvalidInput("an attachment needs a plain file name and a type such as application/pdf")
    row = OutboxAttachment(message_id=message.id, name=name, content_type=content_type, content=content,
                           created_at=now)
    session.add(row)
    session.flush()
    return row


def attachments_of(session: Session, message_id: int) -> tuple[Attachment, ...]:
    query = select(OutboxAttachment).where(OutboxAttachment.message_id == message_id).order_by(OutboxAttachment.id)
    return tuple(Attachment(row.name, row.content_type, row.content) for row in session.execute(query).scalars())


def email_with(message: Outgoing, sender: str, files: tuple[Attachment, ...]) -> EmailMessage:
    """The e-mail of `message` (same headers, same stable Message-ID) with `files` attached."""
    mail = email_of(message, sender)
    for item in files:
        main, _, sub = item.content_type.partition("/")
        mail.add_attachment(item.content, maintype=main, subtype=sub, filename=item.name)
    return mail


class AttachingSmtpSender:
    """SMTP as messaging.transports.SmtpSender, with the message's files attached."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Outgoing, files: tuple[Attachment, ...]) -> str:
        config = self.settings
        if not config.smtp_host:
            raise DeliveryFailed("no SMTP server is configured (RECOUP_SMTP_HOST)")
        where = f"SMTP {config.smtp_host}:{config.smtp_port}"
        try:
            with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
                if config.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password)
                refused = smtp.send_message(email_with(message, config.mail_from, files))
        except smtplib.SMTPResponseException as failure:
            raise DeliveryFailed(f"{where} answered {failure.smtp_code}"[:500]) from failure
        except (smtplib.SMTPException, OSError) as failure:
            raise DeliveryFailed(f"{where} unreachable: {type(failure).__name__}: {failure}"[:500]) from failure
        if refused:
            raise DeliveryFailed(f"the SMTP server refused the recipient: {next(iter(refused.values()))!r}")
        return message.message_id
