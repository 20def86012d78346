"""Liveness and readiness: is the database answering, is Temporal answering."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.deps import EngineDep, get_temporal
from core.db import ping
from core.temporal import TemporalUnavailable

router = APIRouter(tags=["health"])


class Dependency(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: str  # "ok" or "degraded"
    database: Dependency
    temporal: Dependency


@router.get("/healthz", response_model=Health)
async def healthz(request: Request, response: Response, engine: EngineDep) -> Health:
    """Report whether the database and Temporal are reachable; 503 when either is not."""
    database, temporal = await asyncio.gather(_check_database(engine), _check_temporal(request))
    healthy = database.ok and temporal.ok
    if not healthy:
        response.status_code = 503
    return Health(status="ok" if healthy else "degraded", database=database, temporal=temporal)


async def _check_database(engine: EngineDep) -> Dependency:
    try:
        await run_in_threadpool(ping, engine)
    except SQLAlchemyError as exc:
        return Dependency(ok=False, detail=str(exc.__cause__ or exc).splitlines()[0])
    return Dependency(ok=True, detail=engine.dialect.name)


async def _check_temporal(request: Request) -> Dependency:
    settings = request.app.state.settings
    try:
        client = await get_temporal(request)
        await asyncio.wait_for(
            client.service_client.check_health(), settings.temporal_connect_timeout_s
        )
    except TemporalUnavailable as exc:
        return Dependency(ok=False, detail=str(exc))
    except (TimeoutError, RuntimeError, RPCError) as exc:
        return Dependency(ok=False, detail=f"{settings.temporal_address}: {exc or 'timeout'}")
    return Dependency(ok=True, detail=settings.temporal_address)
