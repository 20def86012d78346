"""Staff actions with their role checks, shared by the staff API and the console.

The order is the same for every action and every door: the case must exist and be visible to
the user (a unit handler sees only their unit's cases, and another unit's case is "not found"
rather than "forbidden", so its existence does not leak), the user's role must allow the
action, a unit action is taken for the handler's own unit, a reply to an English-line case is
English (`api.reply_language`), and then the case workflow's validators decide. The staff
username is the actor the workflow records on the timeline.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, field_validator
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.reply_language import reply_language_problem
from auth.roles import StaffAction, acting_unit, can_see, require
from intake.withdrawal import NotWithdrawable, withdraw_case
from models.case import Case
from models.enums import CaseStatus, Language
from models.service import CaseNotFound, get_case_or_raise
from models.staff import StaffUser
from workflows.actions import ActionRefused, CaseClosedToActions, act, update_id_for
from workflows.case import CaseWorkflow
from workflows.types import (
    ActionResult,
    AnswerDirectly,
    Dispatch,
    ExtensionDecision,
    ExtensionRequest,
    Merge,
    Overrule,
    Redispatch,
    Resolve,
    ReturnCase,
    Supervise,
    UnitAction,
    Urge,
)

TEXT = 4000
CASE_NUMBER = r"^[0-9]{8}-[0-9]{6}$"
CODE = r"^[0-9A-Za-z._-]{1,32}$"
_CASE_NUMBER = re.compile(CASE_NUMBER)


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text and JSON; refused here, it never reaches the workflow.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul), Field(max_length=TEXT)]
Code = Annotated[str, Field(pattern=CODE)]


class DispatchIn(BaseModel):
    unit_code: Code = Field(description="The lead unit (主办).")
    assisting_unit_codes: list[Code] = Field(default_factory=list, max_length=10)
    category_code: Code | None = None
    note: Text = ""


class UnitActionIn(BaseModel):
    unit_code: Code | None = Field(
        default=None, description="Only for admins; a unit handler acts for their own unit."
    )
    note: Text = ""


class ReturnIn(BaseModel):
    unit_code: Code | None = None
    reason: Text


class OverruleIn(BaseModel):
    reason: Text


class ExtensionIn(BaseModel):
    unit_code: Code | None = None
    working_days: int = Field(ge=1, le=365)
    reason: Text


class DecisionIn(BaseModel):
    approve: bool
    note: Text = ""


class ResolveIn(BaseModel):
    unit_code: Code | None = None
    reply: Text


class AnswerIn(BaseModel):
    reply: Text


class MergeIn(BaseModel):
    master_number: str = Field(pattern=CASE_NUMBER)


class SuperviseIn(BaseModel):
    note: Text = Field(description="Why the case is supervised; the unit reads it.")


class UrgeIn(BaseModel):
    note: Text = Field(description="What the unit must do now; sent to the unit.")


class RedispatchIn(BaseModel):
    unit_code: Code = Field(description="The unit that takes the case over.")
    reason: Text


class WithdrawIn(BaseModel):
    reason: Text = Field(
        min_length=1, description="Why the citizen withdraws, as they said it (recorded)."
    )

    @field_validator("reason")
    @classmethod
    def _said_something(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a withdrawal needs the citizen's reason")
        return value.strip()


# Which body each action takes; the console builds the same bodies from its forms.
BODIES: dict[StaffAction, type[BaseModel]] = {
    StaffAction.dispatch: DispatchIn,
    StaffAction.acknowledge: UnitActionIn,
    StaffAction.return_case: ReturnIn,
    StaffAction.overrule: OverruleIn,
    StaffAction.respond: UnitActionIn,
    StaffAction.extend: ExtensionIn,
    StaffAction.decide_extension: DecisionIn,
    StaffAction.resolve: ResolveIn,
    StaffAction.answer: AnswerIn,
    StaffAction.merge: MergeIn,
    StaffAction.supervise: SuperviseIn,
    StaffAction.urge: UrgeIn,
    StaffAction.redispatch: RedispatchIn,
    StaffAction.withdraw: WithdrawIn,
}


def visible_case(*, session: Session, user: StaffUser, number: str) -> Case:
    """The case, or CaseNotFound when it does not exist or is another unit's."""
    if not _CASE_NUMBER.match(number):
        raise CaseNotFound(number)
    case = get_case_or_raise(session=session, number=number)
    if not can_see(user, case):
        raise CaseNotFound(number)
    return case


