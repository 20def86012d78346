"""The console's words for what the database stores as codes: events, deadlines, reasons, times.

One module so that every console page (the case page here; lists and inboxes of others) says
the same thing: a timeline event is a sentence of the staff catalogue with its parameters
(unit names, not codes; 签收/响应/办结, not `acknowledge`), moments are local times
("2026-11-30 17:24"), and smart dispatch's English reasons are put in the staff member's
language. Nothing here shows a raw event kind, a payload dict or an ISO timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.messages import PARAMETER_WORDS
from core.i18n import S_, SP_, Domain, pgettext_for, translate
from core.local_time import local_time, local_time_text
from models.enums import EventKind, Language
from models.event import CaseEvent
from models.unit import Category, Unit
from web.i18n import status_names

# What each event says; {placeholders} come from its payload (units by name, words translated).
EVENT_SENTENCES: dict[EventKind, str] = {
    EventKind.accepted: S_("Request received by {channel}"),
    EventKind.dispatch_suggested: S_("Smart dispatch left the case to a dispatcher: {reason}"),
    EventKind.dispatch_suggestion_failed: S_("Smart dispatch was unavailable"),
    EventKind.dispatched: S_("Dispatched to {unit}"),
    EventKind.acknowledged: S_("The unit acknowledged the case"),
    EventKind.returned: S_("{unit} returned the case: {reason}"),
    EventKind.return_overruled: S_("The return was overruled, back to {unit}: {reason}"),
    EventKind.responded: S_("The unit contacted the citizen"),
    EventKind.extension_requested: S_(
        "Extension of {working_days} working days requested: {reason}"
    ),
    EventKind.extension_approved: S_("Extension of {working_days} working days approved"),
    EventKind.extension_rejected: S_("The extension request was rejected"),
    EventKind.resolved: S_("Resolved by the unit, with a reply to the citizen"),
    EventKind.answered_directly: S_("Answered directly by the hotline"),
    EventKind.callback_started: S_("Follow-up survey started"),
    EventKind.survey_answered: S_(
        "Survey answered: {satisfaction}; contacted: {contacted}; solved: {resolved}"
    ),
    EventKind.merged_survey_answered: S_(
        "The citizen of merged case {duplicate} answered the survey: {satisfaction}; "
        "contacted: {contacted}; solved: {resolved}"
    ),
    EventKind.survey_unanswered: S_(
        "No survey answer after {attempts} attempts: closed without evaluation"
    ),
    EventKind.reopened: S_("Reopened and sent back to {unit}"),
    EventKind.closed: S_("Closed"),
    EventKind.merged: S_("Merged into case {master}"),
    EventKind.duplicate_merged: S_("Case {duplicate} was merged into this one"),
    EventKind.citizen_details: S_("The citizen added details by {channel}: {text}"),
    EventKind.withdrawn: S_("Withdrawn by the citizen"),
    EventKind.sla_breach: S_("The {deadline} deadline of {unit} passed: the case is supervised"),
    EventKind.sms_delivery: S_("SMS delivery report: {status}"),
    EventKind.supervised: S_("Supervised (督办): {note}"),
    EventKind.urged: S_("{unit} was urged (催办): {note}"),
    EventKind.redispatched: S_("Re-dispatched from {from_unit} to {unit}: {reason}"),
    EventKind.transcribed: S_("The call recording was transcribed ({characters} characters)"),
}
OTHER_EVENT = S_("Other event")
WITHDRAWN_FOR_THE_CITIZEN = S_("Withdrawn on the citizen's behalf: {reason}")

# Words a payload carries, by parameter name.
WORDS: dict[str, dict[str, str]] = {
    **PARAMETER_WORDS,
    "channel": {
        "voice": SP_("channel", "phone"),
        "sms": SP_("channel", "SMS"),
        "chat": SP_("channel", "chat"),
        "web": SP_("channel", "website"),
        "open311": SP_("channel", "Open311"),
        "staff": SP_("channel", "staff"),
    },
    "satisfaction": {
        "satisfied": SP_("satisfaction", "satisfied"),
        "basically_satisfied": SP_("satisfaction", "basically satisfied"),
        "dissatisfied": SP_("satisfaction", "dissatisfied"),
        "no_evaluation": SP_("satisfaction", "no evaluation"),
    },
    "contacted": {"true": SP_("answer", "yes"), "false": SP_("answer", "no")},
    "resolved": {"true": SP_("answer", "yes"), "false": SP_("answer", "no")},
    "role": {
        "operator": SP_("role", "operator"),
        "dispatcher": SP_("role", "dispatcher"),
        "unit_handler": SP_("role", "unit handler"),
        "supervisor": SP_("role", "supervisor"),
        "admin": SP_("role", "admin"),
    },
    "action": {
        "intake": SP_("action", "take in"),
        "dispatch": SP_("action", "dispatch"),
        "acknowledge": SP_("action", "acknowledge"),
        "return": SP_("action", "return"),
        "overrule": SP_("action", "overrule returns of"),
        "respond": SP_("action", "respond to"),
        "extend": SP_("action", "ask extensions for"),
        "decide_extension": SP_("action", "decide extensions of"),
        "resolve": SP_("action", "resolve"),
        "answer": SP_("action", "answer"),
        "merge": SP_("action", "merge"),
    },
    "place_method": {
        "given": SP_("place method", "codes given with the request"),
        "address": SP_("place method", "found from the address"),
        "point": SP_("place method", "found from the map point"),
        "both": SP_("place method", "the address and the map point agree"),
        "dispatcher": SP_("place method", "chosen by a dispatcher"),
    },
    "kind": {"district": SP_("unit kind", "district"), "street": SP_("unit kind", "street")},
    "status": {
        "delivered": SP_("sms status", "delivered"),
        "undelivered": SP_("sms status", "undelivered"),
        "failed": SP_("sms status", "failed"),
        "sent": SP_("sms status", "sent"),
        "read": SP_("sms status", "read"),
    },
}
ACTORS: dict[str, str] = {
    "system": S_("system"),
    "smart-dispatch": S_("smart dispatch"),
    "citizen": S_("citizen"),
    "twilio": S_("SMS provider"),
}
DEADLINES = ("acknowledge", "respond", "resolve")


@dataclass(frozen=True)
class TimelineLine:
    at: str  # local time
    kind: str  # for CSS and tests only; never shown
    actor: str
    sentence: str
    from_status: str | None
    to_status: str | None


class StaffWords:
    """Names and sentences in one staff member's language, looking units and categories up
    once per page."""

    def __init__(
        self,
        language: Language,
        *,
        zone: str,
        units: Mapping[str, Unit] | None = None,
        categories: Mapping[str, Category] | None = None,
    ) -> None:
        self.language = language
        self.zone = zone
        self.units = dict(units or {})
        self.categories = dict(categories or {})

    def __call__(self, message: str, /, **params: object) -> str:
        translated = translate(self.language, Domain.staff, message)
        return translated.format(**params) if params else translated

    # ---- names ---------------------------------------------------------------------------

    def time(self, moment: datetime | None) -> str:
        return local_time(moment, self.zone)

    def unit(self, code: str | None) -> str:
        """The unit's name in this language ("朝阳区"), its code only when unknown."""
        if not code:
            return "—"
        unit = self.units.get(code)
        if unit is None:
            return code
        return (unit.name_en or unit.name_zh) if self.language is Language.en else unit.name_zh

    def category(self, code: str | None) -> str:
        if not code:
            return "—"
        category = self.categories.get(code)
        if category is None:
            return code
        if self.language is Language.en:
            return category.name_en or category.name_zh
        return category.name_zh

    def deadline(self, name: str) -> str:
        return self(PARAMETER_WORDS["deadline"].get(name, name))

    def word(self, name: str, value: str) -> str:
        """A payload value in words: units by name, moments in local time, known words
        translated, anything else (free text) as it is."""
        if name in ("unit", "lead_unit", "from_unit"):
            return self.unit(value)
        if value in WORDS.get(name, {}):
            return self(WORDS[name][value])
        return local_time_text(value, self.zone)

    def refusal(self, message: str) -> str:
        """A refusal of the workflow or the role table (English, also the API's answer) in
        this language: known forms by pattern, statuses and units in words."""
        if self.language is Language.en:
            return message
        for pattern, template in _REFUSALS:
            found = pattern.fullmatch(message.strip())
            if found:
                values = {k: self._refusal_word(k, v or "") for k, v in found.groupdict().items()}
                return self(template, **values)
        return message

    def _refusal_word(self, name: str, value: str) -> str:
        if name in ("status", "statuses"):
            names = status_names(pgettext_for(self.language))
            return "、".join(names.get(v.strip(), v.strip()) for v in value.split(","))
        if name in ("unit", "other"):
            return self.unit(value)
        if name == "role":
            return self(WORDS["role"].get(value, value))
        if name == "action":
            return self(WORDS["action"].get(value, value))
        return value

    def actor(self, actor: str) -> str:
        return self(ACTORS[actor]) if actor in ACTORS else actor

    # ---- events --------------------------------------------------------------------------

    def sentence(self, kind: str, payload: Mapping[str, Any], actor: str = "") -> str:
        try:
            message = EVENT_SENTENCES[EventKind(kind)]
        except ValueError:
            return self(OTHER_EVENT)
        if kind == EventKind.withdrawn and actor not in ("", "citizen"):
            message = WITHDRAWN_FOR_THE_CITIZEN  # staff acted on the citizen's behalf
        params = {name: self.word(name, str(value)) for name, value in payload.items()}
        if kind == EventKind.dispatch_suggested:
            params["reason"] = self.reason(str(payload.get("reason", "")))
        for name in re.findall(r"{(\w+)}", message):
            params.setdefault(name, "—")
        sentence = self(message, **params)
        note = str(payload.get("note", "")).strip()
        return f"{sentence} ({note})" if note and "{note}" not in message else sentence

    def timeline(self, events: list[CaseEvent]) -> list[TimelineLine]:
        return [
            TimelineLine(
                at=self.time(event.created_at),
                kind=event.kind,
                actor=self.actor(event.actor),
                sentence=self.sentence(event.kind, event.payload, event.actor),
                from_status=str(event.from_status) if event.from_status else None,
                to_status=str(event.to_status) if event.to_status else None,
            )
            for event in events
        ]

    # ---- smart dispatch's reasons ---------------------------------------------------------

    def reason(self, text: str) -> str:
        """Smart dispatch's reason (English, built in `dispatch/service.py`) in this language:
        each part it is made of, by pattern; a part no pattern knows stays as it is."""
        if self.language is Language.en or not text:
            return text
        parts = [self._reason_part(part.strip()) for part in text.split("; ")]
        return "；".join(part for part in parts if part)

    def _reason_part(self, part: str) -> str:
        for pattern, message, convert in _REASONS:
            found = pattern.fullmatch(part)
            if found:
                values = {k: convert(self, k, v or "") for k, v in found.groupdict().items()}
                return self(message, **values)
        return part


