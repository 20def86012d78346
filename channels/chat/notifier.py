"""The `Notifier` of the chat channel: case notices and survey questions sent by Telegram.

Runs in the case worker (no dispatcher, no aiogram context), so texts are translated with
`core.i18n` in the case's language. A chat that blocked the bot or no longer exists is
recorded as undeliverable rather than retried for ever: the case must go on without it.
"""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup

from channels.chat.bot import build_bot
from channels.chat.texts import survey_intro, survey_keyboard, survey_question
from core.i18n import gettext_for
from core.settings import Settings
from notices.port import OutboundMessage

log = logging.getLogger("hotline.chat.notifier")


class TelegramNotifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: OutboundMessage) -> str:
        text, keyboard = self.render(message)
        # A bot (and its HTTP session) per notice: notices are few, and the worker then holds
        # no connection across activity retries or event loops.
        async with build_bot(self.settings) as bot:
            try:
                sent = await bot.send_message(int(message.address), text, reply_markup=keyboard)
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                log.warning(
                    "telegram %s to %s undeliverable: %s", message.kind, message.address, exc
                )
                return f"telegram:undeliverable:{exc.message}"[:160]
        return f"telegram:{sent.chat.id}:{sent.message_id}"

    @staticmethod
    def render(message: OutboundMessage) -> tuple[str, InlineKeyboardMarkup | None]:
        """The text as rendered for every channel; a survey becomes its first button question."""
        if message.kind != "survey":
            return message.text, None
        _ = gettext_for(message.language)
        number = message.case_number
        text = survey_intro(_, number) + "\n\n" + survey_question(_, 1)
        return text, survey_keyboard(_, number, "")
