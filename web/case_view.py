"""What the console's case page shows besides the case row: replies, attachments, the caller's
other cases, deadlines, the timeline in words, and the dispatch form's suggestions and pickers.

Kept apart from `web/console.py` (routes) so the page's contents can grow without touching
the routes other console pages share.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import or_, tuple_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from auth.roles import own_unit
from core.clock import utcnow
from core.i18n import S_
from core.redaction import mask_for_owner, mask_phone
from models.attachment import Attachment
from models.case import Case
from models.citizen import CaseContact
from models.enums import AttachmentKind, CaseStatus, Channel, EventKind, Language, UnitKind
from models.event import CaseEvent
from models.notification import Notification
from models.queues import latest_event
from models.staff import StaffUser
from models.unit import Category, Unit
from web.public import catalog_groups
from web.staff_words import DEADLINES, StaffWords

CANNED_REPLIES = (
    Path(__file__).resolve().parent.parent / "models" / "seed_data" / "canned_replies.csv"
)
OTHER_CASES_SHOWN = 20
PICKER_KINDS = (UnitKind.district, UnitKind.street, UnitKind.department, UnitKind.utility)


@dataclass(frozen=True)
class Reply:
    at: str
    actor: str
    text: str


@dataclass(frozen=True)
class AttachmentView:
    id: int
    kind: str  # photo | audio | document
    content_type: str
    filename: str
    size_kb: int
    url: str


@dataclass(frozen=True)
class OtherCase:
    number: str
    created: str
    status: str
    category: str
    proved: bool  # linked by an identity the citizen proved, not a contact merely given


@dataclass(frozen=True)
class DeadlineView:
    name: str  # acknowledge | respond | resolve
    label: str  # 签收 / 响应 / 办结
    at: str
    overdue: bool


@dataclass(frozen=True)
class SuggestionView:
    category_code: str
    category: str
    percent: str
    unit_code: str | None
    unit: str
    reason: str


@dataclass(frozen=True)
class CannedReply:
    title: str
    text: str


def words_for(session: Session, language: Language, zone: str) -> StaffWords:
    """A `StaffWords` knowing every unit and category (both small tables, read once)."""
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    categories = {c.code: c for c in session.exec(select(Category)).all()}
    return StaffWords(language, zone=zone, units=units, categories=categories)


# The events whose note the supervision flag shows (the latest one).
SUPERVISION_KINDS = {EventKind.supervised, EventKind.urged, EventKind.sla_breach}


def case_view(
    *, session: Session, case: Case, user: StaffUser, language: Language, zone: str
) -> dict[str, Any]:
    """The template context the case page adds to the row's own fields."""
    assert case.id is not None
    words = words_for(session, language, zone)
    events = list(
        session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
        ).all()
    )
    return {
        "words": words,
        "timeline": words.timeline(events),
        "supervision_events": [e for e in events if e.kind in SUPERVISION_KINDS],
        "replies": replies(events, case, words),
        "attachments": attachments(session, case),
        "other_cases": other_cases(session, case, user, words),
        "deadlines": deadlines(case, words),
        "suggestions": suggestions(session, case, words),
        "unit_options": unit_options(session, words),
        "category_groups": catalog_groups(session, language)[0],
        "canned_replies": canned_replies(case.category_code, language),
        "knowledge": knowledge(session, case, words),
        "notices": notices(session, case, words),
    }


# What each notice is, in the staff's words (its text is in the recipient's language).
NOTICE_NAMES: dict[str, str] = {
    "accepted": S_("Case number sent"),
    "dispatched": S_("Citizen told: dispatched"),
    "redispatched": S_("Citizen told: moved to another unit"),
    "extension_approved": S_("Citizen told: new deadline"),
    "resolved": S_("Reply sent to the citizen"),
    "reopened": S_("Citizen told: reopened"),
    "merged": S_("Citizen told: merged"),
    "withdrawn": S_("Citizen told: withdrawn"),
    "survey": S_("Satisfaction survey"),
    "unit_new_case": S_("Unit told: new case"),
    "unit_reopened": S_("Unit told: reopened"),
    "sla_breach": S_("Unit told: deadline missed"),
    "extension_decided": S_("Unit told: extension decided"),
    "unit_urged": S_("Unit told: urged"),
    "unit_redispatched": S_("Unit told: case moved away"),
    "unit_withdrawn": S_("Unit told: withdrawn"),
    "returned": S_("Centre told: returned"),
}
OTHER_NOTICE = S_("Notice")


@dataclass(frozen=True)
class NoticeView:
    at: str
    text: str  # what it is, in the staff's words
    to: str  # the channel and a masked address, or the unit's code
    status: str  # sent | pending | failed
    attempts: int
    error: str  # the sender's last error, already redacted


