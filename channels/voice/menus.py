"""The caller's own cases on the phone: menu 3 reads the latest ones, menu 4 withdraws one.

The caller is the `From` of the signed webhook (`channels/voice/caller.py`); a withheld number
owns nothing. After each answer the call goes back to the main menu, never hangs up on them.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio.client import Client
from twilio.twiml.voice_response import VoiceResponse

from channels.voice import twiml
from channels.voice.caller import latest_cases
from channels.voice.texts import prompt, spoken_digits, status_name
from core.settings import Settings
from core.temporal import TemporalUnavailable
from intake.followups import CaseStatusView, case_status, latest_case_of
from intake.owners import ProvedContact
from intake.withdrawal import NotWithdrawable, NotYours, withdraw_case
from models import Case
from models.enums import CaseStatus, Channel, Language
from models.service import CaseNotFound
from workflows.types import WITHDRAWABLE

MAX_SPOKEN_REPLY = 1000  # characters of the unit's reply read out (TwiML <Say> takes 4096)


def _line(engine: Engine, case: Case, language: Language) -> str:
    """One case as menu 3 reads it; a merged case (并案) names the case it is handled as."""
    digits = spoken_digits(case.number, language)
    if case.status == CaseStatus.merged:
        view = case_status(engine, case.number)
        if view.master_number and view.master_status:
            master = spoken_digits(view.master_number, language)
            status = status_name(view.master_status, language)
            return prompt("case_line_merged", language, digits=digits, master=master, status=status)
    status = status_name(CaseStatus(case.status), language)
    return prompt("case_line", language, digits=digits, status=status)


def status_said(view: CaseStatusView, language: Language) -> str:
    """A case's status keyed in by its number: a merged case (并案) names the case it is handled
    as and that one's status; the unit's reply when the caller owns the case."""
    digits = spoken_digits(view.number, language)
    status = status_name(view.status, language)
    params = {"digits": digits, "status": status}
    kind = "case_status"
    if view.master_number and view.master_status:
        kind = "case_status_merged"
        params["master"] = spoken_digits(view.master_number, language)
        params["status"] = status_name(view.master_status, language)
    if view.reply:
        kind = f"{kind}_reply"
        params["reply"] = view.reply[:MAX_SPOKEN_REPLY]
    return prompt(kind, language, **params)


def my_cases(
    engine: Engine, settings: Settings, language: Language, caller: ProvedContact | None
) -> VoiceResponse:
    """3: the caller's latest cases, each number digit by digit with its status in words; then
    another case by its number, or (nothing keyed) the main menu."""
    cases = latest_cases(engine, caller) if caller is not None else []
    if not cases:
        return twiml.ask_case_number(settings, language, prompt("no_cases", language))
    lines = [_line(engine, case, language) for case in cases]
    said = " ".join([prompt("your_cases", language), *lines])
    return twiml.ask_case_number(settings, language, said)


def offer_withdrawal(
    engine: Engine, settings: Settings, language: Language, caller: ProvedContact | None
) -> VoiceResponse:
    """4: name the caller's latest case that can still be withdrawn and ask to confirm."""
    case = (
        latest_case_of(engine, caller.kind, caller.value, statuses=WITHDRAWABLE)
        if caller is not None
        else None
    )
    if case is None:
        return twiml.main_menu(settings, language, prompt("withdraw_none", language))
    digits = spoken_digits(case.number, language)
    status = status_name(CaseStatus(case.status), language)
    text = prompt("withdraw_ask", language, digits=digits, status=status)
    return twiml.ask_withdraw(settings, language, case.number, text)


async def confirm_withdrawal(
    *,
    client: Client | None,
    engine: Engine,
    settings: Settings,
    language: Language,
    caller: ProvedContact | None,
    number: str,
    digit: str,
) -> VoiceResponse:
    """1 withdraws `number` if the caller owns it (`intake.withdrawal`); any other key keeps it."""
    digits = spoken_digits(number, language)
    if digit != "1":
        return twiml.main_menu(settings, language, prompt("withdraw_kept", language, digits=digits))
    if caller is None:  # no proved caller: never withdraw as if staff did
        return twiml.main_menu(settings, language, prompt("withdraw_not_yours", language))
    if client is None:
        return twiml.main_menu(settings, language, prompt("busy", language))
    try:
        await withdraw_case(
            client=client,
            engine=engine,
            number=number,
            reason="",
            asker=caller,
            channel=Channel.voice,
        )
    except NotYours:
        return twiml.main_menu(settings, language, prompt("withdraw_not_yours", language))
    except (CaseNotFound, TemporalUnavailable):  # its workflow is not running or not reached
        return twiml.main_menu(settings, language, prompt("busy", language))
    except NotWithdrawable as exc:
        status = status_name(exc.status, language)
        said = prompt("withdraw_too_late", language, digits=digits, status=status)
        return twiml.main_menu(settings, language, said)
    return twiml.main_menu(settings, language, prompt("withdrawn", language, digits=digits))
