"""What the IVR says, from the `citizen` catalogue, by prompt (as `channels.messages`)."""

from __future__ import annotations

from core.i18n import N_, gettext_for, pgettext_for
from models.enums import CaseStatus, Language

PROMPTS: dict[str, str] = {
    "welcome": N_("Welcome to the 12345 citizen service hotline."),
    "menu": N_(
        "To report a problem, stay on the line. To hear your cases, press 3. "
        "To withdraw a case, press 4. To speak to an operator, press 0."
    ),
    "english": N_("For English, press 2."),
    "chinese": N_("For Chinese, press 2."),  # said in Chinese: "中文服务请按2"
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
    "your_cases": N_("Your latest cases:"),
    "case_line": N_("Case {digits}: {status}."),
    "no_cases": N_("We found no case from this phone number."),
    "ask_number": N_("To check a case by its number, enter the fourteen digits, then press hash."),
    "unknown_case": N_("We found no case with that number."),
    "case_status": N_("Case {digits} is now: {status}."),
    "case_status_reply": N_(
        "Case {digits} is now: {status}. The reply of the responsible unit: {reply}"
    ),
    "case_line_merged": N_("Case {digits}: merged into case {master}, now: {status}."),
    "case_status_merged": N_(
        "Case {digits} was merged into case {master}. Case {master} is now: {status}."
    ),
    "case_status_merged_reply": N_(
        "Case {digits} was merged into case {master}. Case {master} is now: {status}. "
        "The reply of the responsible unit: {reply}"
    ),
    "details_or_new": N_(
        "You have an open case, {digits}. To add what you said to that case, press 1. "
        "To report it as a new problem, press 2."
    ),
    "details_added": N_(
        "What you said has been added to case {digits}; the unit handling it will see it. Goodbye."
    ),
    "operator": N_("Connecting you to an operator, please wait."),
    "no_operator": N_(
        "No operator can take your call right now. To leave a message, press 1, or stay on "
        "the line. To return to the main menu, press star."
    ),
    "withdraw_ask": N_(
        "Your latest open case is {digits}, now: {status}. To withdraw it, press 1. "
        "To keep it, press 2."
    ),
    "withdraw_none": N_("You have no case that can still be withdrawn."),
    "withdrawn": N_("Case {digits} is withdrawn. It will not be handled further."),
    "withdraw_kept": N_("Case {digits} stays open."),
    "withdraw_not_yours": N_("We found no case of yours to withdraw."),
    "withdraw_too_late": N_("Case {digits} is now: {status}. It can no longer be withdrawn."),
    "busy": N_("Sorry, the hotline cannot do this right now. Please try again later."),
    "survey_intro": N_(
        "Hello, this is the 12345 hotline, calling about your case {digits}. "
        "We have three short questions. Press 1 for yes, 2 for no."
    ),
    "survey_contacted": N_("First question: did the responsible unit contact you?"),
    "survey_resolved": N_("Second question: is your problem solved?"),
    "survey_satisfied": N_(
        "Last question: are you satisfied with the result? Press 1 for satisfied, "
        "2 for basically satisfied, 3 for dissatisfied."
    ),
    "survey_yes_no": N_("Press 1 for yes, 2 for no."),
    "survey_wrong": N_("Sorry, that is not one of the answers."),
    "survey_say": N_("Please say your answer."),
    "survey_thanks": N_("Thank you for your answers. Goodbye."),
    "survey_by_sms": N_(
        "We will send you the questions by text message, so you can answer there. "
        "Thank you, goodbye."
    ),
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