def notices(session: Session, case: Case, words: StaffWords) -> list[NoticeView]:
    """What the outbox sender sent for this case and what it could not send yet: a notice
    that keeps failing is the staff's to chase (a wrong number, a channel down)."""
    rows = session.exec(
        select(Notification).where(Notification.case_id == case.id).order_by(col(Notification.id))
    ).all()
    return [
        NoticeView(
            at=words.time(row.created_at),
            text=words(NOTICE_NAMES.get(row.kind, OTHER_NOTICE)),
            to=_notice_to(row, words),
            status=row.status,
            attempts=row.attempts,
            error=row.last_error or "",
        )
        for row in rows
    ]


def _notice_to(row: Notification, words: StaffWords) -> str:
    if row.channel is None:
        return words.unit(row.address)  # a unit's inbox
    channel = words.word("channel", row.channel)
    if row.channel in (Channel.sms, Channel.voice):
        return f"{channel} {mask_phone(row.address)}"
    return f"{channel} {mask_for_owner(row.address)}"


def replies(events: list[CaseEvent], case: Case, words: StaffWords) -> list[Reply]:
    """Every reply given (a reopened case is resolved again); old events without the reply on
    them show the case's last one once."""
    kinds = {EventKind.resolved.value, EventKind.answered_directly.value}
    found = [e for e in events if e.kind in kinds]
    shown: list[Reply] = []
    for index, event in enumerate(found):
        text = str(event.payload.get("reply", ""))
        if not text and index == len(found) - 1:
            text = case.reply or ""
        if text:
            shown.append(Reply(words.time(event.created_at), words.actor(event.actor), text))
    if not shown and case.reply:
        shown.append(Reply("", "", case.reply))
    return shown


