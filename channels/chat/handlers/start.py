"""/start and /help: what the bot does and its commands."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from channels.chat.texts import help_text


async def show_help(message: Message) -> None:
    await message.answer(help_text(_))


def build() -> Router:
    """The start router, new for each dispatcher (a router joins only one)."""
    router = Router(name="start")
    router.message.register(show_help, CommandStart())
    router.message.register(show_help, Command("help"))
    return router
