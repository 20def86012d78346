"""/lang: the chat's language (中文 / English), kept in the FSM storage for every later update
and on the citizen behind the chat (`intake.citizens`), so every channel speaks it.

The language chosen here is also the language of the cases the chat opens, so the
workflow's notices and the survey come back in it.
"""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from channels.chat.callbacks import LangChoice
from channels.chat.deps import ChatDeps
from channels.chat.middlewares import ChatLanguageMiddleware
from channels.chat.texts import language_keyboard
from core.db import session_scope
from core.i18n import LOCALES, language_of, locale_of
from intake.citizens import set_preferred_language
from models.enums import Channel, IdentityKind, Language


async def choose_language(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    i18n_middleware: ChatLanguageMiddleware,
    hotline: ChatDeps,
) -> None:
    if command.args:
        await _set(state, i18n_middleware, command.args.strip())
        await _remember(hotline, message.chat.id, command.args.strip())
        await message.answer(_("Language set: English"))
        return
    await message.answer(_("Choose a language / 请选择语言"), reply_markup=language_keyboard())


async def language_chosen(
    query: CallbackQuery,
    callback_data: LangChoice,
    state: FSMContext,
    i18n_middleware: ChatLanguageMiddleware,
    hotline: ChatDeps,
) -> None:
    await _set(state, i18n_middleware, callback_data.language)
    if query.message is not None:
        await _remember(hotline, query.message.chat.id, callback_data.language)
    await query.answer()
    if query.message is not None:
        await query.message.answer(_("Language set: English"))


async def _set(state: FSMContext, middleware: ChatLanguageMiddleware, code: str) -> None:
    await middleware.set_locale(state, locale_of(language_of(code)))


async def _remember(hotline: ChatDeps, chat_id: int, code: str) -> None:
    """The citizen's language too: their calls and texts are answered in it."""
    await asyncio.to_thread(_store, hotline, str(chat_id), language_of(code))


def _store(hotline: ChatDeps, chat_id: str, language: Language) -> None:
    with session_scope(hotline.engine) as session:
        set_preferred_language(
            session=session,
            identity=(IdentityKind.telegram, chat_id),
            proved_by=Channel.chat,
            language=language,
        )


def build() -> Router:
    """The lang router, new for each dispatcher (a router joins only one)."""
    router = Router(name="lang")
    router.message.register(choose_language, Command("lang"))
    ours = {language.value for language in LOCALES}
    router.callback_query.register(language_chosen, LangChoice.filter(F.language.in_(ours)))
    return router
