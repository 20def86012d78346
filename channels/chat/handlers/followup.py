"""补充: more details for an open case, the Telegram way.

A text outside any conversation starts a new request, so adding to a case is asked for
explicitly: the "Add details" button under the case's confirmation or /status answer, or
`/add [number]` (without a number, the chat's newest open case). The chat's next text then
goes to that case through `intake.followups.add_details`, with message_key
`tg:<chat>:<message id>`, so an update Telegram re-sends counts once in the workflow.

Only the chat's own cases: the case's citizen must carry this chat's Telegram identity. A
closed case (or one closed between the press and the text) answers so, in words.
"""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from channels.chat.callbacks import AddDetails
from channels.chat.cases import chat_case
from channels.chat.deps import ChatDeps
from channels.chat.handlers.status import CASE_NUMBER
from channels.chat.texts import add_details_keyboard
from intake.followups import CaseClosed, add_details, latest_case_of
from models.case import Case
from models.enums import CaseStatus, Channel, IdentityKind
from models.service import CaseNotFound
from workflows.types import TERMINAL

CASE_KEY = "details_for"


class Followup(StatesGroup):
    details = State()  # the next text goes to the case in data[CASE_KEY]


async def add_command(
    message: Message, command: CommandObject, state: FSMContext, hotline: ChatDeps
) -> None:
    number = (command.args or "").strip()
    chat_id = message.chat.id
    case: Case | None
    if number:
        if not CASE_NUMBER.fullmatch(number):
            await message.answer(
                _("A case number looks like 20261122-000123: /add 20261122-000123")
            )
            return
        case = await asyncio.to_thread(chat_case, hotline.engine, chat_id, number)
        if case is None:
            await message.answer(_("There is no case numbered {number}.").format(number=number))
            return
    else:
        case = await asyncio.to_thread(
            lambda: latest_case_of(
                hotline.engine, IdentityKind.telegram, str(chat_id), open_only=True
            )
        )
        if case is None:
            await message.answer(
                _("You have no open case to add to. Describe a problem to start one.")
            )
            return
    await _expect_details(message, state, case)


async def add_pressed(
    query: CallbackQuery, callback_data: AddDetails, state: FSMContext, hotline: ChatDeps
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(_("This button has expired."))
        return
    case = await asyncio.to_thread(chat_case, hotline.engine, message.chat.id, callback_data.number)
    if case is None:  # a forged button: not this chat's case
        await query.answer(
            _("There is no case numbered {number}.").format(number=callback_data.number),
            show_alert=True,
        )
        return
    await query.answer()
    await _expect_details(message, state, case)


async def details_typed(message: Message, state: FSMContext, hotline: ChatDeps) -> None:
    number: str = (await state.get_data()).get(CASE_KEY, "")
    text = (message.text or "").strip()
    limit = hotline.settings.max_description_chars
    if len(text) > limit:
        await message.answer(
            _("That is {count} characters; please keep it under {limit}.").format(
                count=len(text), limit=limit
            )
        )
        return
    try:
        await add_details(
            client=await hotline.temporal(),
            engine=hotline.engine,
            number=number,
            text=text,
            channel=Channel.chat,
            message_key=f"tg:{message.chat.id}:{message.message_id}",
        )
    except (CaseClosed, CaseNotFound):
        await _end(state)
        await message.answer(_closed(number))
        return
    await message.answer(
        _("Added to case {number}; the unit handling it will see it.").format(number=number),
        reply_markup=add_details_keyboard(_, number),
    )
    # Only now: should the signal or the reply fail, Telegram re-sends the update, which finds
    # the chat still waiting for details; the workflow counts the message_key once.
    await _end(state)


async def details_fallback(message: Message) -> None:
    await message.answer(_("Please send the details as a text message, or /cancel."))


async def _expect_details(message: Message, state: FSMContext, case: Case) -> None:
    if CaseStatus(case.status) in TERMINAL:
        await message.answer(_closed(case.number))
        return
    await state.set_state(Followup.details)
    await state.update_data({CASE_KEY: case.number, "draft": None})
    await message.answer(
        _("Send the details for case {number} in one message, or /cancel.").format(
            number=case.number
        )
    )


async def _end(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data({CASE_KEY: None})


def _closed(number: str) -> str:
    return _("Case {number} is closed and takes no more messages.").format(number=number)


def _not_a_command(message: Message) -> bool:
    """Commands (/cancel, /new, /status ...) keep their meaning while details are awaited."""
    return not (message.text or "").startswith("/")


def build() -> Router:
    """The follow-up router, new for each dispatcher (a router joins only one)."""
    router = Router(name="followup")
    router.message.register(add_command, Command("add"))
    router.callback_query.register(add_pressed, AddDetails.filter())
    router.message.register(details_typed, Followup.details, F.text, ~F.text.startswith("/"))
    router.message.register(details_fallback, Followup.details, _not_a_command)
    return router
