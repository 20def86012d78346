"""A local SMTP server (aiosmtpd) that records every message it takes, for e-mail tests.

Use the `smtp_server` fixture (tests/conftest.py): it yields a `RecordingSmtp` with `host`,
`port` and `messages` (parsed `email.message.EmailMessage`s), `messages_to(address)`, the
awaitable `wait_for(address, count)`, and `text_of(message)` for the plain-text part. A test
sets `refuse[address] = 550` to have the server refuse that recipient. Settings pointing at it:
the `smtp_settings` fixture (STARTTLS off, no login), or `smtp_settings_for(settings, server)`.

Notices carry the survey link and the one-time code in the plain-text part; extract them with
`survey_link_of` and `code_of` (the formats are documented in docs/web.md).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from core.settings import Settings
from tests.utils.servers import free_port

SENDER = "12345 <noreply@hotline.test>"
# The path of the survey link: /survey/ and the signed token (URL-safe base64 and dots).
SURVEY_LINK = re.compile(r"https?://\S+?(/survey/[A-Za-z0-9_.\-]+)")
# The one-time code: the six digits that are not part of the case number (dddddddd-dddddd).
CODE = re.compile(r"(?<![\d-])\d{6}(?!\d)")


@dataclass
class RecordingSmtp:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)  # recipient -> SMTP code
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    async def wait_for(
        self, address: str, count: int = 1, timeout: float = 30
    ) -> list[EmailMessage]:
        """The first `count` messages to `address`, once they arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"{count} e-mails to {address} never came: {self.messages_to(address)}"
        )


class _Handler:
    def __init__(self, state: RecordingSmtp) -> None:
        self.state = state

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        code = self.state.refuse.get(address)
        if code is not None:
            return f"{code} mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        assert isinstance(parsed, EmailMessage)
        with self.state.lock:
            self.state.messages.append(parsed)
        return "250 Message accepted"


@contextmanager
def recording_smtp() -> Iterator[RecordingSmtp]:
    state = RecordingSmtp(port=free_port())
    controller = Controller(_Handler(state), hostname=state.host, port=state.port)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


def smtp_settings_for(settings: Settings, server: RecordingSmtp) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": server.host,
            "smtp_port": server.port,
            "smtp_from": SENDER,
            "smtp_starttls": False,
        }
    )


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no plain-text part"
    return str(part.get_content())  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "no HTML part"
    return str(part.get_content())  # type: ignore[attr-defined]


def survey_link_of(message: EmailMessage) -> str:
    """The survey link's path, `/survey/<token>`, to request against a local API."""
    found = SURVEY_LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


def code_of(message: EmailMessage) -> str:
    [code] = CODE.findall(text_of(message))
    return code
