"""Connecting to Temporal with a bounded wait, so a missing server is an error, not a hang."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from core.settings import Settings


class TemporalUnavailable(ConnectionError):
    def __init__(self, address: str, reason: str) -> None:
        super().__init__(address, reason)
        self.address = address
        self.reason = reason

    def __str__(self) -> str:
        return f"Temporal at {self.address} is not reachable: {self.reason}"


async def connect_temporal(settings: Settings) -> Client:
    try:
        return await asyncio.wait_for(
            Client.connect(settings.temporal_address, namespace=settings.temporal_namespace),
            timeout=settings.temporal_connect_timeout_s,
        )
    except (TimeoutError, RuntimeError, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        raise TemporalUnavailable(settings.temporal_address, reason) from exc
