"""The console's administration pages: staff, units, catalog leaves, holidays, the audit log.

Admins only (any other role gets 403, a visitor the login page). Every form posts with the
session's CSRF token; every change goes through `models/admin_edits.py`, which writes it and
its audit row in one transaction. A password an admin leaves empty is generated and shown on
the answer page once; it is never stored in clear nor logged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from api.deps import EngineDep, SessionDep, SettingsDep
from auth.users import list_staff_users
from core.clock import utcnow
from core.db import session_scope
from core.i18n import S_, Domain
from core.settings import Settings
from models.admin_audit import AdminChange, list_changes
from models.admin_edits import (
    DEADLINE_FIELDS,
    AdminInvalid,
    add_staff,
    delete_override,
    delete_unit,
    edit_leaf,
    edit_unit,
    generated_password,
    reset_staff_password,
    set_override,
    set_staff_active,
    unit_open_cases,
)
from models.calendar_override import list_overrides
from models.catalog import LEAF_LEVEL
from models.enums import Language, StaffRole, UnitKind
from models.unit import Category, Unit
from web.console import Staff, StaffDep, _check_csrf, _page
from web.i18n import request_language, text
from workflows.calendar import CalendarSchedule, YearSource, load_schedule

router = APIRouter(prefix="/console/admin", include_in_schema=False)
PAGE_SIZE = 50


def admin_staff(request: Request, staff: StaffDep) -> Staff:
    if staff.user.role != StaffRole.admin:
        message = S_("Administration is for admins.")
        raise HTTPException(403, text(request_language(request), Domain.staff, message))
    return staff


AdminDep = Annotated[Staff, Depends(admin_staff)]
Csrf = Annotated[str, Form()]

# Words for the audit log and the "done" notes, in the staff member's language.
ENTITY_WORDS = {
    "staff": S_("Staff member"),
    "unit": S_("Unit"),
    "category": S_("Category"),
    "holiday": S_("Calendar day"),
}
ACTION_WORDS = {
    "added": S_("added"),
    "updated": S_("changed"),
    "disabled": S_("disabled"),
    "enabled": S_("enabled"),
    "password_reset": S_("password reset; sessions ended"),
    "deleted": S_("deleted"),
}
FIELD_WORDS = {
    "username": S_("Username"),
    "display_name": S_("Name"),
    "role": S_("Role"),
    "unit_code": S_("Unit"),
    "active": S_("Active"),
    "name_zh": S_("Name (Chinese)"),
    "name_en": S_("Name (English)"),
    "kind": S_("Kind"),
    "parent_code": S_("Parent unit"),
    "service_areas": S_("Service areas"),
    "acknowledge_hours": S_("Hours to acknowledge"),
    "respond_hours": S_("Hours to contact the citizen"),
    "resolve_working_days": S_("Working days to resolve"),
    "day": S_("Date"),
    "name": S_("Entry name"),
}
ROLE_WORDS = {
    "operator": S_("Operator"),
    "dispatcher": S_("Dispatcher"),
    "unit_handler": S_("Unit handler"),
    "supervisor": S_("Supervisor"),
    "admin": S_("Administrator"),
}
KIND_WORDS = {
    "city": S_("City"),
    "district": S_("District"),
    "street": S_("Street"),
    "department": S_("Department"),
    "utility": S_("Utility"),
}
DAY_WORDS = {"holiday": S_("Day off"), "workday": S_("Day worked")}
DONE_WORDS = {
    "added": S_("Added."),
    "saved": S_("Saved."),
    "disabled": S_("Disabled: their sessions have ended."),
    "enabled": S_("Enabled: they can log in again."),
    "password": S_("Password changed: their sessions have ended."),
    "deleted": S_("Deleted."),
}


def _words(request: Request) -> Any:
    language = request_language(request)
    return lambda message, **params: text(language, Domain.staff, message, **params)


def _errors(request: Request, exc: AdminInvalid) -> dict[str, str]:
    say = _words(request)
    return {field: say(p.message, **p.params) for field, p in exc.problems.items()}


def _admin_page(
    request: Request, staff: Staff, template: str, context: dict[str, Any], **kw: Any
) -> HTMLResponse:
    say = _words(request)
    base = {
        "roles": {k: say(v) for k, v in ROLE_WORDS.items()},
        "kinds": {k: say(v) for k, v in KIND_WORDS.items()},
        "day_kinds": {k: say(v) for k, v in DAY_WORDS.items()},
        "done_note": say(DONE_WORDS[context["done"]]) if context.get("done") in DONE_WORDS else "",
        "errors": {},
        "form": {},
        "section": request.url.path.removeprefix("/console/admin").strip("/").split("/")[0],
    }
    return _page(request, staff, template, {**base, **context}, **kw)


# ---- staff ---------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def staff_page(
    request: Request, staff: AdminDep, session: SessionDep, done: str = ""
) -> HTMLResponse:
    return _staff_page(request, staff, session, done=done)


def _staff_page(
    request: Request, staff: Staff, session: Session, *, status: int = 200, **context: Any
) -> HTMLResponse:
    units = session.exec(select(Unit).order_by(col(Unit.code))).all()
    values = {"users": list_staff_users(session=session), "unit_choices": units, **context}
    return _admin_page(request, staff, "console/admin.html", values, status_code=status)


def _session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@router.post("/staff", response_model=None)
def staff_add(
    request: Request,
    staff: AdminDep,
    engine: EngineDep,
    csrf_token: Csrf = "",
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    unit_code: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    shown = password or generated_password()
    form = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "unit_code": unit_code,
    }
    try:
        with session_scope(engine) as session:
            user = add_staff(
                session=session,
                actor=staff.user.username,
                username=username,
                display_name=display_name,
                role=role,
                unit_code=unit_code,
                password=shown,
            )
            added = user.username
    except AdminInvalid as exc:
        with _session(engine) as session:
            errors = _errors(request, exc)
            return _staff_page(request, staff, session, errors=errors, form=form, status=422)
    if password:
        return RedirectResponse(f"/console/admin?done=added#user-{added}", 303)
    with _session(engine) as session:  # the generated password, on this answer only
        return _staff_page(request, staff, session, done="added", once=(added, shown))


@router.post("/staff/{username}/active", response_model=None)
def staff_active(
    request: Request,
    username: str,
    staff: AdminDep,
    engine: EngineDep,
    csrf_token: Csrf = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    enable = active == "yes"
    try:
        with session_scope(engine) as session:
            set_staff_active(
                session=session, actor=staff.user.username, username=username, active=enable
            )
    except AdminInvalid as exc:
        with _session(engine) as session:
            return _staff_page(request, staff, session, errors=_errors(request, exc), status=422)
    done = "enabled" if enable else "disabled"
    return RedirectResponse(f"/console/admin?done={done}#user-{username}", 303)


@router.post("/staff/{username}/password", response_model=None)
def staff_password(
    request: Request,
    username: str,
    staff: AdminDep,
    engine: EngineDep,
    csrf_token: Csrf = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    shown = password or generated_password()
    try:
        with session_scope(engine) as session:
            reset_staff_password(
                session=session, actor=staff.user.username, username=username, password=shown
            )
    except AdminInvalid as exc:
        errors = {
            f"password-{username}" if k == "password" else k: v
            for k, v in _errors(request, exc).items()
        }
        with _session(engine) as session:
            return _staff_page(request, staff, session, errors=errors, status=422)
    if username == staff.user.username:  # their own session has ended with the old password
        return RedirectResponse("/console/login", 303)
    if password:
        return RedirectResponse(f"/console/admin?done=password#user-{username}", 303)
    with _session(engine) as session:
        return _staff_page(request, staff, session, done="password", once=(username, shown))


# ---- units ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    page: int
    pages: int
    total: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def _paging(page: int, total: int) -> Paging:
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return Paging(page=min(max(page, 1), pages), pages=pages, total=total)


def _named_like(query: Any, model: type[Unit] | type[Category], q: str) -> Any:
    """Units and catalog leaves are looked up the same way: a part of the code or a name."""
    if not q:
        return query
    like = f"%{q}%"
    names = (col(model.code), col(model.name_zh), col(model.name_en))
    return query.where(or_(*(name.like(like) for name in names)))


def _one_page(rows: list[Any], page: int) -> tuple[list[Any], Paging]:
    paging = _paging(page, len(rows))
    return rows[paging.offset : paging.offset + PAGE_SIZE], paging


@router.get("/units", response_class=HTMLResponse)
def units_page(
    request: Request, staff: AdminDep, session: SessionDep, q: str = "", page: int = 1
) -> HTMLResponse:
    q = q.strip()[:64]
    query = _named_like(select(Unit).order_by(col(Unit.code)), Unit, q)
    shown, paging = _one_page(list(session.exec(query).all()), page)
    context = {"units": shown, "q": q, "paging": paging}
    return _admin_page(request, staff, "console/admin_units.html", context)


@router.get("/units/{code}", response_class=HTMLResponse)
def unit_page(
    request: Request, code: str, staff: AdminDep, session: SessionDep, done: str = ""
) -> HTMLResponse:
    return _unit_page(request, staff, session, code, done=done)


def _unit_page(
    request: Request,
    staff: Staff,
    session: Session,
    code: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    unit = session.get(Unit, code)
    if unit is None:
        message = _words(request)(S_("No unit has the code {code}."), code=code)
        return _page(request, staff, "console/error.html", {"message": message}, status_code=404)
    form = {
        "name_zh": unit.name_zh,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "parent_code": unit.parent_code or "",
        "service_areas": " ".join(unit.service_areas),
        "active": unit.active,
    }
    values = {
        "unit": unit,
        "form": {**form, **context.pop("form", {})},
        "open_cases": unit_open_cases(session=session, code=code),
        **context,
    }
    return _admin_page(request, staff, "console/admin_unit.html", values, status_code=status)


@router.post("/units/{code}", response_model=None)
def unit_save(
    request: Request,
    code: str,
    staff: AdminDep,
    engine: EngineDep,
    csrf_token: Csrf = "",
    name_zh: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    parent_code: Annotated[str, Form()] = "",
    service_areas: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    form = {
        "name_zh": name_zh,
        "name_en": name_en,
        "kind": kind,
        "parent_code": parent_code,
        "service_areas": service_areas,
        "active": active == "yes",
    }
    try:
        with session_scope(engine) as session:
            edit_unit(
                session=session,
                actor=staff.user.username,
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                kind=kind,
                parent_code=parent_code,
                service_areas=service_areas,
                active=active == "yes",
            )
    except AdminInvalid as exc:
        with _session(engine) as session:
            errors = _errors(request, exc)
            return _unit_page(request, staff, session, code, errors=errors, form=form, status=422)
    return RedirectResponse(f"/console/admin/units/{code}?done=saved", 303)


@router.post("/units/{code}/delete", response_model=None)
def unit_delete(
    request: Request,
    code: str,
    staff: AdminDep,
    engine: EngineDep,
    csrf_token: Csrf = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    try:
        with session_scope(engine) as session:
            delete_unit(session=session, actor=staff.user.username, code=code)
    except AdminInvalid as exc:
        with _session(engine) as session:
            errors = _errors(request, exc)
            return _unit_page(request, staff, session, code, errors=errors, status=409)
    return RedirectResponse("/console/admin/units?done=deleted", 303)


# ---- catalog leaves ------------------------------------------------------------------------


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request, staff: AdminDep, session: SessionDep, q: str = "", page: int = 1
) -> HTMLResponse:
    q = q.strip()[:64]
    leaves = select(Category).where(Category.level == LEAF_LEVEL).order_by(col(Category.code))
    shown, paging = _one_page(list(session.exec(_named_like(leaves, Category, q)).all()), page)
    context = {"leaves": shown, "q": q, "paging": paging}
    return _admin_page(request, staff, "console/admin_catalog.html", context)


@router.get("/catalog/{code}", response_class=HTMLResponse)
def leaf_page(
    request: Request, code: str, staff: AdminDep, session: SessionDep, done: str = ""
) -> HTMLResponse:
    return _leaf_page(request, staff, session, code, done=done)


def _leaf_page(
    request: Request,
    staff: Staff,
    session: Session,
    code: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    leaf = session.get(Category, code)
    if leaf is None or leaf.level != LEAF_LEVEL:
        message = _words(request)(S_("No category leaf has the code {code}."), code=code)
        return _page(request, staff, "console/error.html", {"message": message}, status_code=404)
    form: dict[str, Any] = {
        "name_zh": leaf.name_zh,
        "name_en": leaf.name_en,
        "unit_code": leaf.unit_code or "",
        "active": leaf.active,
        **{name: _number(getattr(leaf, name)) for name in DEADLINE_FIELDS},
    }
    kind = leaf.unit_kind
    units = (
        session.exec(select(Unit).where(Unit.kind == kind).order_by(col(Unit.code))).all()
        if kind in (UnitKind.department, UnitKind.utility)
        else []
    )
    values = {
        "leaf": leaf,
        "unit_choices": units,
        "deadline_fields": DEADLINE_FIELDS,
        "field_words": {k: _words(request)(v) for k, v in FIELD_WORDS.items()},
        "form": {**form, **context.pop("form", {})},
        **context,
    }
    return _admin_page(request, staff, "console/admin_category.html", values, status_code=status)


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


@router.post("/catalog/{code}", response_model=None)
def leaf_save(
    request: Request,
    code: str,
    staff: AdminDep,
    engine: EngineDep,
    csrf_token: Csrf = "",
    name_zh: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    unit_code: Annotated[str, Form()] = "",
    acknowledge_hours: Annotated[str, Form()] = "",
    respond_hours: Annotated[str, Form()] = "",
    resolve_working_days: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    deadlines = {
        "acknowledge_hours": acknowledge_hours,
        "respond_hours": respond_hours,
        "resolve_working_days": resolve_working_days,
    }
    form: dict[str, Any] = {
        "name_zh": name_zh,
        "name_en": name_en,
        "unit_code": unit_code,
        **deadlines,
    }
    try:
        with session_scope(engine) as session:
            edit_leaf(
                session=session,
                actor=staff.user.username,
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                unit_code=unit_code,
                deadlines=deadlines,
                active=active == "yes",
            )
    except AdminInvalid as exc:
        with _session(engine) as session:
            form["active"] = active == "yes"
            errors = _errors(request, exc)
            return _leaf_page(request, staff, session, code, errors=errors, form=form, status=422)
    return RedirectResponse(f"/console/admin/catalog/{code}?done=saved", 303)


# ---- holidays ------------------------------------------------------------------------------


@cache
def _schedule(holidays_file: Path | None, timezone: str) -> CalendarSchedule:
    """The worker's calendar without overrides (`load_worker_calendar`), read once per file."""
    return load_schedule(holidays_file, timezone=timezone)


