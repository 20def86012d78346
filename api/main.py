"""Build the FastAPI app: state, error handlers, the body limit and routers, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.http_metrics import HttpMetrics
from api.limits import RequestBodyLimit
from api.open311 import router as open311_router
from api.routes import cases, health, metrics, reports, staff, supervision, withdraw
from channels.chat import webhook as telegram_webhook
from channels.registry import channel_notifiers
from channels.sms import routes as sms
from channels.voice import media as voice_media
from channels.voice import routes as voice_routes
from core.db import get_engine
from core.settings import Settings, get_settings
from web import router as web_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.require_secret_key()  # no app signs sessions with a forgeable key

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = get_engine(settings.database_url)
        if not hasattr(app.state, "notifiers"):  # a test may have set its own
            # The web's one-time codes go out through the channels the workers use.
            app.state.notifiers = channel_notifiers(settings, app.state.engine)
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
    app.add_middleware(RequestBodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(HttpMetrics)  # outermost: a 413 from the body limit is counted too
    app.include_router(health.router)
    app.include_router(cases.router)
    app.include_router(sms.router)
    app.include_router(open311_router)
    app.include_router(staff.router)
    app.include_router(supervision.router)
    app.include_router(withdraw.router)
    app.include_router(web_router)
    app.include_router(telegram_webhook.router)
    app.include_router(reports.router)
    app.include_router(metrics.router)
    app.include_router(voice_routes.router)
    app.include_router(voice_media.router)
    return app
