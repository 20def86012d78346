"""The e-mail `Notifier`: a notice as one multipart message (plain text and HTML) over SMTP.

Idempotency is the outbox's (a notice marked sent is not sent again); a retry that repeats a
send the server already took carries the same Message-ID (made from the case, the kind and the
text), so a mail client shows it once. Refusals the server will repeat (5xx: a bad address) are
recorded and not retried; anything else (4xx, the network) raises so the activity retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from channels.email.texts import html_body, subject
from core.redaction import redact
from core.settings import Settings
from notices.port import OutboundMessage

log = logging.getLogger("hotline.email")


def email_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_from)


def message_id(message: OutboundMessage, sender: str) -> str:
    """The same notice always gets the same id: what makes a re-sent retry one message."""
    digest = hashlib.sha256(
        f"{message.case_number}\x00{message.kind}\x00{message.address}\x00{message.text}".encode()
    ).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "hotline.local"
    return f"<{digest}.{message.case_number}@{domain}>"


def build_email(message: OutboundMessage, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = message.address
    email["Subject"] = subject(message.kind, message.language, message.case_number)
    email["Message-ID"] = message_id(message, settings.smtp_from)
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Content-Language"] = "zh-CN" if message.language.value == "zh" else "en"
    email["Auto-Submitted"] = "auto-generated"  # no vacation replies to the hotline
    email.set_content(message.text)
    email.add_alternative(html_body(message.text, message.language), subtype="html")
    return email


class EmailNotifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: OutboundMessage) -> str:
        """The Message-ID; `email-refused:<code>` when the server refuses the address for good."""
        email = build_email(message, self.settings)
        try:
            await asyncio.to_thread(self._deliver, email)
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            if code >= 500:
                return self._refused(message, code)
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and exc.smtp_code not in (535, 530):  # 53x: our login
                return self._refused(message, exc.smtp_code)
            raise
        return str(email["Message-ID"])

    def _refused(self, message: OutboundMessage, code: int) -> str:
        to = redact(message.address)
        log.warning("e-mail %s to %s refused: SMTP %s", message.kind, to, code)
        return f"email-refused:{code}"

    def _deliver(self, email: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(email)
