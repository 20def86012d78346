"""The console's case lists: the role's views, search, filters, sort, pages, saved views, the
CSV export and the new-case alerts the page polls.

Every list goes through `models.search.search_cases` with the staff member's `own_unit` as
`visible_unit`, so a unit handler's search, filters, saved views and export stay inside their
unit whatever the query string says. Without JavaScript the page is plain links and a GET form;
with it, the rows refresh, the tab title counts new cases and j/k/o/d move through the queue.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from api.deps import SessionDep, SettingsDep
from auth.roles import StaffAction, may, own_unit
from core.clock import utcnow
from core.i18n import S_, Domain, pgettext_for
from core.settings import Settings
from models.case import Case
from models.enums import CaseStatus, Channel, StaffRole, UnitKind, Urgency
from models.queues import DISPATCH_QUEUE, OPEN, pending_extension_numbers
from models.saved_view import SavedView
from models.search import (
    BadQuery,
    CaseQuery,
    Scope,
    iterate_cases,
    overdue_condition,
    parse_case_query,
    search_cases,
)
from models.staff import StaffUser
from models.unit import Category, Unit
from web.console import HOME_VIEW, Staff, StaffDep, _check_csrf, _page
from web.i18n import request_language, status_names, text
from web.sla import Badge, sla_badges

router = APIRouter(prefix="/console", include_in_schema=False)

MAX_SAVED_VIEWS = 30
CHANNEL_NAMES = {
    Channel.voice: S_("Phone call"),
    Channel.sms: S_("SMS"),
    Channel.chat: S_("Chat"),
    Channel.web: S_("Website"),
    Channel.open311: S_("Open311"),
    Channel.staff: S_("Staff"),
}
CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    case: Case
    status: str  # the value (a row read back holds a plain string, a fresh one the enum)
    urgent: bool
    created: str
    category: str
    unit: str
    badges: list[Badge]
    overdue: bool
    pending_extension: bool


def views_of(user: StaffUser) -> list[str]:
    if user.role == StaffRole.unit_handler:
        return ["unit", "all"]
    return ["queue", "supervision", "all"]


def chosen_view(user: StaffUser, view: str) -> str:
    """The view asked for when the role has it, else the role's own (a unit handler asking
    for the dispatch queue gets their unit's list, never other units' cases)."""
    return view if view in views_of(user) else HOME_VIEW[user.role]


def _scope(session: Session, user: StaffUser, view: str) -> Scope:
    unit = own_unit(user)
    if view == "queue":
        return Scope(statuses=DISPATCH_QUEUE)
    if view == "unit":
        return Scope(statuses=OPEN, unit=unit)
    if view == "supervision":
        pending = pending_extension_numbers(session=session, unit_code=unit)
        return Scope(statuses=OPEN, supervision=True, pending_extension_numbers=pending)
    return Scope()


def _query(request: Request) -> CaseQuery:
    try:
        return parse_case_query(request.query_params)
    except BadQuery as exc:
        raise HTTPException(422, str(exc)) from exc


REFUSED_QUERY = S_(
    "This list cannot be shown: the value of “{parameter}” in its address cannot be used. "
    "Open the list again from the menu."
)


def _refused_query(request: Request, staff: Staff) -> HTMLResponse | None:
    """A hand-edited list address gets a page in the staff member's words, not the staff
    API's English JSON error (which names the values the API accepts)."""
    try:
        parse_case_query(request.query_params)
    except BadQuery as exc:
        parameter = str(exc).split(":", 1)[0]
        message = text(request_language(request), Domain.staff, REFUSED_QUERY, parameter=parameter)
        return _page(request, staff, "console/error.html", {"message": message}, status_code=422)
    return None


def _search(
    session: Session, staff: Staff, settings: Settings, view: str, query: CaseQuery
) -> dict[str, Any]:
    """What the page and the CSV export search with: the same cases, the staff member's only."""
    return {
        "session": session,
        "query": query,
        "visible_unit": own_unit(staff.user),
        "default_region": settings.default_phone_region,
        "scope": _scope(session, staff.user, view),
    }


