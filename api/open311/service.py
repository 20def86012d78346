"""Our records as Open311 sees them: categories are services, units agencies, cases requests.

Every case shows its public facts: status, category, the unit handling it, dates, the
timeline's milestones, its area (street or district, never the typed address) and a map point
rounded to about 100 m. The texts people wrote (the description, the unit's reply, citizens'
updates) are published only for cases that came in through Open311 itself: their citizen
posted them on a public platform (FixMyStreet and the like) and chose to publish them. Even
then phone numbers, e-mail addresses and ID numbers are masked (`core.redaction`). A case
from the phone line, SMS, Telegram or the web form shows none of its texts here: its
description and reply belong to its citizen, who sees them on `/track` with a one-time code.
Contact details never leave through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from api.open311.render import Open311Error, w3c
from core.i18n import N_, gettext_for
from core.redaction import redact_optional
from models.case import Case
from models.catalog import LEAF_LEVEL
from models.enums import CaseStatus, Channel, Language, RequestType, Urgency
from models.event import CaseEvent
from models.unit import Category, Unit

MAX_PAGE_SIZE = 1000  # the spec's default cap on one answer
CLOSED = frozenset(
    {
        CaseStatus.resolved,
        CaseStatus.callback,
        CaseStatus.closed,
        CaseStatus.withdrawn,
        CaseStatus.merged,
    }
)
OPEN = frozenset(CaseStatus) - CLOSED
_ANSWERED = frozenset({CaseStatus.resolved, CaseStatus.callback, CaseStatus.closed})
COORDINATE_DECIMALS = 3  # about 100 m: the place, not the house


def open311_status(status: str) -> str:
    """Compared as text: a status this module does not know yet reads as open, not a 500."""
    return "closed" if str(status) in {value.value for value in CLOSED} else "open"


# ---- services ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """A service attribute every service takes; each sets one field of the intake."""

    code: str
    order: int
    description: str  # a citizen msgid, as the values' names
    values: tuple[tuple[str, str], ...]

    def keys(self) -> list[str]:
        return [key for key, _ in self.values]


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "request_type",
        1,
        N_("What kind of request is this?"),
        (
            (RequestType.complaint.value, N_("Complaint")),
            (RequestType.report.value, N_("Report")),
            (RequestType.help.value, N_("Request for help")),
            (RequestType.consultation.value, N_("Question")),
            (RequestType.suggestion.value, N_("Suggestion")),
            (RequestType.praise.value, N_("Praise")),
        ),
    ),
    Attribute(
        "urgency",
        2,
        N_("Is it urgent?"),
        (
            (Urgency.normal.value, N_("Normal")),
            (Urgency.urgent.value, N_("Urgent")),
        ),
    ),
    Attribute(
        "language",
        3,
        N_("Language for replies"),
        (
            (Language.zh.value, N_("Chinese")),
            (Language.en.value, N_("English")),
        ),
    ),
)
ATTRIBUTE_BY_CODE = {attribute.code: attribute for attribute in ATTRIBUTES}


def _name(row: Category | Unit, language: Language) -> str:
    return (row.name_en or row.name_zh) if language is Language.en else row.name_zh


def _other_name(row: Category, language: Language) -> str:
    return row.name_zh if language is Language.en else (row.name_en or row.name_zh)


def list_services(*, session: Session, language: Language) -> list[dict[str, Any]]:
    """Every active leaf of the catalog, grouped by its level-1 area."""
    categories = {
        row.code: row
        for row in session.exec(select(Category).where(col(Category.active).is_(True))).all()
    }
    services = []
    for code in sorted(categories):
        leaf = categories[code]
        if leaf.level != LEAF_LEVEL:
            continue
        group = categories.get(leaf.parent_code or "")
        area = categories.get(group.parent_code or "") if group else None
        path = [_name(row, language) for row in (area, group, leaf) if row is not None]
        keywords = [_name(group, language)] if group else []
        services.append(
            {
                "service_code": leaf.code,
                "service_name": _name(leaf, language),
                "description": " / ".join(path),
                "metadata": True,
                "type": "realtime",
                "keywords": ", ".join([*keywords, _other_name(leaf, language)]),
                "group": _name(area, language) if area else None,
            }
        )
    return services


def get_service(*, session: Session, code: str) -> Category:
    category = session.get(Category, code)
    if category is None or not category.active or category.level != LEAF_LEVEL:
        raise Open311Error(404, f"service_code '{code}' was not found")
    return category


def service_definition(*, session: Session, code: str, language: Language) -> dict[str, Any]:
    category = get_service(session=session, code=code)
    translated = gettext_for(language)
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": attribute.order,
                "description": translated(attribute.description),
                "values": [
                    {"key": key, "name": translated(name)} for key, name in attribute.values
                ],
            }
            for attribute in ATTRIBUTES
        ],
    }


# ---- requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters, already checked; `numbers` overrides every other filter."""

    numbers: list[str] | None = None
    service_codes: list[str] = field(default_factory=list)
    statuses: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    agencies: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def find_requests(
    *, session: Session, query: RequestQuery, language: Language, notes: bool
) -> list[dict[str, Any]]:
    """Matching cases, newest first, one page of them."""
    statement = select(Case)
    if query.numbers is not None:
        statement = statement.where(col(Case.number).in_(query.numbers))
    else:
        statement = _filtered(statement, query)
    statement = (
        statement.order_by(col(Case.id).desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    return _requests(session, list(session.exec(statement).all()), language, notes)


def _filtered(statement: Any, query: RequestQuery) -> Any:
    if query.service_codes:
        statement = statement.where(col(Case.category_code).in_(query.service_codes))
    if query.statuses and query.statuses != {"open", "closed"}:
        wanted = OPEN if "open" in query.statuses else CLOSED
        statement = statement.where(col(Case.status).in_([status.value for status in wanted]))
    if query.agencies:
        statement = statement.where(col(Case.lead_unit_code).in_(query.agencies))
    bounds = (
        (Case.created_at, query.start, query.end),
        (Case.updated_at, query.updated_after, query.updated_before),
    )
    for column, low, high in bounds:
        if low is not None:
            statement = statement.where(col(column) >= low)
        if high is not None:
            statement = statement.where(col(column) <= high)
    return statement


def get_request(
    *, session: Session, number: str, language: Language, notes: bool
) -> dict[str, Any]:
    case = session.exec(select(Case).where(Case.number == number)).first()
    if case is None:
        raise Open311Error(404, f"service_request_id '{number}' was not found")
    return _requests(session, [case], language, notes)[0]


def find_token(*, session: Session, token: str) -> dict[str, Any]:
    """The request a POST's token stands for (tokens are the intake keys of Open311 cases)."""
    number = session.exec(
        select(Case.number).where(Case.channel == Channel.open311, Case.intake_key == token)
    ).first()
    if number is None:
        raise Open311Error(404, f"token '{token}' was not found")
    return {"service_request_id": number, "token": token}


def request_updates(
    *, session: Session, start: datetime | None, end: datetime | None, language: Language
) -> list[dict[str, Any]]:
    """mySociety's servicerequestupdates: the public milestones of every case, oldest first."""
    statement = select(CaseEvent, Case).where(col(CaseEvent.case_id) == col(Case.id))
    statement = statement.where(_public_event())
    if start is not None:
        statement = statement.where(col(CaseEvent.created_at) >= start)
    if end is not None:
        statement = statement.where(col(CaseEvent.created_at) <= end)
    rows = session.exec(statement.order_by(col(CaseEvent.id)).limit(MAX_PAGE_SIZE)).all()
    units = _units(session, (event.payload.get("unit") for event, _ in rows))
    updates = []
    for event, case in rows:
        note = public_note(event, units, language, published=published(case), reply=case.reply)
        if note is None:
            continue
        status = event.to_status or event.from_status or case.status
        updates.append(
            {
                "update_id": str(event.id),
                "service_request_id": case.number,
                "status": open311_status(status),
                "updated_datetime": note["datetime"],
                "description": note["description"] or note["summary"],
                "media_url": "",
                "external_status_code": str(status),
            }
        )
    return updates


def _requests(
    session: Session, cases: Sequence[Case], language: Language, notes: bool
) -> list[dict[str, Any]]:
    if not cases:
        return []
    ids = [case.id for case in cases]
    events: dict[int, list[CaseEvent]] = {}
    for event in session.exec(
        select(CaseEvent)
        .where(col(CaseEvent.case_id).in_(ids), _public_event())
        .order_by(col(CaseEvent.id))
    ).all():
        events.setdefault(event.case_id, []).append(event)
    codes = {case.category_code for case in cases if case.category_code}
    categories = {
        row.code: row
        for row in session.exec(select(Category).where(col(Category.code).in_(codes))).all()
    }
    unit_codes: list[str | None] = []
    for case in cases:
        unit_codes += [case.lead_unit_code, case.street_code, case.district_code]
    for case_events in events.values():
        unit_codes += [event.payload.get("unit") for event in case_events]
    units = _units(session, unit_codes)
    return [
        _request(case, categories, units, events.get(case.id or 0, []), language, notes)
        for case in cases
    ]


def _request(
    case: Case,
    categories: dict[str, Category],
    units: dict[str, Unit],
    events: list[CaseEvent],
    language: Language,
    with_notes: bool,
) -> dict[str, Any]:
    category = categories.get(case.category_code or "")
    texts = published(case)
    pairs = [
        (event.kind, note)
        for event in events
        if (note := public_note(event, units, language, published=texts, reply=case.reply))
    ]
    notes = [note for _, note in pairs]
    # status_notes tells what the city did last, not what the citizen added
    milestones = [note for kind, note in pairs if kind in PUBLIC_KINDS]
    last = milestones[-1] if milestones else None
    lead = units.get(case.lead_unit_code or "")
    place = [units.get(code or "") for code in (case.street_code, case.district_code)]
    request: dict[str, Any] = {
        "service_request_id": case.number,
        "status": open311_status(case.status),
        "status_notes": _status_notes(case, last, published=texts),
        "service_name": _name(category, language) if category else None,
        "service_code": case.category_code,
        "description": redact_optional(case.description) if texts else None,
        "agency_responsible": _name(lead, language) if lead else None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.resolve_due_at),
        "address": ", ".join(_name(unit, language) for unit in place if unit) or None,
        "address_id": case.street_code or case.district_code,
        "zipcode": None,
        "lat": _rounded(case.latitude),
        "long": _rounded(case.longitude),
        "media_url": _open311_extra(case).get("media_url"),
    }
    if with_notes:
        request["notes"] = notes
    return request


def published(case: Case) -> bool:
    """Whether the case's texts are public: only when its citizen posted it on an Open311
    platform, which publishes them; every other channel's texts stay with their citizen."""
    return str(case.channel) == Channel.open311.value


def _status_notes(case: Case, last: dict[str, Any] | None, *, published: bool) -> str | None:
    """The reply once there is one and it is public; else what happened last."""
    if published and str(case.status) in {value.value for value in _ANSWERED} and case.reply:
        return redact_optional(case.reply)
    return last["summary"] if last else None


def _open311_extra(case: Case) -> dict[str, Any]:
    kept = case.extra.get("open311") if isinstance(case.extra, dict) else None
    return kept if isinstance(kept, dict) else {}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def _units(session: Session, codes: Iterable[str | None]) -> dict[str, Unit]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    rows = session.exec(select(Unit).where(col(Unit.code).in_(wanted))).all()
    return {unit.code: unit for unit in rows}


# ---- the public timeline ----------------------------------------------------------------

# kind -> (note type, summary: a citizen msgid); any other kind stays internal
# (smart-dispatch advice, SLA breaches, extension requests, the citizen's own messages,
# survey answers).
PUBLIC_KINDS: dict[str, tuple[str, str]] = {
    "accepted": ("opened", N_("Request received")),
    "dispatched": ("activity", N_("Assigned to {unit}")),
    "returned": ("activity", N_("Being reassigned")),
    "return_overruled": ("activity", N_("Assigned to {unit}")),
    "redispatched": ("activity", N_("Assigned to {unit}")),
    "acknowledged": ("activity", N_("Accepted by the responsible unit")),
    "responded": ("activity", N_("The responsible unit is handling it")),
    "extension_approved": ("activity", N_("Deadline extended by {working_days} working days")),
    "resolved": ("activity", N_("Resolved")),
    "answered_directly": ("activity", N_("Answered")),
    "callback_started": ("activity", N_("Follow-up with the citizen")),
    "reopened": ("activity", N_("Reopened")),
    "closed": ("closed", N_("Closed")),
    "withdrawn": ("closed", N_("Withdrawn")),
    "merged": ("closed", N_("Merged into request {master}")),
}
_REPLY_KINDS = {"resolved", "answered_directly"}
# A citizen's own messages stay inside, except the updates an Open311 client posted: those
# were public where the citizen wrote them (FixMyStreet shows them), so they show here as a
# milestone, with their text only on a case whose texts are published (see `published`).
CITIZEN_UPDATE = "citizen_details"
CITIZEN_UPDATE_NOTE = ("activity", N_("Update from the citizen"))


def _public_event() -> Any:
    """The SQL condition for the events the public sees (see `public_note`)."""
    payload: Any = CaseEvent.__table__.c.payload  # type: ignore[attr-defined]
    return or_(
        col(CaseEvent.kind).in_(list(PUBLIC_KINDS)),
        and_(
            col(CaseEvent.kind) == CITIZEN_UPDATE,
            payload["channel"].as_string() == Channel.open311.value,
        ),
    )


def public_note(
    event: CaseEvent,
    units: dict[str, Unit],
    language: Language,
    *,
    published: bool,
    reply: str | None = None,
) -> dict[str, Any] | None:
    """The event as the public sees it, or None for an internal one. Texts only when the
    case's texts are `published`: then `reply`, the case's (latest) reply, is shown with the
    resolve that gave it, and a citizen's update with its text."""
    if event.kind == CITIZEN_UPDATE and event.payload.get("channel") == Channel.open311.value:
        kind, summary = CITIZEN_UPDATE_NOTE
        text = str(event.payload.get("text", "")) if published else ""
        return {
            "type": kind,
            "datetime": w3c(event.created_at),
            "summary": gettext_for(language)(summary),
            "description": redact_optional(text) or None,
        }
    known = PUBLIC_KINDS.get(event.kind)
    if known is None:
        return None
    kind, message = known
    payload = {key: str(value) for key, value in event.payload.items()}
    unit = units.get(payload.get("unit", ""))
    payload["unit"] = _name(unit, language) if unit else payload.get("unit", "")
    template = gettext_for(language)(message)
    try:
        summary = template.format(**payload)
    except (KeyError, IndexError, ValueError):
        summary = template.split("{")[0].strip()
    description = None
    if published and event.kind in _REPLY_KINDS:
        description = redact_optional(reply) or None
    return {
        "type": kind,
        "datetime": w3c(event.created_at),
        "summary": summary,
        "description": description,
    }
