"""Dispatcher middlewares: the chat's language, each update handled once, the rate limit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, Message, TelegramObject, Update, User
from aiogram.utils.i18n import FSMI18nMiddleware
from aiogram.utils.i18n import gettext as _
from sqlalchemy.engine import Engine
from sqlmodel import Session

from channels.chat.deps import ChatDeps
from channels.chat.handlers.intake import IntakeForm
from channels.rate_limit import RateLimiter, minutes_to_wait
from core.i18n import language_of, locale_of
from intake.citizens import preferred_language
from intake.conversation import counts_for_the_limit as conversation_counts
from models.enums import Channel, IdentityKind, Language

SEEN_DESTINY = "hotline_seen_updates"
SEEN_KEPT = 64  # per chat: far more than Telegram ever re-sends


class ChatLanguageMiddleware(FSMI18nMiddleware):
    """The language chosen with /lang, else the one its citizen chose on any channel (SMS `EN`,
    the phone), else the Telegram client's, else Chinese."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        state: FSMContext | None = data.get("state")
        if state is not None:
            chosen = (await state.get_data()).get(self.key)
            if chosen in self.i18n.available_locales:
                return str(chosen)
        hotline: ChatDeps | None = data.get("hotline")
        chat: Chat | None = data.get("event_chat")
        if hotline is not None and chat is not None:
            citizens = await asyncio.to_thread(_citizen_language, hotline.engine, str(chat.id))
            if citizens is not None:
                return locale_of(citizens)
        user: User | None = data.get("event_from_user")
        return locale_of(language_of(user.language_code if user else None))


def _citizen_language(engine: Engine, chat_id: str) -> Language | None:
    with Session(engine) as session:
        return preferred_language(session=session, identity=(IdentityKind.telegram, chat_id))


class DeduplicateUpdates(BaseMiddleware):
    """Skip an update this chat has already had handled (Telegram re-sends on timeouts).

    Registered after the dispatcher's FSM middleware, so it runs under the per-chat event
    lock: a duplicate arriving while the original is still being handled waits, then is
    skipped. An update is remembered only once handled, so one that failed can be re-sent.
    The memory lives in the FSM storage (Redis when configured), shared by all API workers.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        if state is None or not isinstance(event, Update):
            return await handler(event, data)
        key = replace(state.key, destiny=SEEN_DESTINY)
        seen: list[int] = (await state.storage.get_data(key)).get("ids", [])
        if event.update_id in seen:
            return None
        result = await handler(event, data)
        seen = (await state.storage.get_data(key)).get("ids", [])
        await state.storage.set_data(key, {"ids": [*seen, event.update_id][-SEEN_KEPT:]})
        return result


# Steps of one request whose first message (the description) was counted already.
_DRAFT_STEPS = frozenset(
    state.state for state in (IntakeForm.location, IntakeForm.photo, IntakeForm.confirm)
)


def counts_for_the_limit(message: Message, raw_state: str | None) -> bool:
    """A message that may create or change a case: a description, details, a typed survey
    answer. Commands (/start, /lang, /status ...), the later steps of a draft request (its
    place, photo, confirmation), acknowledgements ("好的", "thanks") and a bare case number
    answering "which case?" (`intake/conversation.py`), stickers and the like do not count."""
    if raw_state in _DRAFT_STEPS:
        return False
    if raw_state is None and message.text is not None:
        # Outside any conversation: "好的" or "thanks" is answered, never filed.
        return not message.text.lstrip().startswith("/") and conversation_counts(message.text)
    caption = message.text or message.caption
    if caption is not None:
        return not caption.lstrip().startswith("/")
    return bool(message.photo or message.location or message.voice)


class RateLimitMiddleware(BaseMiddleware):
    """At most `HOTLINE_CHANNEL_RATE_LIMIT_MESSAGES` counted messages per chat in any
    `HOTLINE_CHANNEL_RATE_LIMIT_WINDOW_S` seconds, counted by the shared limiter
    (`channels/rate_limit.py`, in the database), so the limit holds across API workers and the
    polling process alike. Registered for messages only: button presses never count, and
    `counts_for_the_limit` leaves out commands and the later steps of a request.

    Over the limit the message goes no further (no draft, no case, no signal); the chat is told
    once, with the real wait in minutes, then nothing: a flood is not answered with a flood.
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat = data.get("event_chat")
        if chat is None or not isinstance(event, Message):
            return await handler(event, data)
        if not counts_for_the_limit(event, data.get("raw_state")):
            return await handler(event, data)
        sender = str(chat.id)
        if await asyncio.to_thread(self.limiter.allow, Channel.chat, sender):
            return await handler(event, data)
        if await asyncio.to_thread(self.limiter.first_refusal, Channel.chat, sender):
            wait = await asyncio.to_thread(self.limiter.retry_after, Channel.chat, sender)
            notice = _(
                "You are sending requests too often; please try again in {minutes} min. "
                "Call 12345 if urgent."
            ).format(minutes=minutes_to_wait(wait))
            await event.answer(notice)
        return None
