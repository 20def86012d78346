"""Staff API: log in, list and read cases, and every staff action of the case workflow.

Every route but the token endpoint needs a bearer token. A unit handler sees and acts on their
own unit's cases only; other cases answer 404. Actions are Temporal updates: the workflow's
validators decide, and a refusal comes back as 409 with the workflow's message.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from temporalio.service import RPCError

from api.auth import CurrentStaff, check_password, client_address
from api.deps import EngineDep, IdempotencyKey, SessionDep, SettingsDep, TemporalDep
from api.staff_actions import (
    CODE,
    AnswerIn,
    DecisionIn,
    DispatchIn,
    ExtensionIn,
    MergeIn,
    OverruleIn,
    ResolveIn,
    ReturnIn,
    UnitActionIn,
    perform,
    visible_case,
)
from auth.roles import NotPermitted, StaffAction, actions_for, own_unit
from auth.throttle import app_throttle, login_limits
from auth.tokens import issue_api_token
from auth.users import log_out_everywhere
from core.clock import utcnow
from models.case import CasePublic, CasesPublic
from models.enums import CaseStatus
from models.event import CaseEventPublic
from models.queues import find_cases, pending_extension_numbers
from models.service import case_public, timeline
from models.staff import StaffUser, StaffUserPublic
from workflows.actions import ActionOutcomeUnknown, ActionRefused
from workflows.types import ActionResult

router = APIRouter(prefix="/api/v1", tags=["staff"])

ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid bearer token."},
    403: {"description": "The user's role may not take this action."},
    404: {"description": "No such case, or another unit's case."},
    409: {"description": "The case workflow refused the action (its message says why)."},
    503: {"description": "Temporal is not reachable."},
}


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds


class Me(StaffUserPublic):
    actions: list[StaffAction]


class CaseDetail(BaseModel):
    case: CasePublic
    timeline: list[CaseEventPublic]


class ActionOut(BaseModel):
    number: str
    status: CaseStatus


@router.post("/auth/token", response_model=Token, responses={401: {}, 429: {}})
def login(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange a staff username and password for a bearer token (OAuth2 password flow)."""
    throttle = app_throttle(request)
    limits = login_limits(settings, username=form.username, address=client_address(request))
    wait = throttle.retry_after(*limits)
    if wait:
        raise HTTPException(
            429, f"too many failed logins: try again in {wait} s", {"Retry-After": str(wait)}
        )
    user = check_password(engine, form.username, form.password)
    if user is None:
        throttle.failed(*limits)
        raise HTTPException(401, "wrong username or password", {"WWW-Authenticate": "Bearer"})
    throttle.succeeded(limits.pair)
    return Token(
        access_token=issue_api_token(settings.secret_key, user.username, user.token_version),
        expires_in=int(settings.api_token_hours * 3600),
    )


@router.post("/auth/logout", status_code=204, responses={401: ERRORS[401]})
def logout(session: SessionDep, user: CurrentStaff) -> None:
    """Log out everywhere: this token and every other token and console session of the user."""
    log_out_everywhere(session=session, username=user.username)
    session.commit()


@router.get("/me", response_model=Me, responses={401: ERRORS[401]})
def me(user: CurrentStaff) -> Me:
    """Who the token belongs to and which actions their role allows."""
    return Me.model_validate(user, update={"actions": actions_for(user)})


@router.get("/cases", response_model=CasesPublic, responses={401: ERRORS[401], 403: ERRORS[403]})
def read_cases(
    session: SessionDep,
    user: CurrentStaff,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    unit: str | None = Query(default=None, pattern=CODE),
    category: str | None = Query(
        default=None, pattern=CODE, description="A category code or its prefix."
    ),
    supervised: bool | None = None,
    overdue: bool = Query(default=False, description="Only cases past a unit deadline now."),
    pending_extension: bool = Query(default=False, description="Only extension requests."),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),  # beyond: a bigint overflow
    limit: int = Query(default=50, ge=1, le=500),
) -> CasesPublic:
    """List cases, newest first; a unit handler gets their own unit's cases only."""
    unit = _unit_scope(user, unit)
    numbers = pending_extension_numbers(session=session) if pending_extension else None
    return find_cases(
        session=session,
        statuses=status,
        unit_code=unit,
        category_code=category,
        supervised=supervised,
        overdue_at=utcnow() if overdue else None,
        numbers=numbers,
        offset=offset,
        limit=limit,
    )


