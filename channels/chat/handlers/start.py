"""/start and /help: what the bot does and its commands; /start also offers "Share my phone
number" to a chat with no phone linked, so a citizen who called or texted before finds those
cases here from the first message."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from channels.chat.deps import ChatDeps
from channels.chat.handlers.mycases import answer_with_phone_offer
from channels.chat.texts import help_text


async def show_help(message: Message) -> None:
    await message.answer(help_text(_))


async def start(message: Message, hotline: ChatDeps) -> None:
    await answer_with_phone_offer(message, hotline, help_text(_))


def build() -> Router:
    """The start router, new for each dispatcher (a router joins only one)."""
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(show_help, Command("help"))
    return router
