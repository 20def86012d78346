"""The console inbox: notices addressed to units (new case, reopened, returned, SLA breach...).

They are the `notifications` outbox rows with no citizen channel, written by the workflow's
`notify` activity, and the 未诉先办 alerts of the spike watch (analytics/spikes.py), which
concern a category in a district rather than a case: no case, no link, no citizen in them.
A unit handler sees those to their own unit, dispatchers, supervisors and admins every unit's
(the dispatch centre's among them). Operators take calls: no inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from analytics.spikes import ALERT_TEXT, alert_params, recorded_alert_of
from api.deps import SessionDep, SettingsDep
from models.case import Case
from models.enums import Language, StaffRole
from models.notification import Notification
from models.staff import StaffUser
from web.case_view import words_for
from web.console import StaffDep, _page
from web.i18n import request_language
from web.staff_words import StaffWords

router = APIRouter(prefix="/console", include_in_schema=False)
INBOX_SIZE = 200
SEES_ALL = frozenset({StaffRole.dispatcher, StaffRole.supervisor, StaffRole.admin})


@dataclass(frozen=True)
class InboxItem:
    number: str | None  # None: a notice of no case (a spike alert)
    unit: str
    text: str
    local: str  # the time, in the hotline's zone


def unit_notices(
    session: Session, user: StaffUser, zone: ZoneInfo, language: Language = Language.zh
) -> list[InboxItem]:
    query = (
        select(Notification, Case.number)
        .outerjoin(Case, col(Case.id) == col(Notification.case_id))
        .where(col(Notification.channel).is_(None), Notification.audience != "citizen")
        .order_by(col(Notification.id).desc())
        .limit(INBOX_SIZE)
    )
    if user.role not in SEES_ALL:
        query = query.where(Notification.address == user.unit_code)
    rows = session.exec(query).all()
    words = (
        words_for(session, language, str(zone))
        if any(notice.kind == "spike_alert" for notice, _ in rows)
        else None
    )
    return [
        InboxItem(
            number=number,
            unit=notice.address,
            text=_spike_alert_text(session, notice, words) if words else notice.body,
            local=notice.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )
        for notice, number in rows
    ]


def _spike_alert_text(session: Session, notice: Notification, words: StaffWords) -> str:
    """A spike alert in the reader's language, from its recorded alert (the body is in the
    unit's, Chinese); any other notice as it was written."""
    alert = recorded_alert_of(session, notice.dedupe_key) if notice.kind == "spike_alert" else None
    if alert is None:
        return notice.body
    area, category = words.unit(alert.area_code), words.category(alert.category_code)
    return words(ALERT_TEXT, **alert_params(alert, area=area, category=category))


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request, staff: StaffDep, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    user = staff.user
    if user.role not in SEES_ALL and not (user.role == StaffRole.unit_handler and user.unit_code):
        raise HTTPException(403, "the inbox is for units, dispatchers and supervisors")
    language = request_language(request)
    items = unit_notices(session, user, ZoneInfo(settings.timezone), language)
    return _page(request, staff, "console/inbox.html", {"items": items})