async def perform(
    *,
    engine: Engine,
    client: Client,
    user: StaffUser,
    number: str,
    action: StaffAction,
    body: BaseModel,
    request_id: str | None = None,
) -> ActionResult:
    """Check, then send the action to the case's workflow as `user`.

    `request_id` names the request (an Idempotency-Key, a form's one-time token): the same id
    sent twice acts once (workflows/actions.py).

    Raises CaseNotFound, auth.roles.NotPermitted, workflows.actions.ActionRefused.
    """

    def load() -> Case:
        with Session(engine) as session:
            return visible_case(session=session, user=user, number=number)

    case = await run_in_threadpool(load)
    require(user, action)
    if action is StaffAction.withdraw:
        return await _withdraw(engine, client, user, case, body)
    _check_reply_language(case, action, body)
    update, argument = _message(action, user, case, body)
    update_id = update_id_for(number, update, request_id)
    return await act(
        client=client, number=number, update=update, argument=argument, update_id=update_id
    )


async def _withdraw(
    engine: Engine, client: Client, user: StaffUser, case: Case, body: Any
) -> ActionResult:
    """撤回 on the citizen's behalf: a signal, not an update, so the status is checked first."""
    try:
        row = await withdraw_case(
            client=client,
            engine=engine,
            number=case.number,
            reason=body.reason,
            asker=None,
            actor=user.username,
        )
    except NotWithdrawable as exc:
        raise ActionRefused(case.number, str(exc)) from exc
    except CaseNotFound as exc:
        raise CaseClosedToActions(case.number, f"case {case.number} is over") from exc
    return ActionResult(number=row.number, status=CaseStatus(row.status))


def _check_reply_language(case: Case, action: StaffAction, body: BaseModel) -> None:
    """英文专线: the reply an English-line citizen receives must be English (any door)."""
    if action not in (StaffAction.resolve, StaffAction.answer):
        return
    reply = str(getattr(body, "reply", ""))
    if not reply.strip():
        return  # the workflow says a reply is needed at all
    problem = reply_language_problem(
        number=case.number, language=Language(case.language), reply=reply
    )
    if problem is not None:
        raise ActionRefused(case.number, problem)


def _message(action: StaffAction, user: StaffUser, case: Case, body: Any) -> tuple[Any, Any]:
    actor = user.username
    if action is StaffAction.dispatch:
        return CaseWorkflow.dispatch, Dispatch(
            actor, body.unit_code, list(body.assisting_unit_codes), body.category_code, body.note
        )
    if action is StaffAction.overrule:
        return CaseWorkflow.overrule_return, Overrule(actor, body.reason)
    if action is StaffAction.decide_extension:
        return CaseWorkflow.decide_extension, ExtensionDecision(actor, body.approve, body.note)
    if action is StaffAction.answer:
        return CaseWorkflow.answer_directly, AnswerDirectly(actor, body.reply)
    if action is StaffAction.merge:
        return CaseWorkflow.merge, Merge(actor, body.master_number)
    if action is StaffAction.supervise:
        return CaseWorkflow.supervise, Supervise(actor, body.note)
    if action is StaffAction.urge:
        return CaseWorkflow.urge, Urge(actor, body.note)
    if action is StaffAction.redispatch:
        return CaseWorkflow.redispatch, Redispatch(actor, body.unit_code, body.reason)
    unit = acting_unit(user, case, body.unit_code)
    if action is StaffAction.acknowledge:
        return CaseWorkflow.acknowledge, UnitAction(actor, unit, body.note)
    if action is StaffAction.respond:
        return CaseWorkflow.respond, UnitAction(actor, unit, body.note)
    if action is StaffAction.return_case:
        return CaseWorkflow.return_case, ReturnCase(actor, unit, body.reason)
    if action is StaffAction.extend:
        return CaseWorkflow.request_extension, ExtensionRequest(
            actor, unit, body.working_days, body.reason
        )
    if action is StaffAction.resolve:
        return CaseWorkflow.resolve, Resolve(actor, unit, body.reply)
    raise ValueError(f"'{action.value}' is not a workflow action")
