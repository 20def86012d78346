"""/lang: the chat's language (中文 / English), kept in the FSM storage for every later update.

The language chosen here is also the language of the cases the chat opens, so the
workflow's notices and the survey come back in it.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from channels.chat.callbacks import LangChoice
from channels.chat.middlewares import ChatLanguageMiddleware
from channels.chat.texts import language_keyboard
from core.i18n import LOCALES, language_of, locale_of


async def choose_language(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    i18n_middleware: ChatLanguageMiddleware,
) -> None:
    if command.args:
        await _set(state, i18n_middleware, command.args.strip())
        await message.answer(_("Language set: English"))
        return
    await message.answer(_("Choose a language / 请选择语言"), reply_markup=language_keyboard())


async def language_chosen(
    query: CallbackQuery,
    callback_data: LangChoice,
    state: FSMContext,
    i18n_middleware: ChatLanguageMiddleware,
) -> None:
    await _set(state, i18n_middleware, callback_data.language)
    await query.answer()
    if query.message is not None:
        await query.message.answer(_("Language set: English"))


async def _set(state: FSMContext, middleware: ChatLanguageMiddleware, code: str) -> None:
    await middleware.set_locale(state, locale_of(language_of(code)))


def build() -> Router:
    """The lang router, new for each dispatcher (a router joins only one)."""
    router = Router(name="lang")
    router.message.register(choose_language, Command("lang"))
    ours = {language.value for language in LOCALES}
    router.callback_query.register(language_chosen, LangChoice.filter(F.language.in_(ours)))
    return router
