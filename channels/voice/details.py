"""Voice follow-ups: what a caller with one open case says may be details for that case.

The conversation rules (`intake/conversation.py`) file a text from a citizen with exactly one
open case as details for it. On the phone the caller cannot start with "NEW", so after the
read-back the caller is asked instead: 1 adds what they said to that case (through
`intake.conversation.file_details`, keyed by the CallSid, so a repeated webhook adds it once),
2 or nothing pressed files it as a new case, as a call with no open case does. A caller with
several open cases, or none, or a withheld number, files a new case without a question.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

from sqlalchemy.engine import Engine
from temporalio.client import Client
from twilio.twiml.voice_response import Gather, VoiceResponse

from channels.voice import twiml
from channels.voice.texts import prompt, spoken_digits
from core.settings import Settings
from core.temporal import TemporalUnavailable
from intake.conversation import Decision, Kind, file_details, open_cases
from intake.followups import CaseClosed
from intake.owners import ProvedContact
from models.enums import Channel, Language
from models.service import CaseNotFound


def the_one_open_case(engine: Engine, caller: ProvedContact | None) -> str | None:
    """The number of the caller's only open case (a merged case counts as its master)."""
    if caller is None:
        return None
    cases = open_cases(engine, caller)
    return cases[0][0].number if len(cases) == 1 else None


def ask_details_or_new(settings: Settings, language: Language, number: str) -> VoiceResponse:
    """After the read-back: 1 adds it to `number`, 2 (or nothing) files a new case."""
    response = VoiceResponse()
    action = twiml.webhook(settings, "/details", case=number, lang=language)
    gather = Gather(input="dtmf", num_digits=1, timeout=8, action=action)
    digits = spoken_digits(number, language)
    twiml.say(gather, prompt("details_or_new", language, digits=digits), language)
    response.append(gather)
    response.redirect(action)
    return response


class Added(StrEnum):
    added = "added"
    new_case = "new_case"  # no longer the caller's one open case: file what they said as new
    busy = "busy"  # the case's workflow cannot be reached: nothing filed, try again later


async def add_to_open_case(
    *,
    client: Client | None,
    engine: Engine,
    caller: ProvedContact | None,
    number: str,
    transcript: str,
    call_sid: str,
) -> Added:
    """Add the transcript to `number` while it is still the caller's one open case (it may have
    been answered, closed, or joined by another case since the question)."""
    cases = await asyncio.to_thread(open_cases, engine, caller) if caller is not None else []
    if caller is None or len(cases) != 1 or cases[0][0].number != number:
        return Added.new_case
    if client is None:
        return Added.busy
    decision = Decision(Kind.details, text=transcript, case=cases[0][0], message_key=call_sid)
    try:
        await file_details(
            client=client, engine=engine, contact=caller, decision=decision, channel=Channel.voice
        )
    except CaseClosed:
        return Added.new_case
    except (CaseNotFound, TemporalUnavailable):  # its workflow is not running or not reached
        return Added.busy
    return Added.added
