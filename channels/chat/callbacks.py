"""Typed inline-button payloads: what each button means, packed in Telegram's 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class IntakeAction(StrEnum):
    skip_photo = "skip"
    confirm = "ok"
    cancel = "no"


class IntakeStep(CallbackData, prefix="in"):
    """A button of the intake conversation; `key` ties it to one draft, so a stale one is inert."""

    action: IntakeAction
    key: str


class LangChoice(CallbackData, prefix="lang"):
    language: str  # a models.enums.Language value


class SurveyPick(CallbackData, prefix="sv"):
    """One answer to the survey: the case, the answers given so far ("", "1", "12"), this pick.

    Carrying the earlier answers in the button makes the three questions stateless: any API
    worker can take the next press, and nothing is lost when the bot restarts mid-survey.
    """

    number: str
    answers: str
    pick: int


class AddDetails(CallbackData, prefix="add"):
    """ "Add details" under a case's confirmation or status: the chat's next text joins the case.

    Only the number travels; the press checks again that the case is this chat's and open.
    """

    number: str


class WithdrawAction(StrEnum):
    ask = "ask"  # the "Withdraw" button under a status: ask to confirm
    confirm = "yes"
    keep = "no"


class WithdrawCase(CallbackData, prefix="wd"):
    """撤回 by button; every press checks again that the case is this chat's and withdrawable."""

    number: str
    action: WithdrawAction
