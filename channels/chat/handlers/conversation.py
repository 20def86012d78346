"""A text outside any request: a new request, details for the chat's open case, "which case?",
or an acknowledgement, by the rules every channel shares (`intake/conversation.py`).

The message key `tg:<chat>:<message id>` goes with the text (filed at once or after the
citizen named the case), so an update Telegram re-sends counts once in the workflow.
"""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from channels.chat.cases import chat_contact
from channels.chat.deps import ChatDeps
from channels.chat.handlers.intake import start_request
from channels.chat.texts import add_details_keyboard, conversation_text
from core.i18n import language_of
from intake.conversation import Decision, Kind, decide, file_details, split_new
from intake.followups import CaseClosed
from models.enums import Channel
from models.service import CaseNotFound


async def text_outside_a_request(
    message: Message, state: FSMContext, hotline: ChatDeps, i18n: I18n
) -> None:
    new_case, text = split_new(message.text or "")
    contact = chat_contact(message.chat.id)
    decision = await asyncio.to_thread(
        lambda: decide(
            hotline.engine,
            contact,
            text,
            message_key=f"tg:{message.chat.id}:{message.message_id}",
            language=language_of(i18n.current_locale),
            new_case=new_case,
        )
    )
    if decision.kind is Kind.new_case:
        await start_request(message, state, hotline, decision.text)
    elif decision.kind is Kind.details:
        await _add(message, hotline, decision)
    elif decision.kind is Kind.ask_which:
        numbers = "\n".join(decision.numbers)
        await message.answer(conversation_text(_, "ask_which", numbers=numbers))
    elif decision.kind is Kind.number_only:
        await message.answer(conversation_text(_, "number_only", number=decision.numbers[0]))
    elif decision.kind is Kind.not_open:
        kind = "closed" if decision.own else "not_found"
        await message.answer(conversation_text(_, kind, number=decision.numbers[0]))
    else:
        await message.answer(conversation_text(_, "acknowledged"))


async def _add(message: Message, hotline: ChatDeps, decision: Decision) -> None:
    assert decision.case is not None
    number = decision.case.number
    limit = hotline.settings.max_description_chars
    if len(decision.text) > limit:
        await message.answer(
            _("That is {count} characters; please keep it under {limit}.").format(
                count=len(decision.text), limit=limit
            )
        )
        return
    try:
        await file_details(
            client=await hotline.temporal(),
            engine=hotline.engine,
            contact=chat_contact(message.chat.id),
            decision=decision,
            channel=Channel.chat,
        )
    except (CaseClosed, CaseNotFound):
        await message.answer(conversation_text(_, "closed", number=number))
        return
    await message.answer(
        conversation_text(_, "details_added", number=number),
        reply_markup=add_details_keyboard(_, number),
    )


def build() -> Router:
    """The conversation router, new for each dispatcher (a router joins only one)."""
    router = Router(name="conversation")
    router.message.register(
        text_outside_a_request, StateFilter(None), F.text, ~F.text.startswith("/")
    )
    return router
