"""The outbound port: the outbox sender hands each message to a channel's `Notifier`.

Workflows never import channel SDKs; the worker's composition root (`workflows.worker`) wires
the notifier of each channel into the sender (`notices.sender`).
Until a channel has its own, `LoggingNotifier` writes the message to the log, so the lifecycle
runs end to end on a laptop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from core.redaction import mask_phone, redact
from models.enums import Channel, Language

log = logging.getLogger("hotline.notifier")


@dataclass(frozen=True)
class OutboundMessage:
    case_number: str
    channel: Channel | None  # None: a unit's inbox, not a citizen channel
    address: str  # E.164 phone, Telegram chat id, email or unit code
    language: Language
    kind: str
    text: str
    # The same for every try of one outbox row: a provider that dedupes on it (Twilio's
    # idempotency header) delivers the message once even when the sender dies after sending.
    idempotency_key: str = ""


class Notifier(Protocol):
    async def send(self, message: OutboundMessage) -> str:
        """Deliver the message; return the provider's id. Raise to have the sender retry."""
        ...


class LoggingNotifier:
    """The text itself only at DEBUG (a laptop's `HOTLINE_LOG_LEVEL=DEBUG`): it may carry a
    reply, an address or a one-time code, which production logs must not."""

    async def send(self, message: OutboundMessage) -> str:
        channel = message.channel or "unit inbox"
        to = masked_address(message)
        # The key is a row id, not personal data: it shows which sends a provider would dedupe.
        log.info(
            "notify %s %s via %s to %s key %s",
            message.case_number,
            message.kind,
            channel,
            to,
            message.idempotency_key or "-",
        )
        log.debug("notice %s %s text: %s", message.case_number, message.kind, message.text)
        return f"log:{message.case_number}:{message.kind}"


def masked_address(message: OutboundMessage) -> str:
    """Where a notice went, fit for a log line: a phone as '+86*********78'."""
    if message.channel in (Channel.sms, Channel.voice):
        return mask_phone(message.address)
    return redact(message.address)


class NotifierRegistry:
    """Which notifier serves which channel; unit notices and unknown channels use the default."""

    def __init__(
        self, default: Notifier | None = None, by_channel: dict[Channel, Notifier] | None = None
    ) -> None:
        self.default: Notifier = default or LoggingNotifier()
        self.by_channel = dict(by_channel or {})

    def delivers(self, channel: Channel | None) -> bool:
        """True when the channel's messages reach someone: it has a notifier of its own, or
        the default is not the log (a test's recording notifier)."""
        if channel is not None and channel in self.by_channel:
            return True
        return not isinstance(self.default, LoggingNotifier)

    def for_channel(self, channel: Channel | None) -> Notifier:
        if channel is None:
            return self.default
        return self.by_channel.get(channel, self.default)