def _plain(words: StaffWords, name: str, value: str) -> str:
    if name in ("category", "top"):
        return words.category(value)
    if name == "unit":
        return words.unit(value)
    if name == "categories":
        return "、".join(words.category(c.strip()) for c in value.split(",") if c.strip())
    if name == "kind":
        return words.word("kind", value)
    if name in ("why", "where", "rest"):
        return words.reason(value)
    return value


_Converter = Callable[[StaffWords, str, str], str]
_REASONS: list[tuple[re.Pattern[str], str, _Converter]] = [
    (
        re.compile(
            r"top category (?P<top>\S+) at (?P<p>[\d.]+%) \(threshold (?P<t>\d+%)\), "
            r"unit (?P<unit>\S+)"
        ),
        S_("top category {top} at {p} (threshold {t}), unit {unit}"),
        _plain,
    ),
    (
        re.compile(
            r"top category (?P<top>\S+) at (?P<p>[\d.]+%) is below the threshold of "
            r"(?P<t>\d+%): the dispatcher decides"
        ),
        S_("top category {top} at {p} is below the threshold of {t}: the dispatcher decides"),
        _plain,
    ),
    (
        re.compile(r"the likeliest unit, (?P<unit>\S+), only (?P<p>[\d.]+%) together"),
        S_("the likeliest unit, {unit}, only {p} together"),
        _plain,
    ),
    (
        re.compile(
            r"top category (?P<top>\S+) at (?P<p>[\d.]+%) is below the threshold of (?P<t>\d+%)"
        ),
        S_("top category {top} at {p} is below the threshold of {t}"),
        _plain,
    ),
    (
        re.compile(r"(?:the dispatcher decides|: the dispatcher decides)"),
        S_("the dispatcher decides"),
        _plain,
    ),
    (
        re.compile(
            r"(?P<n>\d+) categories sharing (?P<unit>\S+) \S+(?: \(all under \S+\))? together "
            r"(?P<p>[\d.]+%) \(threshold (?P<t>\d+%)\): (?P<categories>.*)"
        ),
        S_("{n} categories sharing {unit} together {p} (threshold {t}): {categories}"),
        _plain,
    ),
    (
        re.compile(r"top category (?P<top>\S+): (?P<rest>.*)"),
        S_("top category {top}: {rest}"),
        _plain,
    ),
    (
        re.compile(r"needs the dispatcher: (?P<why>.*)"),
        S_("needs the dispatcher: {why}"),
        _plain,
    ),
    (re.compile(r"needs the dispatcher"), S_("needs the dispatcher"), _plain),
    (re.compile(r"the catalog names (?P<x>.+)"), S_("the catalog names {x}"), _plain),
    (re.compile(r"it has no branches"), S_("it has no branches"), _plain),
    (re.compile(r"the city handles it"), S_("the city handles it"), _plain),
    (
        re.compile(r"no address or map point given"),
        S_("no address or map point given"),
        _plain,
    ),
    (
        re.compile(r"no place given: the city-level unit"),
        S_("no place given: the city-level unit"),
        _plain,
    ),
    (
        re.compile(r"its branch for (?P<unit>\S+) \((?P<where>.*)\)"),
        S_("its branch for {unit} ({where})"),
        _plain,
    ),
    (
        re.compile(r"no branch serves the place \((?P<where>.*)\): the city-level unit"),
        S_("no branch serves the place ({where}): the city-level unit"),
        _plain,
    ),
    (
        re.compile(r"no (?P<kind>district|street) found \((?P<where>.*)\)"),
        S_("no {kind} found ({where})"),
        _plain,
    ),
    (re.compile(r"only the city is named"), S_("only the city is named"), _plain),
    (
        re.compile(r"no district or street name found"),
        S_("no district or street name found"),
        _plain,
    ),
    (re.compile(r"the point agrees"), S_("the point agrees"), _plain),
]


_REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"case (?P<number>\S+) is (?P<status>\w+); this needs it to be (?P<statuses>.+)"
        ),
        S_("Case {number} is {status}; this needs it to be {statuses}."),
    ),
    (
        re.compile(r"case (?P<number>\S+) is with unit (?P<unit>\S+), not (?P<other>\S+)"),
        S_("Case {number} is with {unit}, not {other}."),
    ),
    (
        re.compile(r"case (?P<number>\S+) is (?P<status>\w+): it cannot merge"),
        S_("Case {number} is {status}: it cannot be merged."),
    ),
    (
        re.compile(r"case (?P<number>\S+) is (?P<status>\w+): merge into an open case"),
        S_("Case {number} is {status}: merge into an open case."),
    ),
    (re.compile(r"no case numbered '(?P<number>[^']*)'"), S_("No case numbered {number}.")),
    (re.compile(r"unknown unit '(?P<unit>[^']*)'"), S_("Unknown unit {unit}.")),
    (re.compile(r"name the unit to dispatch to"), S_("Choose the unit to dispatch to.")),
    (
        re.compile(r"the lead unit cannot also be an assisting unit"),
        S_("The lead unit cannot also be an assisting unit."),
    ),
    (re.compile(r"a return needs a reason"), S_("A return needs a reason.")),
    (re.compile(r"overruling a return needs a reason"), S_("Overruling a return needs a reason.")),
    (
        re.compile(r"an extension request needs a reason"),
        S_("An extension request needs a reason."),
    ),
    (
        re.compile(r"an extension request is already waiting for a decision"),
        S_("An extension request is already waiting for a decision."),
    ),
    (
        re.compile(
            r"an extension must be between 1 and (?P<left>\d+) working days "
            r"\(at most (?P<max>\d+) per case\)"
        ),
        S_("An extension must be between 1 and {left} working days (at most {max} per case)."),
    ),
    (
        re.compile(r"there is no extension request to decide"),
        S_("There is no extension request to decide."),
    ),
    (
        re.compile(r"a resolution needs a reply text for the citizen"),
        S_("A resolution needs a reply text for the citizen."),
    ),
    (
        re.compile(r"a direct answer needs a reply text for the citizen"),
        S_("A direct answer needs a reply text for the citizen."),
    ),
    (
        re.compile(
            r"case (?P<number>\S+) is on the English line: the citizen reads English, "
            r"so write the reply in English"
        ),
        S_(
            "Case {number} is on the English line: the citizen reads English, so write the "
            "reply in English."
        ),
    ),
    (re.compile(r"name the case to merge into"), S_("Name the case to merge into.")),
    (
        re.compile(r"a case cannot be merged into itself"),
        S_("A case cannot be merged into itself."),
    ),
    (
        re.compile(r"the (?P<role>\w+) role may not (?P<action>\w+) cases"),
        S_("The {role} role may not {action} cases."),
    ),
    (
        re.compile(r"you act for unit (?P<unit>\S+) only, not (?P<other>\S+)"),
        S_("You act for {unit} only, not {other}."),
    ),
    (re.compile(r"name the unit to act for"), S_("Name the unit to act for.")),
    (
        re.compile(r"\d+ validation errors? for .*", re.DOTALL),
        S_("Some fields of the form are missing or malformed."),
    ),
]
