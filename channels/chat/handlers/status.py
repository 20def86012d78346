"""/status [number]: where a case stands; without a number, the chat's latest case.

Any chat learns a case's status by its number; the unit's reply, and the "Add details" button
while the case is open and the "Withdraw" one while it may be withdrawn, only the chat the case
belongs to.
"""

from __future__ import annotations

import asyncio
import re

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from channels.chat.cases import chat_contact
from channels.chat.deps import ChatDeps
from channels.chat.texts import (
    add_details_keyboard,
    merged_status,
    status_label,
    withdraw_button,
)
from intake.followups import case_status, latest_case_of
from models.enums import IdentityKind
from models.service import CaseNotFound
from workflows.types import TERMINAL, WITHDRAWABLE

CASE_NUMBER = re.compile(r"\d{8}-\d{6}")


async def show_status(message: Message, command: CommandObject, hotline: ChatDeps) -> None:
    number = (command.args or "").strip()
    if not number:
        latest = await asyncio.to_thread(
            latest_case_of, hotline.engine, IdentityKind.telegram, str(message.chat.id)
        )
        if latest is None:
            await message.answer(_("You have no case yet. Describe a problem to start one."))
            return
        number = latest.number
    if not CASE_NUMBER.fullmatch(number):
        await message.answer(_("A case number looks like 20261122-000123: /status 20261122-000123"))
        return
    try:
        view = await asyncio.to_thread(
            lambda: case_status(hotline.engine, number, asker=chat_contact(message.chat.id))
        )
    except CaseNotFound:
        await message.answer(_("There is no case numbered {number}.").format(number=number))
        return
    if view.master_number and view.master_status:
        text = merged_status(_, view.number, view.master_number, view.master_status)
    else:
        text = _("Case {number}: {status}.").format(
            number=view.number, status=status_label(_, view.status)
        )
    if view.reply:
        text += "\n" + _("Reply: {reply}").format(reply=view.reply)
    open_and_own = view.own and view.status not in TERMINAL
    markup = add_details_keyboard(_, number) if open_and_own else None
    if markup is not None and view.status in WITHDRAWABLE:
        markup.inline_keyboard[0].append(withdraw_button(_, number))
    await message.answer(text, reply_markup=markup)


def build() -> Router:
    """The status router, new for each dispatcher (a router joins only one)."""
    router = Router(name="status")
    router.message.register(show_status, Command("status"))
    return router
