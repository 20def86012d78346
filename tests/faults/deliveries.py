"""Webhook deliveries the duplicate/out-of-order test replays: one entry per inbound channel.

Each channel adapter that receives webhooks adds a `Delivery` here (Twilio SMS and voice,
Telegram updates, Open311 posts), building the request exactly as its provider sends it
(signed, form-encoded...). The test then delivers every payload twice, shuffled and
concurrently, and checks that each channel key made exactly one case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from models.enums import Channel
from tests.utils.factories import make_submission


class Delivery(Protocol):
    name: str
    channel: Channel  # the Case.channel its cases get

    def payload(self, index: int) -> Any:
        """A distinct inbound message (its own provider id)."""
        ...

    def key(self, payload: Any) -> str:
        """The intake_key the channel derives from the payload (MessageSid, update_id...)."""
        ...

    async def deliver(self, http: httpx.AsyncClient, payload: Any) -> httpx.Response: ...


@dataclass
class WebIntake:
    """`POST /api/v1/requests` from an integration: its intake_key lives in its key's namespace."""

    name: str = "web intake"
    channel: Channel = Channel.web
    key_id: int = 0  # the integration's API key, set by the test
    secret: str = ""

    def payload(self, index: int) -> dict[str, Any]:
        return make_submission(intake_key=f"dup-{uuid.uuid4().hex}-{index}")

    def key(self, payload: dict[str, Any]) -> str:
        return f"k{self.key_id}:{payload['intake_key']}"

    async def deliver(self, http: httpx.AsyncClient, payload: dict[str, Any]) -> httpx.Response:
        return await http.post("/api/v1/requests", json=payload, headers={"X-API-Key": self.secret})


DELIVERIES: list[Delivery] = [WebIntake()]
