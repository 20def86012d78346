"""The staff console: login, a view per role, case pages with the actions the role allows.

Server-rendered forms (each with the session's CSRF token) post to the same checks the staff
API uses (`api/staff_actions.py`); the case lists (search, filters, export, alerts) are in
`web/console_list.py`.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.auth import check_password, client_address, load_active_user
from api.deps import EngineDep, SessionDep, SettingsDep, TemporalDep
from api.staff_actions import BODIES, perform, visible_case
from auth.roles import UNIT_ACTIONS, NotPermitted, StaffAction, may, own_unit, require
from auth.throttle import app_throttle, login_limits
from auth.tokens import SessionData, new_session, read_session, same_secret
from auth.users import log_out_everywhere
from core.i18n import S_, Domain
from core.settings import Settings
from intake.errors import IntakeRejected
from intake.flows import start_case_workflow
from intake.owners import case_contacts
from intake.schemas import Contact, Intake
from intake.service import accept_intake
from models.case import Case
from models.catalog import search_categories
from models.citizen import CaseContact
from models.enums import CaseStatus, Channel, Language, RequestType, StaffRole, Urgency
from models.queues import pending_extension_numbers
from models.service import CaseNotFound, case_public
from models.staff import StaffUser
from models.unit import Category, Unit
from web.case_view import FieldProblem, case_view, dispatch_values, suggested_unit
from web.i18n import request_language, text
from web.pages import anonymous_form_ok, render, secure_cookies
from web.public import catalog_groups, clean
from workflows.actions import ActionOutcomeUnknown, ActionRefused

router = APIRouter(prefix="/console", include_in_schema=False)

SESSION_COOKIE = "hotline_console"
REQUEST_ID = re.compile(r"[0-9a-f]{32}")
VIEWS = ("queue", "unit", "supervision", "all")
HOME_VIEW = {
    StaffRole.operator: "all",
    StaffRole.dispatcher: "queue",
    StaffRole.unit_handler: "unit",
    StaffRole.supervisor: "supervision",
    StaffRole.admin: "all",
}
# What each state lets staff do next; the role filter and the workflow's validators follow.
NEXT_ACTIONS: dict[CaseStatus, list[StaffAction]] = {
    CaseStatus.accepted: [StaffAction.dispatch, StaffAction.answer, StaffAction.merge],
    CaseStatus.returned: [StaffAction.dispatch, StaffAction.overrule, StaffAction.merge],
    CaseStatus.dispatched: [StaffAction.acknowledge, StaffAction.return_case, StaffAction.merge],
    CaseStatus.acknowledged: [
        StaffAction.respond,
        StaffAction.extend,
        StaffAction.return_case,
        StaffAction.merge,
    ],
    CaseStatus.in_progress: [StaffAction.resolve, StaffAction.extend, StaffAction.merge],
    CaseStatus.reopened: [StaffAction.respond, StaffAction.resolve, StaffAction.extend],
}


@dataclass(frozen=True)
class Staff:
    user: StaffUser
    session: SessionData


def console_staff(request: Request, engine: EngineDep, settings: SettingsDep) -> Staff:
    """The logged-in staff member; anyone else is sent to the login page."""
    token = request.cookies.get(SESSION_COOKIE, "")
    data = read_session(settings.secret_key, token, max_age_s=settings.session_hours * 3600)
    user = load_active_user(engine, data.owner) if data else None
    if data is None or user is None:
        raise HTTPException(303, "log in first", headers={"Location": "/console/login"})
    return Staff(user=user, session=data)


StaffDep = Annotated[Staff, Depends(console_staff)]


def _check_csrf(staff: Staff, token: str) -> None:
    if not same_secret(staff.session.csrf, token):
        raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page")


def _page(
    request: Request, staff: Staff, template: str, context: dict[str, Any], **kw: Any
) -> HTMLResponse:
    # Each rendering of an action form names its request: pressing "send" twice (or the
    # browser resending after a timeout) acts once, as the id is the workflow update's id.
    base = {
        "me": staff.user,
        "may": lambda a: may(staff.user, StaffAction(a)),
        "request_id": secrets.token_hex(16),
    }
    return render(request, template, {**base, **context}, csrf=staff.session.csrf, **kw)


# ---- login -------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "console/login.html", {"error": None})


@router.post("/login", response_model=None)
def login(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Check the password (throttled per username and per address), then set the session."""
    language = request_language(request)
    if not anonymous_form_ok(request, csrf_token):
        expired = text(language, Domain.staff, S_("The form expired: please try again."))
        return _login_error(request, expired, 403)
    throttle = app_throttle(request)
    limits = login_limits(settings, username=username, address=client_address(request))
    wait = throttle.retry_after(*limits)
    if wait:
        throttled = S_("Too many failed logins: try again in {seconds} s.")
        message = text(language, Domain.staff, throttled, seconds=wait)
        return _login_error(request, message, 429)
    user = check_password(engine, username, password)
    if user is None:
        throttle.failed(*limits)
        wrong = text(language, Domain.staff, S_("Wrong username or password."))
        return _login_error(request, wrong, 401)
    throttle.succeeded(limits.pair)
    token, _ = new_session(settings.secret_key, user.username, user.token_version)
    response = RedirectResponse("/console", 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/console",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )
    return response


@router.post("/logout")
def logout(
    staff: StaffDep, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Log out everywhere: this cookie and every other session and API token of the user."""
    _check_csrf(staff, csrf_token)
    log_out_everywhere(session=session, username=staff.user.username)
    session.commit()
    response = RedirectResponse("/console/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


def _login_error(request: Request, message: str, status: int) -> HTMLResponse:
    return render(request, "console/login.html", {"error": message}, status_code=status)


# ---- case lists --------------------------------------------------------------------------


@router.get("", response_model=None)
def home(staff: StaffDep, lang: str = "") -> RedirectResponse:
    """The role's own list; a `?lang=` asked for here is carried on, not dropped."""
    chosen = f"&lang={lang}" if lang in {language.value for language in Language} else ""
    return RedirectResponse(f"/console/cases?view={HOME_VIEW[staff.user.role]}{chosen}", 303)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%m-%d %H:%M") if moment else ""


# ---- one case ----------------------------------------------------------------------------


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_page(
    request: Request,
    number: str,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    done: str = "",
) -> HTMLResponse:
    return _case_page(request, staff, session, settings, number, done=done, error=None)


@router.post("/cases/{number}/{action}", response_model=None)
async def case_action(
    request: Request,
    number: str,
    action: str,
    staff: StaffDep,
    engine: EngineDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> Response:
    """Take one action from the case page; a refusal shows the workflow's reason on the page."""
    form = await request.form()
    _check_csrf(staff, str(form.get("csrf_token", "")))
    try:
        chosen = StaffAction(action)
        values = _body(chosen, form)
        if chosen is StaffAction.dispatch:
            values = await run_in_threadpool(dispatch_values, engine, values)
        body = BODIES[chosen].model_validate(values)
    except FieldProblem as exc:
        problem = text(request_language(request), Domain.staff, exc.message, **exc.params)
        return await _case_again(
            request, staff, engine, settings, number, problem, 422, field=exc.field
        )
    except (ValueError, KeyError, ValidationError) as exc:
        return await _case_again(request, staff, engine, settings, number, str(exc), 422)
    try:
        result = await perform(
            engine=engine,
            client=temporal,
            user=staff.user,
            number=number,
            action=chosen,
            body=body,
            request_id=_request_id(form),
        )
    except CaseNotFound as exc:
        message = {"message": _not_found(request, exc)}
        return _page(request, staff, "console/error.html", message, status_code=404)
    except NotPermitted as exc:
        return await _case_again(request, staff, engine, settings, number, exc.message, 403)
    except ActionRefused as exc:
        return await _case_again(request, staff, engine, settings, number, exc.message, 409)
    except ActionOutcomeUnknown as exc:
        return await _case_again(request, staff, engine, settings, number, str(exc), 504)
    except RPCError as exc:
        return await _case_again(request, staff, engine, settings, number, exc.message, 503)
    return RedirectResponse(f"/console/cases/{number}?done={result.status.value}", 303)


def _request_id(form: Any) -> str | None:
    """The form's one-time request id, when it is one we issued (hex); else a fresh one."""
    value = str(form.get("request_id", ""))
    return value if REQUEST_ID.fullmatch(value) else None


def _body(action: StaffAction, form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        key: str(value).strip()
        for key, value in form.items()
        if key not in ("csrf_token", "request_id")
    }
    if action is StaffAction.dispatch:
        assisting = values.get("assisting_unit_codes", "")
        values["assisting_unit_codes"] = [c.strip() for c in assisting.split(",") if c.strip()]
        values["category_code"] = values.get("category_code") or None
    if action in UNIT_ACTIONS:
        values["unit_code"] = values.get("unit_code") or None
    return values


async def _case_again(
    request: Request,
    staff: Staff,
    engine: Engine,
    settings: Settings,
    number: str,
    error: str,
    status: int,
    *,
    field: str | None = None,
) -> HTMLResponse:
    def page() -> HTMLResponse:
        with Session(engine) as session:
            return _case_page(
                request,
                staff,
                session,
                settings,
                number,
                done="",
                error=None if field else error,
                status=status,
                field_errors={field: error} if field else {},
            )

    return await run_in_threadpool(page)


def _case_page(
    request: Request,
    staff: Staff,
    session: Session,
    settings: Settings,
    number: str,
    *,
    done: str,
    error: str | None,
    status: int = 200,
    field_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        case = visible_case(session=session, user=staff.user, number=number)
    except CaseNotFound as exc:
        message = {"message": _not_found(request, exc)}
        return _page(request, staff, "console/error.html", message, status_code=404)
    language = request_language(request)
    view = case_view(
        session=session, case=case, user=staff.user, language=language, zone=settings.timezone
    )
    pending = case.number in pending_extension_numbers(session=session)
    context = {
        **view,
        "case": case_public(session=session, case=case),
        "description": case.description,
        "address": case.address,
        "place": [
            unit
            for code in (case.district_code, case.street_code)
            if code and (unit := session.get(Unit, code)) is not None
        ],
        "category": session.get(Category, case.category_code) if case.category_code else None,
        "lead_unit": session.get(Unit, case.lead_unit_code) if case.lead_unit_code else None,
        "contacts": _contacts(session, case),
        "suggested_unit": suggested_unit(case, view["suggestions"]),
        "actions": _actions(staff.user, case, pending),
        "pending_extension": pending,
        "done": done,
        "error": error,
        "field_errors": field_errors or {},
    }
    return _page(request, staff, "console/case.html", context, status_code=status)


def _not_found(request: Request, exc: CaseNotFound) -> str:
    language = request_language(request)
    return text(language, Domain.staff, S_("No case numbered {number}."), number=exc.number)


def _actions(user: StaffUser, case: Case, pending: bool) -> list[str]:
    wanted = list(NEXT_ACTIONS.get(CaseStatus(case.status), []))
    if pending:
        wanted.append(StaffAction.decide_extension)
    allowed = [a for a in wanted if may(user, a)]
    if own_unit(user) is not None and case.lead_unit_code != own_unit(user):
        allowed = [a for a in allowed if a not in UNIT_ACTIONS]
    return [a.value for a in allowed]


def _contacts(session: Session, case: Case) -> list[CaseContact]:
    """The case's own contacts, each marked proved or as given (staff must tell them apart)."""
    assert case.id is not None
    return case_contacts(session=session, case_id=case.id)


# ---- operator: phone-in requests and the knowledge base ---------------------------------


@router.get("/intake", response_class=HTMLResponse)
def intake_form(
    request: Request, staff: StaffDep, session: SessionDep, kb: str = ""
) -> HTMLResponse:
    _require(staff, StaffAction.intake)
    return _intake_page(request, staff, session, kb=kb, error=None)


@router.post("/intake", response_model=None)
async def intake(
    request: Request,
    staff: StaffDep,
    engine: EngineDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    description: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    intake_key: Annotated[str, Form()] = "",
    category_code: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = RequestType.complaint.value,
    urgency: Annotated[str, Form()] = Urgency.normal.value,
    address: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
) -> Response:
    """Record a phone-in request on the caller's behalf; the operator is the intake's actor."""
    _check_csrf(staff, csrf_token)
    description, address, name, phone, category_code, intake_key = (
        clean(v) for v in (description, address, name, phone, category_code, intake_key)
    )
    _require(staff, StaffAction.intake)
    try:
        value = Intake(
            channel=Channel.voice,
            description=description,
            language=request_language(request),
            type=RequestType(type),
            urgency=Urgency(urgency),
            address=address or None,
            category_code=category_code or None,
            contact=Contact(name=name or None, phone=phone or None),  # as the caller said it
            # The console's own namespace, apart from the CallSids of real calls.
            intake_key=f"console:{intake_key[:64]}" if intake_key else None,
            actor=staff.user.username,
        )
        accepted = await run_in_threadpool(
            lambda: accept_intake(engine=engine, intake=value, settings=settings)
        )
    except (IntakeRejected, ValidationError, ValueError) as exc:
        problem = str(exc)

        def page() -> HTMLResponse:
            with Session(engine) as session:
                return _intake_page(request, staff, session, kb="", error=problem, status=422)

        return await run_in_threadpool(page)
    await start_case_workflow(client=temporal, settings=settings, case=accepted.case)
    return RedirectResponse(f"/console/cases/{accepted.case.number}", 303)


def _intake_page(
    request: Request,
    staff: Staff,
    session: Session,
    *,
    kb: str,
    error: str | None,
    status: int = 200,
) -> HTMLResponse:
    catalog, _ = catalog_groups(session, request_language(request))
    answers = search_categories(session=session, text=kb, leaves_only=True, limit=20) if kb else []
    context = {
        "catalog": catalog,
        "q": "",
        "matches": [],
        "selected": "",
        "kb": kb,
        "answers": answers,
        "types": [t.value for t in RequestType],
        "intake_key": uuid.uuid4().hex,
        "error": error,
    }
    return _page(request, staff, "console/intake.html", context, status_code=status)


def _require(staff: Staff, action: StaffAction) -> None:
    try:
        require(staff.user, action)
    except NotPermitted as exc:
        raise HTTPException(403, exc.message) from exc
