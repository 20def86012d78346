"""Dispatcher middlewares: the chat's language, and each update handled once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import FSMI18nMiddleware

from channels.i18n import language_of, locale_of

SEEN_DESTINY = "hotline_seen_updates"
SEEN_KEPT = 64  # per chat: far more than Telegram ever re-sends


class ChatLanguageMiddleware(FSMI18nMiddleware):
    """The language chosen with /lang, else the Telegram client's, else Chinese."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        state: FSMContext | None = data.get("state")
        if state is not None:
            chosen = (await state.get_data()).get(self.key)
            if chosen in self.i18n.available_locales:
                return str(chosen)
        user: User | None = data.get("event_from_user")
        return locale_of(language_of(user.language_code if user else None))


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
