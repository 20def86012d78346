"""How a page picks its language, and the translating helpers its templates use.

The language comes from `?lang=` (remembered in a cookie), else the cookie, else the browser's
Accept-Language negotiated by Babel over `core.i18n.LOCALES`; Chinese is the default, as for
the hotline itself. Public pages read the `citizen` catalogue, the console the `staff` one;
status, type and event names are the citizen's words on both.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from core.i18n import LOCALES, Domain, gettext_for, negotiate, pgettext_for
from models.enums import Language

LANG_COOKIE = "hotline_lang"
Pgettext = Callable[[str, str], str]


def status_names(pgettext: Pgettext) -> dict[str, str]:
    return {
        "accepted": pgettext("status", "Received"),
        "dispatched": pgettext("status", "Sent to the unit"),
        "returned": pgettext("status", "Back with the dispatch centre"),
        "acknowledged": pgettext("status", "Accepted by the unit"),
        "in_progress": pgettext("status", "In progress"),
        "resolved": pgettext("status", "Resolved"),
        "callback": pgettext("status", "Follow-up"),
        "reopened": pgettext("status", "Reopened"),
        "closed": pgettext("status", "Closed"),
        "withdrawn": pgettext("status", "Withdrawn"),
        "merged": pgettext("status", "Merged"),
    }


def event_names(pgettext: Pgettext) -> dict[str, str]:
    """Timeline events a citizen sees, in their words; every other event stays internal."""
    return {
        "accepted": pgettext("event", "Request received"),
        "dispatched": pgettext("event", "Sent to the unit responsible"),
        "return_overruled": pgettext("event", "Sent to the unit responsible"),
        "redispatched": pgettext("event", "Sent to the unit responsible"),
        "acknowledged": pgettext("event", "The unit accepted the case"),
        "responded": pgettext("event", "The unit contacted you and is working on it"),
        "extension_approved": pgettext("event", "The deadline was extended"),
        "resolved": pgettext("event", "Resolved"),
        "answered_directly": pgettext("event", "Answered"),
        "callback_started": pgettext("event", "Follow-up"),
        "survey_answered": pgettext("event", "Your evaluation was received"),
        "reopened": pgettext("event", "Reopened"),
        "closed": pgettext("event", "Closed"),
        "withdrawn": pgettext("event", "Withdrawn"),
        "merged": pgettext("event", "Merged with the same request"),
        "citizen_details": pgettext("event", "You added details"),
    }


def type_names(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "complaint": _("Complaint"),
        "help": _("Help"),
        "report": _("Report"),
        "consultation": _("Question"),
        "suggestion": _("Suggestion"),
        "praise": _("Praise"),
    }


PUBLIC_EVENTS = frozenset(event_names(lambda _context, message: message))


def text(language: Language, domain: Domain, message: str, /, **params: object) -> str:
    """One translated text, `{name}` placeholders filled: for messages built in Python."""
    translated = gettext_for(language, domain)(message)
    return translated.format(**params) if params else translated


def translator(language: Language, domain: Domain) -> dict[str, object]:
    """Template globals for one language: `_('English text', **params)`, status and event names."""
    pgettext = pgettext_for(language)
    statuses = status_names(pgettext)
    events = event_names(pgettext)
    types = type_names(gettext_for(language))

    def _(message: str, /, **params: object) -> str:
        return text(language, domain, message, **params)

    def status(value: str) -> str:
        return statuses.get(value, value)

    def event(kind: str) -> str:
        return events.get(kind, kind)

    def type_name(value: str) -> str:
        return types.get(value, value)

    return {"_": _, "status_name": status, "event_name": event, "type_name": type_name}


def request_language(request: Request) -> Language:
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in {language.value for language in LOCALES}:
            return Language(value)
    return negotiate(request.headers.get("accept-language", ""))
