"""Texts and keyboards the bot and the notifier both show, translated by the caller's `_`.

Taking `_` as a parameter lets the worker (no aiogram context) and the bot (aiogram's i18n
context) render the same words from the same gettext catalogue.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from channels.chat.callbacks import (
    AddDetails,
    IntakeAction,
    IntakeStep,
    LangChoice,
    SurveyPick,
    WithdrawAction,
    WithdrawCase,
)
from core.i18n import LOCALES, language_name
from models.enums import CaseStatus

Gettext = Callable[[str], str]
SURVEY_QUESTIONS = 3


def survey_intro(_: Gettext, number: str) -> str:
    return _("Follow-up on case {number}: please answer three short questions.").format(
        number=number
    )


def survey_question(_: Gettext, step: int) -> str:
    """The question for `step` (1..3), as the notifier and the bot both show it."""
    questions = {
        1: _("1/3 Did the unit responsible contact you?"),
        2: _("2/3 Is the problem solved?"),
        3: _("3/3 How satisfied are you with the handling?"),
    }
    return questions[step]


def survey_keyboard(_: Gettext, number: str, answers: str) -> InlineKeyboardMarkup:
    """Buttons for the next question: 1 = yes / satisfied, 2 = no / basically, 3 = dissatisfied.

    The same digits as the SMS and keypad survey, so `parse_survey_keys` reads all three.
    """
    if len(answers) < SURVEY_QUESTIONS - 1:
        choices = [(1, _("Yes")), (2, _("No"))]
    else:
        choices = [(1, _("Satisfied")), (2, _("Basically satisfied")), (3, _("Dissatisfied"))]
    builder = InlineKeyboardBuilder()
    for pick, label in choices:
        builder.button(
            text=label, callback_data=SurveyPick(number=number, answers=answers, pick=pick)
        )
    builder.adjust(len(choices) if len(choices) == 2 else 1)
    return builder.as_markup()


def location_keyboard(_: Gettext) -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=_("Share my location"), request_location=True)
    return ReplyKeyboardMarkup(
        keyboard=[[button]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=_("or type the address"),
    )


def intake_keyboard(_: Gettext, key: str, *actions: IntakeAction) -> InlineKeyboardMarkup:
    labels = {
        IntakeAction.skip_photo: _("No photo"),
        IntakeAction.confirm: _("Send"),
        IntakeAction.cancel: _("Cancel"),
    }
    builder = InlineKeyboardBuilder()
    for action in actions:
        builder.button(text=labels[action], callback_data=IntakeStep(action=action, key=key))
    return builder.as_markup()


def add_details_keyboard(_: Gettext, number: str) -> InlineKeyboardMarkup:
    """One button under a case's confirmation or status: the next text adds to the case."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Add details"), callback_data=AddDetails(number=number))
    return builder.as_markup()


def withdraw_button(_: Gettext, number: str) -> InlineKeyboardButton:
    """撤回 under a case's status while it may be withdrawn; a confirm step follows."""
    data = WithdrawCase(number=number, action=WithdrawAction.ask)
    return InlineKeyboardButton(text=_("Withdraw"), callback_data=data.pack())


def language_keyboard() -> InlineKeyboardMarkup:
    """One button per language, named in itself ("中文", "English")."""
    builder = InlineKeyboardBuilder()
    for language in LOCALES:
        builder.button(
            text=language_name(language), callback_data=LangChoice(language=language.value)
        )
    return builder.as_markup()


def status_label(_: Gettext, status: CaseStatus) -> str:
    labels = {
        CaseStatus.accepted: _("received, waiting to be sent to a unit"),
        CaseStatus.dispatched: _("sent to the unit responsible"),
        CaseStatus.returned: _("being re-assigned by the dispatch centre"),
        CaseStatus.acknowledged: _("accepted by the unit responsible"),
        CaseStatus.in_progress: _("being handled"),
        CaseStatus.resolved: _("resolved, follow-up pending"),
        CaseStatus.callback: _("resolved, follow-up pending"),
        CaseStatus.reopened: _("reopened and being handled again"),
        CaseStatus.closed: _("closed"),
        CaseStatus.withdrawn: _("withdrawn"),
        CaseStatus.merged: _("merged into another case about the same problem"),
    }
    return labels[status]


def merged_status(_: Gettext, number: str, master: str, status: CaseStatus) -> str:
    """A merged case (并案) is handled as its master: say which, and how that one stands."""
    return _("Case {number} was merged into case {master}. Case {master}: {status}.").format(
        number=number, master=master, status=status_label(_, status)
    )


def help_text(_: Gettext) -> str:
    return _(
        "This is the 12345 citizen service hotline.\n"
        "Describe a problem in a message to start a request: we ask for the place and an "
        "optional photo, then give you a case number.\n"
        "/new - start a request\n"
        "/status [number] - where your case stands\n"
        "/add [number] - add details to your open case\n"
        "/mycases - your latest cases\n"
        "/lang - 中文 / English\n"
        "/cancel - stop the current request"
    )


def conversation_text(_: Gettext, kind: str, **params: str) -> str:
    """The bot's answers to a text outside a request (`intake/conversation.py`)."""
    texts = {
        "details_added": _("Added to case {number}; the unit handling it will see it.")
        + "\n"
        + _("To report a different problem, start your message with “NEW” or send /new."),
        "ask_which": _(
            "You have several open cases:\n{numbers}\nWhich one is your message about? Reply "
            "with its number; to report a new problem, start your message with “NEW” or send "
            "/new."
        ),
        "number_only": _(
            "To add to case {number}, send its number followed by what you want to add, or "
            "press “Add details” under /status {number}."
        ),
        "not_found": _("There is no case numbered {number}."),
        "closed": _("Case {number} is closed and takes no more messages."),
        "acknowledged": _("Thank you. Message us any time if there is anything else."),
    }
    return texts[kind].format(**params)
