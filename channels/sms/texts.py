"""The SMS channel's own replies, from the `citizen` catalogue (notices use `channels.messages`)."""

from __future__ import annotations

from core.i18n import N_, gettext_for, pgettext_for
from models.enums import CaseStatus, Language

REPLIES: dict[str, str] = {
    "accepted": N_(
        "Your request has been received. Case number {number}. Text 'STATUS {number}' to follow it."
    ),
    "details_added": N_(
        "Added to case {number}. To report a different problem, start your text with 'NEW'."
    ),
    "status": N_("Case {number}: {status}."),
    "status_reply": N_("Case {number}: {status}. Reply: {reply}"),
    "status_merged": N_("Case {number} was merged into case {master}. Case {master}: {status}."),
    "status_merged_reply": N_(
        "Case {number} was merged into case {master}. Case {master}: {status}. Reply: {reply}"
    ),
    "not_found": N_("We found no case {number} of yours. Please check the number."),
    "no_case": N_("You have no case yet. Text us the problem to report it."),
    "my_cases": N_("Your latest cases:\n{cases}\nText 'STATUS <number>' for one of them."),
    "my_case_line": N_("{number}: {status}, {date}"),
    "help": N_(
        "12345 citizen hotline: text the problem to report it; 'STATUS <number>' for "
        "progress; 'MY' for your latest cases; '中文' for Chinese; 'STOP' to receive no more "
        "texts, 'START' to resume."
    ),
    "language": N_("We will reply to you in {language} from now on."),
    "stopped": N_("You are unsubscribed and will get no more texts from us. Text START to resume."),
    "started": N_("You will receive texts from us again."),
    "survey_thanks": N_("Thank you for rating case {number}."),
    "survey_clarify": N_(
        "We could not read your answer about case {number}. Please reply with three "
        "answers in order, e.g. 'yes no dissatisfied' or '1 2 3' (questions 1 and 2: "
        "1 = yes, 2 = no; question 3: 1 = satisfied, 2 = basically satisfied, "
        "3 = dissatisfied)."
    ),
    "withdraw_usage": N_(
        "To withdraw a case, text 'WITHDRAW' and its number, e.g. 'WITHDRAW 20261130-000011'."
    ),
    "withdraw_too_late": N_("Case {number} is {status} and can no longer be withdrawn."),
    "empty": N_("Please describe the problem in words."),
    "too_long": N_("Your text is too long (at most {limit} characters). Please shorten it."),
    "case_closed": N_(
        "Case {number} is over. To report a new problem, start your text with 'NEW'."
    ),
    "ask_which": N_(
        "You have several open cases:\n{numbers}\nWhich one is your text about? Reply with its "
        "number; to report a new problem, start your text with 'NEW'."
    ),
    "number_only": N_("To add to case {number}, text its number followed by what you want to add."),
    "acknowledged": N_("Thank you. Text us any time if there is anything else."),
    "rate_limited": N_(
        "You are sending texts too often; please try again in {minutes} min. Call 12345 if urgent."
    ),
}


def reply(kind: str, language: Language, /, **params: str) -> str:
    return gettext_for(language)(REPLIES[kind]).format(**params)


def status_label(status: CaseStatus, language: Language) -> str:
    """The status in an SMS; its own words (context "sms status"), shorter than the chat's."""
    pgettext = pgettext_for(language)
    labels = {
        CaseStatus.accepted: pgettext("sms status", "received"),
        CaseStatus.dispatched: pgettext("sms status", "sent to the responsible unit"),
        CaseStatus.returned: pgettext("sms status", "being re-assigned"),
        CaseStatus.acknowledged: pgettext("sms status", "accepted by the unit"),
        CaseStatus.in_progress: pgettext("sms status", "in progress"),
        CaseStatus.resolved: pgettext("sms status", "resolved"),
        CaseStatus.callback: pgettext("sms status", "awaiting your feedback"),
        CaseStatus.reopened: pgettext("sms status", "reopened"),
        CaseStatus.closed: pgettext("sms status", "closed"),
        CaseStatus.withdrawn: pgettext("sms status", "withdrawn"),
        CaseStatus.merged: pgettext("sms status", "merged with another case"),
    }
    return labels[status]


def merged_status_text(
    number: str, master: str, status: CaseStatus, reply_text: str | None, language: Language
) -> str:
    """A merged case (并案) is handled as its master: the master's number, status and reply."""
    label = status_label(status, language)
    if reply_text:
        return reply(
            "status_merged_reply",
            language,
            number=number,
            master=master,
            status=label,
            reply=reply_text,
        )
    return reply("status_merged", language, number=number, master=master, status=label)
