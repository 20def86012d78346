"""Build the FastAPI app: state, error handlers and routers, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import cases, health
from channels.voice import media as voice_media
from channels.voice import routes as voice_routes
from core.db import get_engine
from core.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = get_engine(settings.database_url)
        app.state.temporal = None
        app.state.temporal_lock = asyncio.Lock()
        yield

    app = FastAPI(
        title="hotline",
        summary="A city's citizen service hotline (12345): one number, one case, every channel.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(cases.router)
    app.include_router(voice_routes.router)
    app.include_router(voice_media.router)
    return app
