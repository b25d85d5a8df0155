"""How a message leaves: e-mail over SMTP, SMS over an HTTP gateway (SPEC section 7). Chosen from the settings.

E-mail: each message has a stable Message-ID derived from its outbox id and uid, so a message sent
again after a crash (the window between "the server accepted" and "SENT recorded") carries the same
Message-ID and the receiving side deduplicates by it: delivery is at least once, duplicates are
recognisable. An e-mail carries the message's files (messaging.attachments: a scheduled report's PDF) as
MIME attachments; an SMS has none (attach() refuses them). SMS: POST JSON {to, text, message_id} with
`X-Recoup-Signature: <hex HMAC-SHA256 of the body under RECOUP_SMS_GATEWAY_SECRET>`; anything but a 2xx
with {"accepted": true} is a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import httpx

from recoup.config import Settings

SIGNATURE_HEADER = "X-Recoup-Signature"
TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    """The server or gateway did not take the message; the reason is kept on the message."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (stored in messaging.attachments, loaded by messaging.delivery)."""

    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Outgoing:
    outbox_id: int
    uid: str
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()

    @property
    def message_id(self) -> str:
        return f"<recoup.{self.outbox_id}.{self.uid[:16]}@recoup.outbox>"


class Sender(Protocol):
    def send(self, message: Outgoing) -> str:
        """Hand the message over; returns the provider's id for it; raises DeliveryFailed."""
        ...


def email_of(message: Outgoing, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id
    mail["Date"] = formatdate(localtime=False)
    mail.set_content(message.body)
    for item in message.attachments:
        main, _, sub = item.content_type.partition("/")
        mail.add_attachment(item.content, maintype=main, subtype=sub, filename=item.name)
    return mail


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Outgoing) -> str:
        config = self.settings
        if not config.smtp_host:
            raise DeliveryFailed("no SMTP server is configured (RECOUP_SMTP_HOST)")
        try:
            with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
                if config.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password)
                refused = smtp.send_message(email_of(message, config.mail_from))
        except (smtplib.SMTPException, OSError) as failure:
            raise DeliveryFailed(_reason(failure, f"SMTP {config.smtp_host}:{config.smtp_port}")) from failure
        if refused:
            raise DeliveryFailed(f"the SMTP server refused the recipient: {next(iter(refused.values()))!r}")
        return message.message_id


def _reason(failure: BaseException, where: str) -> str:
    if isinstance(failure, smtplib.SMTPResponseException):
        detail = failure.smtp_error.decode(errors="replace") if isinstance(failure.smtp_error, bytes) else ""
        return f"{where} answered {failure.smtp_code} {detail}".strip()[:500]
    return f"{where} unreachable: {type(failure).__name__}: {failure}"[:500]


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sms_body(message: Outgoing) -> bytes:
    return json.dumps({"to": message.to, "text": message.body, "message_id": message.uid},
                      ensure_ascii=False, separators=(",", ":")).encode()


class SmsGatewaySender:
    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client

    def send(self, message: Outgoing) -> str:
        url = self.settings.sms_gateway_url
        if not url:
            raise DeliveryFailed("no SMS gateway is configured (RECOUP_SMS_GATEWAY_URL)")
        if message.attachments:  # attach() refuses them; a row written around it is not sent without its files
            raise DeliveryFailed("an SMS cannot carry attachments")
        body = sms_body(message)
        headers = {"content-type": "application/json",
                   SIGNATURE_HEADER: sign(self.settings.sms_gateway_secret, body)}
        try:
            if self.client is not None:
                answer = self.client.post(url, content=body, headers=headers)
            else:
                with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
                    answer = client.post(url, content=body, headers=headers)
        except httpx.HTTPError as failure:
            raise DeliveryFailed(f"SMS gateway unreachable: {type(failure).__name__}: {failure}"[:500]) from failure
        return _accepted(answer)


def _accepted(answer: httpx.Response) -> str:
    if not 200 <= answer.status_code < 300:
        raise DeliveryFailed(f"SMS gateway answered HTTP {answer.status_code}")
    try:
        verdict = answer.json()
    except ValueError as bad:
        raise DeliveryFailed("SMS gateway answered something that is not JSON") from bad
    if not isinstance(verdict, dict) or verdict.get("accepted") is not True:
        raise DeliveryFailed(f"SMS gateway did not accept the message: {str(verdict)[:200]}")
    return str(verdict.get("id") or "")


def senders_for(settings: Settings) -> dict[str, Sender]:
    return {"email": SmtpSender(settings), "sms": SmsGatewaySender(settings)}
