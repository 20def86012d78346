"""Request-scoped dependencies: settings, database sessions and the Temporal client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client

from core.settings import Settings
from core.temporal import TemporalUnavailable, connect_temporal


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine_dep(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine_dep)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


async def get_temporal(request: Request) -> Client:
    """The shared client, connected on first use so the API starts even while Temporal is down."""
    state = request.app.state
    if state.temporal is None:
        async with state.temporal_lock:
            if state.temporal is None:
                state.temporal = await connect_temporal(state.settings)
    client: Client = state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
EngineDep = Annotated[Engine, Depends(get_engine_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
# A client that may send a staff action twice (a retry after a timeout) names the request, so
# the workflow runs it once: the key becomes the Temporal update id (workflows/actions.py).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Sending the same key again returns the first answer instead of acting twice.",
    ),
]

__all__ = ["TemporalUnavailable"]
