"""The callback survey on the phone, written for the ear: one question per prompt, one key.

The keys are explained once (1 yes, 2 no; the satisfaction question names its own three), the
case number is said digit by digit, and an answer that is not one repeats only its question, at
most `RETRIES` times; then the citizen is thanked and the questions go by SMS instead. What was
answered so far travels in the signed webhook URL (`answers`, `retries`), so any worker takes
the next key and nothing is stored between questions.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session
from twilio.base.exceptions import TwilioException

from channels.messages import render
from channels.sms.notifier import SmsNotifier, sms_configured
from channels.survey_replies import SurveyReply, parse_survey_keys
from channels.voice.texts import prompt, spoken_digits
from core.settings import Settings
from intake.followups import AWAITING_SURVEY
from intake.owners import reachable_contacts
from models.enums import CaseStatus, Channel, IdentityKind, Language
from models.service import get_case
from notices.port import OutboundMessage

log = logging.getLogger("hotline.voice")

QUESTIONS = ("survey_contacted", "survey_resolved", "survey_satisfied")
KEYS = ("12", "12", "123")  # the keys that answer each question
RETRIES = 2  # a question is asked again at most this many times


@dataclass(frozen=True)
class SurveyStep:
    answers: str = ""  # the keys of the questions answered so far
    retries: int = 0  # unclear answers to the current question

    @property
    def question(self) -> int:
        return len(self.answers)

    @property
    def done(self) -> bool:
        return self.question == len(QUESTIONS)

    def query(self, case_number: str, language: Language) -> dict[str, str]:
        """The webhook's query: what the next answer adds to."""
        return {
            "case": case_number,
            "lang": language.value,
            "answers": self.answers,
            "retries": str(self.retries),
        }

    def take(self, keys: str) -> SurveyStep | None:
        """The step after these keys; None when one is not an answer to its question."""
        answers = self.answers
        for key in keys:
            if len(answers) == len(QUESTIONS) or key not in KEYS[len(answers)]:
                return None
            answers += key
        return SurveyStep(answers) if keys else None

    def retry(self) -> SurveyStep | None:
        """The same question once more; None when its retries are used up."""
        return SurveyStep(self.answers, self.retries + 1) if self.retries < RETRIES else None

    def reply(self) -> SurveyReply | None:
        return parse_survey_keys(self.answers) if self.done else None


def survey_words(
    step: SurveyStep, language: Language, case_number: str, *, first: bool = False
) -> list[str]:
    """What the call says for `step`: the introduction on the first question, an apology and
    the keys again on a retry, then the question."""
    said = []
    if first:
        said.append(prompt("survey_intro", language, digits=spoken_digits(case_number, language)))
    if step.retries:
        said.append(prompt("survey_wrong", language))
    said.append(prompt(QUESTIONS[step.question], language))
    if step.retries and KEYS[step.question] == "12":
        said.append(prompt("survey_yes_no", language))
    return said


def _survey_address(engine: Engine, number: str) -> str | None:
    """Where the questions go by text: the case's phone, while its survey is still open."""
    with Session(engine) as session:
        case = get_case(session=session, number=number)
        if case is None or CaseStatus(case.status) not in AWAITING_SURVEY:
            return None
        return reachable_contacts(session=session, case=case).get(IdentityKind.phone)


async def survey_by_sms(
    settings: Settings, engine: Engine, language: Language, number: str
) -> str | None:
    """The same three questions by SMS, answered there (`channels/sms/inbound.py`); the SMS
    notifier leaves out a number that said STOP. None when nothing was sent."""
    phone = await asyncio.to_thread(_survey_address, engine, number)
    if phone is None or not sms_configured(settings):
        return None
    text = render("survey", language, {"number": number, "reply": ""})
    message = OutboundMessage(
        case_number=number,
        channel=Channel.sms,
        address=phone,
        language=language,
        kind="survey",
        text=text,
    )
    try:
        return await SmsNotifier(settings=settings, engine=engine).send(message)
    except (TwilioException, OSError) as exc:
        log.error("survey of %s: the SMS fallback was not sent: %s", number, exc)
        return None
