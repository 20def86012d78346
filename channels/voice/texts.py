"""What the IVR says, from the `citizen` catalogue, by prompt (as `channels.messages`)."""

from __future__ import annotations

from core.i18n import N_, gettext_for, pgettext_for
from models.enums import CaseStatus, Language

PROMPTS: dict[str, str] = {
    "greeting": N_(
        "Welcome to the 12345 citizen service hotline. To report a problem, stay on the "
        "line. To check a case, press 3. To speak to an operator, press 0."
    ),
    "english": N_("For English, press 2."),
    "describe": N_("Describe the problem and where it is, then wait, or press hash."),
    "record": N_(
        "After the tone, leave a message with the problem and where it is, then press hash."
    ),
    "recorded": N_("Your message has been received. We will send you the case number. Goodbye."),
    "not_heard": N_("Sorry, we did not catch that."),
    "read_back": N_("You said: {text}. To confirm, press 1. To record again, press 2."),
    "accepted": N_(
        "Your request is accepted. Your case number is: {digits}. Again: {digits}. Goodbye."
    ),
    "ask_number": N_("Enter the fourteen digit case number, then press hash."),
    "unknown_case": N_("We found no case with that number."),
    "case_status": N_("Case {digits} is now: {status}."),
    "case_status_reply": N_(
        "Case {digits} is now: {status}. The reply of the responsible unit: {reply}"
    ),
    "operator": N_("Connecting you to an operator, please wait."),
    "no_operator": N_("Sorry, no operator is available now."),
    "survey_thanks": N_("Thank you for your answers. Goodbye."),
    "survey_keys": N_("Answer with the keypad, for example one one one, or say your answers."),
    "goodbye": N_("Goodbye."),
}

# Said when the transcript is empty but audio was heard: a human listens to the recording.
AWAITING_TRANSCRIPTION = N_("(call recording, awaiting transcription)")

VOICES = {Language.zh: ("Polly.Zhiyu", "cmn-CN"), Language.en: ("Polly.Joanna", "en-US")}


def prompt(name: str, language: Language, **params: str) -> str:
    return gettext_for(language)(PROMPTS[name]).format(**params)


def status_name(status: CaseStatus, language: Language) -> str:
    """The status as the IVR says it (context "voice status": spoken, not the SMS's words)."""
    pgettext = pgettext_for(language)
    names = {
        CaseStatus.accepted: pgettext("voice status", "received"),
        CaseStatus.dispatched: pgettext("voice status", "sent to the unit responsible"),
        CaseStatus.returned: pgettext("voice status", "being re-dispatched"),
        CaseStatus.acknowledged: pgettext("voice status", "accepted by the unit"),
        CaseStatus.in_progress: pgettext("voice status", "in progress"),
        CaseStatus.resolved: pgettext("voice status", "resolved"),
        CaseStatus.callback: pgettext("voice status", "in follow-up"),
        CaseStatus.reopened: pgettext("voice status", "reopened"),
        CaseStatus.closed: pgettext("voice status", "closed"),
        CaseStatus.withdrawn: pgettext("voice status", "withdrawn"),
        CaseStatus.merged: pgettext("voice status", "merged with another case"),
    }
    return names[status]


def spoken_digits(number: str, language: Language) -> str:
    """A case number said digit by digit ("2 0 2 6 ..."), so no one hears "twenty twenty-six"."""
    digits = [c for c in number if c.isdigit()]
    pgettext = pgettext_for(language)
    return pgettext("between spoken digits", ", ").join(digits)