def _list(
    request: Request, staff: Staff, session: Session, settings: Settings, view: str
) -> tuple[str, CaseQuery, Any, list[Row]]:
    view = chosen_view(staff.user, view)
    query = _query(request)
    now = utcnow()
    zone = ZoneInfo(settings.timezone)
    page = search_cases(**_search(session, staff, settings, view, query), now=now, zone=zone)
    language = request_language(request)
    english = language.value == "en"
    categories = _names(session, Category, {c.category_code for c in page.cases}, english)
    units = _names(session, Unit, {c.lead_unit_code for c in page.cases}, english)
    pending = set(pending_extension_numbers(session=session, unit_code=own_unit(staff.user)))
    rows = [
        Row(
            case=case,
            status=CaseStatus(case.status).value,
            urgent=Urgency(case.urgency) == Urgency.urgent,
            created=case.created_at.astimezone(zone).strftime("%m-%d %H:%M"),
            category=categories.get(case.category_code or "", case.category_code or "—"),
            unit=units.get(case.lead_unit_code or "", case.lead_unit_code or "—"),
            badges=sla_badges(case, now, zone, language),
            overdue=_overdue(case, now),
            pending_extension=case.number in pending,
        )
        for case in page.cases
    ]
    return view, query, page, rows


def _names(session: Session, table: Any, codes: set[str | None], english: bool) -> dict[str, str]:
    wanted = [c for c in codes if c]
    if not wanted:
        return {}
    found = session.exec(select(table).where(col(table.code).in_(wanted))).all()
    return {row.code: (row.name_en or row.name_zh) if english else row.name_zh for row in found}


def _overdue(case: Case, now: datetime) -> bool:
    status = CaseStatus(case.status)
    if (
        status == CaseStatus.dispatched
        and case.acknowledge_due_at
        and case.acknowledge_due_at < now
    ):
        return True
    return bool(
        status
        in (
            CaseStatus.dispatched,
            CaseStatus.acknowledged,
            CaseStatus.in_progress,
            CaseStatus.reopened,
        )
        and case.resolve_due_at
        and case.resolve_due_at < now
    )


def _list_context(
    request: Request, staff: Staff, session: Session, settings: Settings, view: str
) -> dict[str, Any]:
    view, query, page, rows = _list(request, staff, session, settings, view)
    return {"view": view, "query": query, "page": page, "rows": rows}


@router.get("/cases", response_class=HTMLResponse)
def case_list(
    request: Request, staff: StaffDep, session: SessionDep, settings: SettingsDep, view: str = ""
) -> HTMLResponse:
    """The list: the view's cases narrowed by the search and filters, one page at a time."""
    if (refused := _refused_query(request, staff)) is not None:
        return refused
    context = _list_context(request, staff, session, settings, view)
    language = request_language(request)
    english = language.value == "en"
    districts = session.exec(
        select(Unit).where(Unit.kind == UnitKind.district.value).order_by(col(Unit.code))
    ).all()
    saved = session.exec(
        select(SavedView)
        .where(SavedView.staff_user_id == staff.user.id)
        .order_by(col(SavedView.name))
    ).all()
    context.update(
        views=views_of(staff.user),
        districts=[(u.code, (u.name_en or u.name_zh) if english else u.name_zh) for u in districts],
        statuses=[s.value for s in CaseStatus],
        channels=[(c.value, text(language, Domain.staff, CHANNEL_NAMES[c])) for c in Channel],
        sorts=[
            ("created", text(language, Domain.staff, S_("Newest first"))),
            ("oldest", text(language, Domain.staff, S_("Oldest first"))),
            ("deadline", text(language, Domain.staff, S_("Resolve deadline"))),
            ("status", text(language, Domain.staff, S_("Status"))),
            ("number", text(language, Domain.staff, S_("Case number"))),
        ],
        saved_views=saved,
        unit_filter=own_unit(staff.user) is None,
        may_dispatch=may(staff.user, StaffAction.dispatch),
    )
    return _page(request, staff, "console/cases.html", context)


@router.get("/rows", response_class=HTMLResponse)
def case_rows(
    request: Request, staff: StaffDep, session: SessionDep, settings: SettingsDep, view: str = ""
) -> HTMLResponse:
    """The rows of one list page, for the page's live refresh."""
    if (refused := _refused_query(request, staff)) is not None:
        return refused
    context = _list_context(request, staff, session, settings, view)
    context["may_dispatch"] = may(staff.user, StaffAction.dispatch)
    return _page(request, staff, "console/_rows.html", context)


