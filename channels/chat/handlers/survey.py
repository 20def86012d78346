"""回访 by chat: the three survey questions answered with inline buttons, or typed.

The notifier sends question 1; each press edits the message to the next question, carrying
the earlier answers in the button (`SurveyPick`); the third press sends the whole answer
through `intake.followups.answer_survey`. The answer key is the survey message itself, so a
double press or a re-sent update counts once, as does any later press on the same message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.engine import Engine
from sqlmodel import Session

from channels.chat.callbacks import SurveyPick
from channels.chat.cases import chat_case
from channels.chat.deps import ChatDeps
from channels.chat.texts import SURVEY_QUESTIONS, survey_intro, survey_keyboard, survey_question
from channels.survey_replies import SurveyReply, parse_survey_keys, parse_survey_reply
from intake.followups import answer_survey, latest_awaiting_survey, survey_open
from models.enums import IdentityKind

# Survey messages this chat has answered (the per-chat event lock makes check-then-set safe).
ANSWERED = "surveys_answered"
ANSWERED_KEPT = 20


async def survey_pressed(
    query: CallbackQuery, callback_data: SurveyPick, hotline: ChatDeps, state: FSMContext
) -> None:
    message = query.message
    answers = callback_data.answers + str(callback_data.pick)
    if message is None or not isinstance(message, Message):
        await query.answer(_("This survey has expired."))
        return
    open_ = await asyncio.to_thread(
        _survey_open_for_chat, hotline.engine, callback_data.number, message.chat.id
    )
    if not open_:
        await query.answer(_("This survey is no longer open."), show_alert=True)
        await message.edit_reply_markup(reply_markup=None)
        return
    if len(answers) < SURVEY_QUESTIONS:
        await query.answer()
        text = survey_intro(_, callback_data.number) + "\n\n" + survey_question(_, len(answers) + 1)
        await message.edit_text(
            text, reply_markup=survey_keyboard(_, callback_data.number, answers)
        )
        return
    reply = parse_survey_keys(answers)
    if reply is None:  # a forged or malformed button: not a real answer
        await query.answer(_("That answer was not understood."), show_alert=True)
        return
    key = f"tg:{message.chat.id}:{message.message_id}"
    answered: list[str] = (await state.get_data()).get(ANSWERED, [])
    if key in answered:  # a second press racing the first: the answer is already in
        await query.answer(_("Your answers are already recorded."))
        return
    await _answer(hotline, callback_data.number, key, reply)
    await state.update_data({ANSWERED: [*answered, key][-ANSWERED_KEPT:]})
    await query.answer(_("Thank you!"))
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(
        _("Thank you: your answers on case {number} are recorded.").format(
            number=callback_data.number
        )
    )


async def typed_survey_answer(message: Message, hotline: ChatDeps) -> dict[str, Any] | bool:
    """Filter: a text that answers the survey of this chat's case awaiting one."""
    if not message.text or message.text.startswith("/"):
        return False
    reply = parse_survey_reply(message.text)
    if reply is None:
        return False
    case = await asyncio.to_thread(
        latest_awaiting_survey, hotline.engine, IdentityKind.telegram, str(message.chat.id)
    )
    if case is None:
        return False
    return {"survey_case": case.number, "survey_reply": reply}


async def survey_typed(
    message: Message, hotline: ChatDeps, survey_case: str, survey_reply: SurveyReply
) -> None:
    await _answer(hotline, survey_case, f"tg:{message.chat.id}:{message.message_id}", survey_reply)
    await message.answer(
        _("Thank you: your answers on case {number} are recorded.").format(number=survey_case)
    )


async def _answer(hotline: ChatDeps, number: str, key: str, reply: SurveyReply) -> None:
    await answer_survey(
        client=await hotline.temporal(),
        engine=hotline.engine,
        number=number,
        answer_key=key,
        contacted=reply.contacted,
        resolved=reply.resolved,
        satisfaction=reply.satisfaction,
    )


def _survey_open_for_chat(engine: Engine, number: str, chat_id: int) -> bool:
    """The case's survey is open (a merged case's: its master's) and this chat's citizen
    opened the case; False for anyone else's case."""
    case = chat_case(engine, chat_id, number)
    if case is None:
        return False
    with Session(engine) as session:
        return survey_open(session, case)


def build() -> Router:
    """The survey router, new for each dispatcher (a router joins only one)."""
    router = Router(name="survey")
    router.callback_query.register(survey_pressed, SurveyPick.filter(F.pick.in_({1, 2, 3})))
    router.message.register(survey_typed, StateFilter(None), F.text, typed_survey_answer)
    return router