@router.get("/cases/{number}", response_model=CaseDetail, responses=ERRORS)
def read_case(number: str, session: SessionDep, user: CurrentStaff) -> CaseDetail:
    """One case with its whole timeline (every event, with the staff member who acted)."""
    case = visible_case(session=session, user=user, number=number)
    return CaseDetail(
        case=case_public(session=session, case=case),
        timeline=timeline(session=session, case=case),
    )


async def _act(
    engine: EngineDep,
    temporal: TemporalDep,
    user: StaffUser,
    number: str,
    action: StaffAction,
    body: BaseModel,
    key: str | None = None,
) -> ActionOut:
    try:
        result: ActionResult = await perform(
            engine=engine,
            client=temporal,
            user=user,
            number=number,
            action=action,
            body=body,
            request_id=key,
        )
    except NotPermitted as exc:
        raise HTTPException(403, exc.message) from exc
    except ActionRefused as exc:
        raise HTTPException(409, exc.message) from exc
    except ActionOutcomeUnknown as exc:
        raise HTTPException(504, str(exc)) from exc
    except RPCError as exc:
        raise HTTPException(503, f"the case workflow is not reachable: {exc.message}") from exc
    return ActionOut(number=result.number, status=result.status)


@router.post("/cases/{number}/dispatch", response_model=ActionOut, responses=ERRORS)
async def dispatch(
    number: str,
    body: DispatchIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """派单: send the case to a lead unit (and assisting units)."""
    return await _act(engine, temporal, user, number, StaffAction.dispatch, body, key)


@router.post("/cases/{number}/acknowledge", response_model=ActionOut, responses=ERRORS)
async def acknowledge(
    number: str,
    body: UnitActionIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """签收: the unit accepts the case."""
    return await _act(engine, temporal, user, number, StaffAction.acknowledge, body, key)


@router.post("/cases/{number}/return", response_model=ActionOut, responses=ERRORS)
async def return_case(
    number: str,
    body: ReturnIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """退单: the unit hands the case back to the dispatch centre, with a reason."""
    return await _act(engine, temporal, user, number, StaffAction.return_case, body, key)


@router.post("/cases/{number}/overrule", response_model=ActionOut, responses=ERRORS)
async def overrule(
    number: str,
    body: OverruleIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """Reject a return: the case goes back to the same unit."""
    return await _act(engine, temporal, user, number, StaffAction.overrule, body, key)


@router.post("/cases/{number}/respond", response_model=ActionOut, responses=ERRORS)
async def respond(
    number: str,
    body: UnitActionIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """响应: the unit has contacted the citizen."""
    return await _act(engine, temporal, user, number, StaffAction.respond, body, key)


@router.post("/cases/{number}/extension", response_model=ActionOut, responses=ERRORS)
async def request_extension(
    number: str,
    body: ExtensionIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """延期: ask for more working days."""
    return await _act(engine, temporal, user, number, StaffAction.extend, body, key)


@router.post("/cases/{number}/extension/decision", response_model=ActionOut, responses=ERRORS)
async def decide_extension(
    number: str,
    body: DecisionIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """Approve or reject the pending extension request."""
    return await _act(engine, temporal, user, number, StaffAction.decide_extension, body, key)


@router.post("/cases/{number}/resolve", response_model=ActionOut, responses=ERRORS)
async def resolve(
    number: str,
    body: ResolveIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """办结: the unit's reply to the citizen."""
    return await _act(engine, temporal, user, number, StaffAction.resolve, body, key)


@router.post("/cases/{number}/answer", response_model=ActionOut, responses=ERRORS)
async def answer(
    number: str,
    body: AnswerIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """直接答复: answer a consultation directly, without a unit."""
    return await _act(engine, temporal, user, number, StaffAction.answer, body, key)


@router.post("/cases/{number}/merge", response_model=ActionOut, responses=ERRORS)
async def merge(
    number: str,
    body: MergeIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """Close this case as a duplicate of another, open case."""
    return await _act(engine, temporal, user, number, StaffAction.merge, body, key)


def _unit_scope(user: StaffUser, requested: str | None) -> str | None:
    mine = own_unit(user)
    if mine is None:
        return requested
    if requested is not None and requested != mine:
        raise HTTPException(403, f"you see unit {mine}'s cases only, not {requested}'s")
    return mine
