"""Notices sent to citizens and units, by notice kind, translated from the gettext catalogues.

One source for every channel (SMS, Telegram, voice) so they all say the same thing: citizen
notices (and the survey) come from the `citizen` catalogue, notices to units and supervisors
from the `staff` one.
"""

from __future__ import annotations

from core.i18n import N_, S_, SP_, Domain, translate
from core.local_time import DEFAULT_ZONE, local_time_text
from models.enums import Language

NOTICES: dict[str, tuple[Domain, str]] = {
    "accepted": (Domain.citizen, N_("Your request has been received. Case number {number}.")),
    "dispatched": (
        Domain.citizen,
        N_("Case {number} has been sent to the unit responsible."),
    ),
    "redispatched": (
        Domain.citizen,
        N_("Case {number} has been moved to another unit: {unit} will handle it now."),
    ),
    "extension_approved": (
        Domain.citizen,
        N_("The handling time of case {number} has been extended: it is now due by {due}."),
    ),
    "resolved": (Domain.citizen, N_("Case {number} has been resolved. Reply: {reply}")),
    "reopened": (
        Domain.citizen,
        N_(
            "Case {number} has been reopened and goes back to the unit, which must resolve "
            "it by {due}."
        ),
    ),
    "merged": (
        Domain.citizen,
        N_(
            "Case {number} reports the same problem as case {master} and has been merged "
            "into it; you will receive its reply."
        ),
    ),
    "withdrawn": (
        Domain.citizen,
        N_("Case {number} has been withdrawn as you asked. It will not be handled further."),
    ),
    "survey": (
        Domain.citizen,
        N_(
            "Follow-up on {number}: 1. Did the unit contact you? (yes/no) 2. Is the problem "
            "solved? (yes/no) 3. Are you satisfied? (satisfied / basically satisfied / "
            "dissatisfied) Reply with three answers in order, e.g. 'yes no dissatisfied'. "
            "Digits work too, e.g. '1 2 3': questions 1 and 2: 1 = yes, 2 = no; question 3: "
            "1 = satisfied, 2 = basically satisfied, 3 = dissatisfied."
        ),
    ),
    "unit_new_case": (Domain.staff, S_("New case {number}: acknowledge before {due}.")),
    "unit_reopened": (
        Domain.staff,
        S_("Case {number} was reopened: the citizen is dissatisfied and unresolved."),
    ),
    "sla_breach": (
        Domain.staff,
        S_("Supervision: case {number} missed its {deadline} deadline ({unit})."),
    ),
    "extension_decided": (
        Domain.staff,
        S_("The extension request for case {number} was {decision}."),
    ),
    "unit_urged": (Domain.staff, S_("Urged (催办): case {number} needs your action now. {note}")),
    "unit_redispatched": (
        Domain.staff,
        S_("Case {number} was moved to another unit ({unit}); it is no longer yours."),
    ),
    "unit_withdrawn": (
        Domain.staff,
        S_("Case {number} was withdrawn (撤回) by the citizen; stop work on it."),
    ),
    "returned": (Domain.staff, S_("Case {number} was returned by {unit}: {reason}")),
}


# Words the workflow passes as parameters (a deadline's name, a decision): translated too, so no
# English word lands inside a Chinese notice ("已超过acknowledge时限").
PARAMETER_WORDS: dict[str, dict[str, str]] = {
    "deadline": {
        "acknowledge": SP_("deadline", "acknowledge"),
        "respond": SP_("deadline", "respond"),
        "resolve": SP_("deadline", "resolve"),
    },
    "decision": {
        "approved": SP_("extension decision", "approved"),
        "rejected": SP_("extension decision", "rejected"),
    },
}


# Parameters that carry a moment (ISO text from the workflow), shown in local time instead
# ("请在 2026-11-30T17:24:04.921946+00:00 前签收" became "请在 2026-12-01 01:24 前签收").
MOMENTS = frozenset({"due"})


def render(
    kind: str, language: Language, params: dict[str, str], *, zone: str = DEFAULT_ZONE
) -> str:
    domain, message = NOTICES[kind]
    words = {name: _word(language, domain, name, value, zone) for name, value in params.items()}
    return translate(language, domain, message).format(**words)


def _word(language: Language, domain: Domain, name: str, value: str, zone: str) -> str:
    if value in PARAMETER_WORDS.get(name, {}):
        return translate(language, domain, PARAMETER_WORDS[name][value])
    if name in MOMENTS:
        return local_time_text(value, zone)
    return value


SURVEY_LINK = N_("Or answer on the web: {link}")


def survey_link_text(language: Language, link: str) -> str:
    """The line a survey notice ends with when its channel can carry a link (SMS, e-mail)."""
    return translate(language, Domain.citizen, SURVEY_LINK).format(link=link)