@router.get("/cases.csv", response_model=None)
def export_csv(
    request: Request, staff: StaffDep, session: SessionDep, settings: SettingsDep, view: str = ""
) -> StreamingResponse:
    """Every case of the current list (all pages), only what this staff member may see."""
    view = chosen_view(staff.user, view)
    query = _query(request)
    zone = ZoneInfo(settings.timezone)
    language = request_language(request)
    now = utcnow()
    cases = iterate_cases(**_search(session, staff, settings, view, query), now=now, zone=zone)
    headings = [
        S_("Case number"),
        S_("Received"),
        S_("Status"),
        S_("Channel"),
        S_("Category"),
        S_("Unit"),
        S_("District"),
        S_("Street"),
        S_("Acknowledge by"),
        S_("Resolve by"),
        S_("Overdue cases"),
        S_("Description"),
    ]

    statuses = status_names(pgettext_for(language))
    channels = {c.value: text(language, Domain.staff, name) for c, name in CHANNEL_NAMES.items()}

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # Excel opens UTF-8 Chinese text only with the BOM
        writer.writerow([text(language, Domain.staff, h) for h in headings])
        for case in cases:
            writer.writerow(
                safe_cell(value)
                for value in (
                    case.number,
                    local(case.created_at),
                    statuses.get(str(case.status), str(case.status)),
                    channels.get(str(case.channel), str(case.channel)),
                    case.category_code or "",
                    case.lead_unit_code or "",
                    case.district_code or "",
                    case.street_code or "",
                    local(case.acknowledge_due_at),
                    local(case.resolve_due_at),
                    "1" if _overdue(case, now) else "",
                    case.description,
                )
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = now.astimezone(zone).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="cases-{view}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or CR) would
    run as a formula, so it gets a leading apostrophe."""
    cell = str(value)
    return "'" + cell if cell.startswith(CSV_FORMULA) else cell


@router.get("/alerts.json", response_model=None)
def alerts(staff: StaffDep, session: SessionDep, since: str = "") -> JSONResponse:
    """How many cases arrived in this staff member's queue since `since` (ISO time the page got
    from the previous answer): the dispatch queue for the centre, the unit's cases waiting to
    be acknowledged for a unit handler. Only a count: no case details leave here."""
    now = utcnow()
    try:
        after = datetime.fromisoformat(since) if since else now
    except ValueError as exc:
        raise HTTPException(422, "since: the time of the previous answer, as ISO 8601") from exc
    if after.tzinfo is None:
        raise HTTPException(422, "since: a time with its UTC offset")
    unit = own_unit(staff.user)
    statement = select(func.count()).select_from(Case)
    if unit is not None:
        statement = statement.where(
            Case.lead_unit_code == unit, Case.status == CaseStatus.dispatched.value
        )
        moment = col(Case.updated_at)
    else:
        statement = statement.where(col(Case.status).in_([s.value for s in DISPATCH_QUEUE]))
        moment = col(Case.created_at)
    waiting = session.exec(statement).one()
    new = session.exec(statement.where(moment > after)).one() if since else 0
    overdue = session.exec(statement.where(overdue_condition(now))).one()
    return JSONResponse(
        {"new": new, "waiting": waiting, "overdue": overdue, "since": now.isoformat()},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/views", response_model=None)
def save_view(
    staff: StaffDep,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Keep the current list under a name; the query is parsed now (a bad one is refused) and
    again, inside the owner's scope, whenever it is opened."""
    _check_csrf(staff, csrf_token)
    name = " ".join(name.split())
    if not name or len(name) > 80 or "\x00" in name:
        raise HTTPException(422, "name: 1 to 80 characters")
    params = dict(_pairs(query))
    view = params.pop("view", "")
    try:
        parsed = parse_case_query(params)
    except BadQuery as exc:
        raise HTTPException(422, str(exc)) from exc
    kept = parsed.query_string(page=1)
    if view in views_of(staff.user):
        kept = f"view={view}&{kept}" if kept else f"view={view}"
    assert staff.user.id is not None
    count = session.exec(
        select(func.count()).select_from(SavedView).where(SavedView.staff_user_id == staff.user.id)
    ).one()
    existing = session.exec(
        select(SavedView).where(SavedView.staff_user_id == staff.user.id, SavedView.name == name)
    ).first()
    if existing is not None:
        existing.query = kept
    elif count >= MAX_SAVED_VIEWS:
        raise HTTPException(422, f"at most {MAX_SAVED_VIEWS} saved views: delete one first")
    else:
        session.add(SavedView(staff_user_id=staff.user.id, name=name, query=kept))
    try:
        session.commit()
    except IntegrityError as exc:  # the same name saved twice at once
        raise HTTPException(409, "a view of that name was just saved: reload") from exc
    return RedirectResponse(f"/console/cases?{kept}", 303)


@router.post("/views/{view_id}/delete", response_model=None)
def delete_view(
    view_id: int, staff: StaffDep, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    _check_csrf(staff, csrf_token)
    saved = session.get(SavedView, view_id)
    if saved is None or saved.staff_user_id != staff.user.id:  # someone else's: not found
        raise HTTPException(404, "no such saved view")
    session.delete(saved)
    session.commit()
    return RedirectResponse("/console/cases", 303)


def _pairs(query: str) -> list[tuple[str, str]]:
    if len(query) > 1000:
        raise HTTPException(422, "query: at most 1000 characters")
    return parse_qsl(query.lstrip("?"), keep_blank_values=False)
