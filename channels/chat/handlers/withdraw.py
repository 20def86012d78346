"""撤回 by chat: `/withdraw <number>` or the "Withdraw" button under a case's status, then a
confirm step; only for the chat that owns the case (`intake.owners`).

Every press checks again (a button may be forged or stale); a stranger's chat hears the same
"no case of yours" whether the number exists or not. The confirmation itself is the
`withdrawn` notice the workflow sends, so the "Yes" press says nothing more.
"""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from channels.chat.callbacks import WithdrawAction, WithdrawCase
from channels.chat.cases import chat_contact
from channels.chat.deps import ChatDeps
from channels.chat.handlers.status import CASE_NUMBER
from channels.chat.texts import Gettext, status_label
from intake.withdrawal import NotWithdrawable, NotYours, check_owned, withdraw_case
from models.enums import CaseStatus, Channel
from models.service import CaseNotFound


def confirm_keyboard(_: Gettext, number: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, withdraw it"),
        callback_data=WithdrawCase(number=number, action=WithdrawAction.confirm),
    )
    builder.button(
        text=_("No, keep it"),
        callback_data=WithdrawCase(number=number, action=WithdrawAction.keep),
    )
    return builder.as_markup()


def _not_yours(number: str) -> str:
    return _("We found no case {number} of yours. Please check the number.").format(number=number)


def _too_late(number: str, status: CaseStatus) -> str:
    return _("Case {number} is {status} and can no longer be withdrawn.").format(
        number=number, status=status_label(_, status)
    )


def _question(number: str) -> str:
    return _("Withdraw case {number}? It will not be handled further.").format(number=number)


async def _refusal(hotline: ChatDeps, chat_id: int, number: str) -> str | None:
    """Why this chat may not withdraw `number` now; None when it may."""
    try:
        await asyncio.to_thread(check_owned, hotline.engine, number, chat_contact(chat_id))
    except NotYours:
        return _not_yours(number)
    except NotWithdrawable as exc:
        return _too_late(number, exc.status)
    return None


async def withdraw_command(message: Message, command: CommandObject, hotline: ChatDeps) -> None:
    number = (command.args or "").strip()
    if not CASE_NUMBER.fullmatch(number):
        await message.answer(
            _("Name the case to withdraw: /withdraw 20261122-000123 (its number).")
        )
        return
    refusal = await _refusal(hotline, message.chat.id, number)
    if refusal is not None:
        await message.answer(refusal)
        return
    await message.answer(_question(number), reply_markup=confirm_keyboard(_, number))


async def withdraw_pressed(
    query: CallbackQuery, callback_data: WithdrawCase, hotline: ChatDeps
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(_("This button has expired."))
        return
    number, chat_id = callback_data.number, message.chat.id
    if callback_data.action is WithdrawAction.keep:
        await query.answer()
        await message.answer(_("Case {number} stays open.").format(number=number))
        return
    refusal = await _refusal(hotline, chat_id, number)
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    if callback_data.action is WithdrawAction.ask:
        await query.answer()
        await message.answer(_question(number), reply_markup=confirm_keyboard(_, number))
        return
    try:
        await withdraw_case(
            client=await hotline.temporal(),
            engine=hotline.engine,
            number=number,
            reason="",
            asker=chat_contact(chat_id),
            channel=Channel.chat,
        )
    except NotYours:
        await query.answer(_not_yours(number), show_alert=True)
        return
    except NotWithdrawable as exc:
        await query.answer(_too_late(number, exc.status), show_alert=True)
        return
    except CaseNotFound:
        await query.answer(_too_late(number, CaseStatus.closed), show_alert=True)
        return
    await query.answer()  # the `withdrawn` notice is the confirmation


def build() -> Router:
    """The withdraw router, new for each dispatcher (a router joins only one)."""
    router = Router(name="withdraw")
    router.message.register(withdraw_command, Command("withdraw"))
    router.callback_query.register(withdraw_pressed, WithdrawCase.filter())
    return router
