"""Build the bot and its dispatcher from settings: storage, middlewares, routers, errors.

Webhook (`channels.chat.webhook`) and long polling (`run_polling`) share this, so both modes
behave alike.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.engine import Engine

from channels.chat.deps import ChatDeps
from channels.chat.handlers import routers
from channels.chat.middlewares import (
    ChatLanguageMiddleware,
    DeduplicateUpdates,
    RateLimitMiddleware,
)
from channels.rate_limit import RateLimiter
from core.i18n import DEFAULT_LANGUAGE, LOCALE_DIR, Domain, locale_of
from core.settings import Settings
from core.temporal import TemporalUnavailable
from intake.errors import IntakeRejected
from intake.followups import CaseClosed
from models.service import CaseNotFound

log = logging.getLogger("hotline.chat")


class ChatNotConfigured(RuntimeError):
    def __str__(self) -> str:
        return "the Telegram channel is not configured: set HOTLINE_TELEGRAM_BOT_TOKEN"


def build_bot(settings: Settings) -> Bot:
    """A bot talking to `telegram_api_base_url` (Telegram, or a local Bot API server)."""
    if not settings.telegram_bot_token:
        raise ChatNotConfigured()
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_base_url),
        timeout=settings.telegram_timeout_s,
    )
    return Bot(
        settings.telegram_bot_token,
        session=session,
        default=DefaultBotProperties(parse_mode=None, link_preview_is_disabled=True),
    )


def build_storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    """Redis when configured (several API workers share conversations), else process memory."""
    if not settings.telegram_redis_url:
        return MemoryStorage(), SimpleEventIsolation()
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

    keys = DefaultKeyBuilder(prefix="hotline", with_bot_id=True, with_destiny=True)
    storage = RedisStorage.from_url(settings.telegram_redis_url, key_builder=keys)
    return storage, RedisEventIsolation(storage.redis, key_builder=keys)


def build_dispatcher(settings: Settings, engine: Engine) -> Dispatcher:
    """The dispatcher; each update is fed with `hotline=ChatDeps(...)`, which handlers take.

    `engine` holds the shared rate-limit counts (`HOTLINE_CHANNEL_RATE_LIMIT_*`).
    """
    storage, isolation = build_storage(settings)
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.update.outer_middleware(DeduplicateUpdates())
    i18n = I18n(path=LOCALE_DIR, default_locale=locale_of(DEFAULT_LANGUAGE), domain=Domain.citizen)
    ChatLanguageMiddleware(i18n).setup(dp)
    limiter = RateLimiter.from_settings(settings, engine)
    dp.message.outer_middleware(RateLimitMiddleware(limiter))  # button presses never count
    dp.include_router(_errors_router())
    dp.include_routers(*routers())
    return dp


def _errors_router() -> Router:
    """Every failure ends in one place: the citizen gets words, the log gets the trace."""
    router = Router(name="errors")

    @router.errors()
    async def on_error(event: ErrorEvent, bot: Bot) -> None:
        exc = event.exception
        if isinstance(exc, IntakeRejected):
            # The reason in the chat's language: `_` is the citizen catalogue of this update.
            reason = _(exc.template).format(**exc.params)
            text = _("We could not accept this request: {reason}").format(reason=reason)
        elif isinstance(exc, CaseClosed):
            text = _("Case {number} is closed and takes no more messages.").format(
                number=exc.number
            )
        elif isinstance(exc, CaseNotFound):
            text = _("There is no open case numbered {number}.").format(number=exc.number)
        elif isinstance(exc, TemporalUnavailable):
            log.warning("chat update %s: %s", event.update.update_id, exc)
            text = _("The hotline is busy right now; please try again in a minute.")
        else:
            log.error("chat update %s failed", event.update.update_id, exc_info=exc)
            text = _("Sorry, something went wrong on our side; please try again.")
        chat_id = _chat_id(event.update)
        if chat_id is not None:
            await bot.send_message(chat_id, text)

    return router


def _chat_id(update: Update) -> int | None:
    if update.message is not None:
        return update.message.chat.id
    query = update.callback_query
    if query is not None and query.message is not None:
        return query.message.chat.id
    return None


async def run_polling(deps: ChatDeps, **polling: Any) -> None:
    """Long polling until stopped (Ctrl-C / SIGTERM); drops any webhook first, as Telegram
    serves updates one way at a time."""
    bot = build_bot(deps.settings)
    dp = build_dispatcher(deps.settings, deps.engine)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await dp.start_polling(bot, hotline=deps, **polling)
    finally:
        await dp.storage.close()
        await bot.session.close()
