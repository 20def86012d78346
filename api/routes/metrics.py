"""Prometheus scrape endpoint: process metrics (STT latency, …) and the case figures."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from analytics.prometheus import database_registry

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Metrics in the Prometheus text format."""
    registry = _database_registry(request)
    body = await run_in_threadpool(lambda: generate_latest(REGISTRY) + generate_latest(registry))
    return Response(content=body, media_type=CONTENT_TYPE_LATEST)


def _database_registry(request: Request) -> CollectorRegistry:
    """One per app (so per database), made on the first scrape."""
    state = request.app.state
    registry: CollectorRegistry | None = getattr(state, "analytics_registry", None)
    if registry is None:
        registry = database_registry(state.engine)
        state.analytics_registry = registry
    return registry
