"""What the handlers need from the rest of the service, handed in by the dispatcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from temporalio.client import Client

from core.settings import Settings

TemporalProvider = Callable[[], Awaitable[Client]]


@dataclass(frozen=True)
class ChatDeps:
    """Handlers take it as `hotline`; the Temporal client is fetched only when a case needs it,
    so /help and /status work while Temporal is down."""

    engine: Engine
    settings: Settings
    temporal: TemporalProvider
