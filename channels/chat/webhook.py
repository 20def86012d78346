"""`POST /telegram/webhook`: Telegram's updates into the dispatcher, secret token checked.

The bot and dispatcher are built once at start-up when a token is configured; without one the
route answers 404. Telegram re-sends an update it got no 2xx for, so every outcome a handler
can reach answers 200 (the errors handler tells the citizen); duplicates are skipped by
`DeduplicateUpdates` and, below it, by the intake and survey keys.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, FastAPI, Header, HTTPException, Request
from pydantic import ValidationError
from temporalio.client import Client

from api.deps import get_temporal
from channels.chat.bot import build_bot, build_dispatcher
from channels.chat.deps import ChatDeps
from core.db import get_engine
from core.settings import Settings

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class ChatRuntime:
    bot: Bot
    dispatcher: Dispatcher
    settings: Settings


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.telegram = None
    if not settings.telegram_bot_token:
        yield
        return
    engine = get_engine(settings.database_url)  # the one the app uses (one per URL and process)
    runtime = ChatRuntime(build_bot(settings), build_dispatcher(settings, engine), settings)
    app.state.telegram = runtime
    try:
        yield
    finally:
        await runtime.dispatcher.storage.close()
        await runtime.bot.session.close()


router = APIRouter(tags=["telegram"], lifespan=_lifespan)


@router.post(PATH)
async def telegram_webhook(
    request: Request,
    secret: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
) -> dict[str, bool]:
    """Telegram's webhook: one update per request, answered once it has been handled."""
    runtime: ChatRuntime | None = request.app.state.telegram
    if runtime is None:
        raise HTTPException(404, "the Telegram channel is not configured on this server")
    expected = runtime.settings.telegram_webhook_secret
    if not expected or not hmac.compare_digest((secret or "").encode(), expected.encode()):
        raise HTTPException(403, "missing or wrong X-Telegram-Bot-Api-Secret-Token")
    try:
        update = Update.model_validate(await request.json(), context={"bot": runtime.bot})
    except (ValueError, ValidationError) as exc:
        raise HTTPException(422, f"not a Telegram update: {exc}") from exc

    async def temporal() -> Client:  # the API's shared client, connected on first use
        return await get_temporal(request)

    deps = ChatDeps(engine=request.app.state.engine, settings=runtime.settings, temporal=temporal)
    await runtime.dispatcher.feed_update(runtime.bot, update, hotline=deps)
    return {"ok": True}
