"""A per-chat rate limit, so one chat cannot flood the hotline; a blocked chat is told once.

TODO(issue 5): switch to the shared per-sender limiter (`channels/rate_limit.py`, built with
the SMS channel) once merged; this one counts in process memory, so with several API workers
each worker allows the configured rate.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _


@dataclass
class ChatRateLimiter:
    """At most `limit` events per chat in any `window_s` seconds (a sliding window)."""

    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _told: dict[int, float] = field(default_factory=dict)

    def allow(self, chat_id: int) -> bool:
        now = self.clock()
        times = self._seen.setdefault(chat_id, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        self._told.pop(chat_id, None)
        if len(self._seen) > 10_000:  # forget idle chats so memory stays bounded
            self._forget_idle(now)
        return True

    def should_tell(self, chat_id: int) -> bool:
        """True once per blocked stretch: the polite notice is not itself a flood."""
        if chat_id in self._told:
            return False
        self._told[chat_id] = self.clock()
        return True

    def _forget_idle(self, now: float) -> None:
        for chat_id in [c for c, t in self._seen.items() if not t or now - t[-1] >= self.window_s]:
            del self._seen[chat_id]


class RateLimitMiddleware(BaseMiddleware):
    def __init__(self, limiter: ChatRateLimiter) -> None:
        self.limiter = limiter

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat = data.get("event_chat")
        if chat is None or self.limiter.allow(chat.id):
            return await handler(event, data)
        notice = _("You are sending messages very fast; please wait a minute and try again.")
        if isinstance(event, CallbackQuery):
            await event.answer(notice if self.limiter.should_tell(chat.id) else None)
        elif isinstance(event, Message) and self.limiter.should_tell(chat.id):
            await event.answer(notice)
        return None