def _base(settings: Settings) -> CalendarSchedule:
    return _schedule(settings.holidays_file, settings.timezone)


def _source_line(language: Language, schedule: CalendarSchedule, year: int) -> str:
    """Where a year comes from, in words and without any server path."""
    source = schedule.source(year)
    if source is YearSource.csv:
        message = S_("{year}: from the holiday file (the State Council notice).")
    elif source is YearSource.none:
        message = S_("{year}: no holiday data: Monday to Friday are working days.")
    elif year in schedule.estimated_years:
        message = S_(
            "{year}: estimated by the holidays package {version}, without make-up workdays; "
            "add the State Council notice to the holiday file."
        )
    else:
        message = S_("{year}: from the holidays package {version} (the State Council notice).")
    return text(language, Domain.staff, message, year=year, version=schedule.package_version)


@router.get("/holidays", response_class=HTMLResponse)
def holidays_page(
    request: Request, staff: AdminDep, session: SessionDep, settings: SettingsDep, done: str = ""
) -> HTMLResponse:
    return _holidays_page(request, staff, session, settings, done=done)


def _holidays_page(
    request: Request,
    staff: Staff,
    session: Session,
    settings: Settings,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    schedule = _base(settings)
    year = utcnow().astimezone(ZoneInfo(settings.timezone)).year
    years = (year, year + 1)
    language = request_language(request)
    values = {
        "overrides": list_overrides(session=session),
        "days": [d for y in years for d in schedule.days_in(y)],
        "sources": [_source_line(language, schedule, y) for y in years],
        **context,
    }
    return _admin_page(request, staff, "console/admin_holidays.html", values, status_code=status)


@router.post("/holidays", response_model=None)
def holiday_set(
    request: Request,
    staff: AdminDep,
    engine: EngineDep,
    settings: SettingsDep,
    csrf_token: Csrf = "",
    day: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    base = _base(settings).calendar()
    try:
        with session_scope(engine) as session:
            set_override(
                session=session,
                actor=staff.user.username,
                day=day,
                kind=kind,
                name=name,
                is_working_day=base.is_working_day,
            )
    except AdminInvalid as exc:
        form = {"day": day, "kind": kind, "name": name}
        with _session(engine) as session:
            errors = _errors(request, exc)
            return _holidays_page(
                request, staff, session, settings, errors=errors, form=form, status=422
            )
    return RedirectResponse("/console/admin/holidays?done=saved", 303)


@router.post("/holidays/{day}/delete", response_model=None)
def holiday_delete(
    request: Request,
    day: str,
    staff: AdminDep,
    engine: EngineDep,
    settings: SettingsDep,
    csrf_token: Csrf = "",
) -> Response:
    _check_csrf(staff, csrf_token)
    try:
        with session_scope(engine) as session:
            delete_override(session=session, actor=staff.user.username, day=day)
    except AdminInvalid as exc:
        with _session(engine) as session:
            errors = _errors(request, exc)
            return _holidays_page(request, staff, session, settings, errors=errors, status=404)
    return RedirectResponse("/console/admin/holidays?done=deleted", 303)


# ---- audit log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    at: str
    actor: str
    entity: str
    key: str
    action: str
    changes: list[tuple[str, str, str]]  # field, before, after


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    staff: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    page: int = 1,
) -> HTMLResponse:
    _, total = list_changes(session=session, offset=0, limit=0)
    paging = _paging(page, total)
    changes, _ = list_changes(session=session, offset=paging.offset, limit=PAGE_SIZE)
    zone = ZoneInfo(settings.timezone)
    rows = [_audit_row(request, change, zone) for change in changes]
    return _admin_page(request, staff, "console/admin_audit.html", {"rows": rows, "paging": paging})


def _audit_row(request: Request, change: AdminChange, zone: ZoneInfo) -> AuditRow:
    say = _words(request)
    fields = list(dict.fromkeys([*change.before, *change.after]))
    return AuditRow(
        at=change.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        actor=change.actor,
        entity=say(ENTITY_WORDS.get(change.entity, change.entity)),
        key=change.key,
        action=say(ACTION_WORDS.get(change.action, change.action)),
        changes=[
            (
                say(FIELD_WORDS[f]) if f in FIELD_WORDS else f,
                _value(request, f, change.before.get(f)),
                _value(request, f, change.after.get(f)),
            )
            for f in fields
        ],
    )


def _value(request: Request, field: str, value: Any) -> str:
    """A logged value in words: yes/no, role and kind names, lists joined, nothing as a dash."""
    say = _words(request)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return say(S_("yes") if value else S_("no"))
    if field == "role" and value in ROLE_WORDS:
        return say(ROLE_WORDS[value])
    if field == "kind" and value in KIND_WORDS:
        return say(KIND_WORDS[value])
    if field == "kind" and value in DAY_WORDS:
        return say(DAY_WORDS[value])
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)
