"""/start and /help: what the bot does and its commands."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from channels.chat.texts import help_text

router = Router(name="help")


@router.message(CommandStart())
@router.message(Command("help"))
async def show_help(message: Message) -> None:
    await message.answer(help_text(_))