def attachments(session: Session, case: Case) -> list[AttachmentView]:
    rows = session.exec(
        select(Attachment).where(Attachment.case_id == case.id).order_by(col(Attachment.id))
    ).all()
    return [
        AttachmentView(
            id=row.id or 0,
            kind=AttachmentKind(row.kind).value,
            content_type=row.content_type,
            filename=row.filename,
            size_kb=max(1, row.size // 1024),
            url=f"/console/cases/{case.number}/attachments/{row.id}",
        )
        for row in rows
    ]


def other_cases(
    session: Session, case: Case, user: StaffUser, words: StaffWords
) -> list[OtherCase]:
    """The same citizen's other cases: those of the identity they proved (same `citizen_id`),
    and those carrying one of this case's own contacts (marked as given, not proved: anyone
    can type a number into a form, see docs/security.md). A unit handler sees only their
    unit's, as everywhere in the console."""
    assert case.id is not None
    contacts = [
        (c.kind, c.value)
        for c in session.exec(select(CaseContact).where(CaseContact.case_id == case.id)).all()
    ]
    by_contact = (
        select(CaseContact.case_id).where(
            tuple_(col(CaseContact.kind), col(CaseContact.value)).in_(contacts)
        )
        if contacts
        else None
    )
    links = []
    if case.citizen_id is not None:
        links.append(col(Case.citizen_id) == case.citizen_id)
    if by_contact is not None:
        links.append(col(Case.id).in_(by_contact))
    if not links:
        return []
    query = select(Case).where(col(Case.id) != case.id, or_(*links))
    unit = own_unit(user)
    if unit is not None:
        query = query.where(col(Case.lead_unit_code) == unit)
    rows = session.exec(query.order_by(col(Case.created_at).desc()).limit(OTHER_CASES_SHOWN))
    return [
        OtherCase(
            number=row.number,
            created=words.time(row.created_at),
            status=CaseStatus(row.status).value,
            category=words.category(row.category_code),
            proved=case.citizen_id is not None and row.citizen_id == case.citizen_id,
        )
        for row in rows.all()
    ]


def deadlines(case: Case, words: StaffWords) -> list[DeadlineView]:
    """签收, 响应 and 办结 deadlines; overdue only while the step is still to be done."""
    now = utcnow()
    pending = {
        "acknowledge": {CaseStatus.dispatched},
        "respond": {CaseStatus.dispatched, CaseStatus.acknowledged},
        "resolve": {
            CaseStatus.dispatched,
            CaseStatus.acknowledged,
            CaseStatus.in_progress,
            CaseStatus.reopened,
        },
    }
    shown = []
    for name in DEADLINES:
        at: datetime | None = getattr(case, f"{name}_due_at")
        if at is None:
            continue
        overdue = CaseStatus(case.status) in pending[name] and at < now
        shown.append(DeadlineView(name, words.deadline(name), words.time(at), overdue))
    return shown


def suggestions(session: Session, case: Case, words: StaffWords) -> list[SuggestionView]:
    """Smart dispatch's advice as the workflow recorded it (`dispatch_suggested`), in words."""
    event = latest_event(session=session, case=case, kind=EventKind.dispatch_suggested.value)
    if event is None:
        return []
    found = []
    for part in str(event.payload.get("suggestions", "")).split(" | "):
        bits = part.split(" ", 3)
        if len(bits) < 3:
            continue
        try:
            percent = f"{float(bits[1]):.0%}"
        except ValueError:
            continue
        unit = None if bits[2] == "-" else bits[2]
        reason = bits[3] if len(bits) == 4 else ""
        if reason.startswith("(") and reason.endswith(")"):
            reason = reason[1:-1]  # one pair only: a reason may end in its own parenthesis
        found.append(
            SuggestionView(
                category_code=bits[0],
                category=words.category(bits[0]),
                percent=percent,
                unit_code=unit,
                unit=words.unit(unit) if unit else "—",
                reason=words.reason(reason),
            )
        )
    return found


def suggested_unit(case: Case, found: list[SuggestionView]) -> str:
    """The unit to prefill: the first suggestion with one, else none at all (a dispatcher must
    choose; preselecting the first of 381 units sent cases to 东城区 by accident)."""
    for suggestion in found:
        if suggestion.unit_code:
            return suggestion.unit_code
    return case.lead_unit_code or ""


def unit_options(session: Session, words: StaffWords) -> list[tuple[str, str]]:
    """(code, "name · code") for the picker's datalist, active dispatchable units."""
    rows = session.exec(
        select(Unit)
        .where(col(Unit.active).is_(True), col(Unit.kind).in_([k.value for k in PICKER_KINDS]))
        .order_by(col(Unit.code))
    ).all()
    # Street names repeat across districts (八里庄街道 in 朝阳区 and 海淀区): name the district.
    return [
        (
            u.code,
            f"{words.unit(u.code)} · {words.unit(u.parent_code)}"
            if u.kind == UnitKind.street and u.parent_code
            else words.unit(u.code),
        )
        for u in rows
    ]


def resolve_unit(session: Session, given: str) -> str | None:
    """The unit code a picker's text names: a code, "code name", or an exact name."""
    given = given.strip()
    if not given:
        return None
    active = col(Unit.active).is_(True)
    first = given.split()[0]
    for code in (given, first):
        unit = session.get(Unit, code)
        if unit is not None and unit.active:
            return unit.code
    named = session.exec(
        select(Unit.code).where(active, or_(col(Unit.name_zh) == given, col(Unit.name_en) == given))
    ).all()
    return named[0] if len(named) == 1 else None


def knowledge(session: Session, case: Case, words: StaffWords) -> list[str]:
    """The case category's path and the phrasings filed under it: what the hotline knows
    about this kind of request, beside the reply box."""
    if not case.category_code:
        return []
    category = session.get(Category, case.category_code)
    if category is None:
        return []
    path = []
    node: Category | None = category
    while node is not None:
        path.append(words.category(node.code))
        node = session.get(Category, node.parent_code) if node.parent_code else None
    return [" / ".join(reversed(path)), *category.examples[:5]]


@cache
def _canned_rows() -> tuple[dict[str, str], ...]:
    if not CANNED_REPLIES.exists():
        return ()
    with CANNED_REPLIES.open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def canned_replies(category_code: str | None, language: Language) -> list[CannedReply]:
    """Canned replies for the case's category: those filed under it or any of its parents,
    most specific first, then the general ones (empty category)."""
    code = category_code or ""
    rows = [
        row
        for row in _canned_rows()
        if not row["category"] or code == row["category"] or code.startswith(row["category"] + ".")
    ]
    rows.sort(key=lambda row: -len(row["category"]))
    suffix = "en" if language is Language.en else "zh"
    return [
        CannedReply(
            row[f"title_{suffix}"] or row["title_zh"], row[f"text_{suffix}"] or row["text_zh"]
        )
        for row in rows
    ]


class FieldProblem(ValueError):
    """A form field the page must point at: `message` is a staff-catalogue text."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


def dispatch_values(engine: Engine, values: dict[str, Any]) -> dict[str, Any]:
    """The dispatch form's picker text as a unit code and its category as an active leaf, or
    a `FieldProblem` naming the field (nothing reaches the workflow)."""
    with Session(engine) as session:
        given = str(values.get("unit_code") or "")
        if not given.strip():
            raise FieldProblem("unit_code", S_("Choose the unit to dispatch to."))
        code = resolve_unit(session, given)
        if code is None:
            raise FieldProblem(
                "unit_code", S_("No unit matches “{given}”: pick one from the list."), given=given
            )
        category = values.get("category_code")
        if category:
            row = session.get(Category, category)
            if row is None or not row.active or row.level != 3:
                raise FieldProblem(
                    "category_code",
                    S_("“{given}” is not a category a case can be filed under."),
                    given=category,
                )
    return {**values, "unit_code": code}
