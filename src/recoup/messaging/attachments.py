"""Files attached to an outbox message (a scheduled report's PDF).

This table holds the files of a message, by message id; messaging.delivery loads them when it claims the
message and messaging.transports sends them as MIME attachments of the e-mail. Only an e-mail carries
files: attach() refuses them on an SMS.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from recoup.db import Base, utcnow
from recoup.errors import InvalidInput
from recoup.messaging.models import OutboxMessage
from recoup.messaging.transports import Attachment

__all__ = ["MAX_BYTES", "Attachment", "OutboxAttachment", "attach", "attachments_of"]

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


def attach(session: Session, message: OutboxMessage, name: str, content_type: str, content: bytes,
           now: datetime) -> OutboxAttachment:
    """Add a file to a queued e-mail (flushed, not committed)."""
    if message.channel != "email":
        raise InvalidInput(f"only an e-mail carries attachments, not an {message.channel} message")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"an attachment has at most {MAX_BYTES // (1024 * 1024)} MB, not {len(content)} bytes")
    if not name.strip() or "/" not in content_type or any(char in name for char in "\r\n/\\"):
        raise InvalidInput("an attachment needs a plain file name and a type such as application/pdf")
    row = OutboxAttachment(message_id=message.id, name=name, content_type=content_type, content=content,
                           created_at=now)
    session.add(row)
    session.flush()
    return row


def attachments_of(session: Session, message_id: int) -> tuple[Attachment, ...]:
    """The message's files, in the order they were attached."""
    query = select(OutboxAttachment).where(OutboxAttachment.message_id == message_id).order_by(OutboxAttachment.id)
    return tuple(Attachment(row.name, row.content_type, row.content) for row in session.execute(query).scalars())
