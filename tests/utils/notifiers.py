"""A notifier for tests that read what the app sent: the port, implemented to keep messages."""

from __future__ import annotations

from notices.port import OutboundMessage


class RecordingNotifier:
    """A Notifier that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> str:
        self.sent.append(message)
        return f"test:{len(self.sent)}"
