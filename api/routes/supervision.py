"""Supervisor actions on a case: 督办 (flag with a note), 催办 (urge the unit), 改派 (re-dispatch).

The same door as every staff action (`api/staff_actions.py`): the case must be visible, the
role must allow the action (supervisors and admins, `auth.roles.ALLOWED`), then the case
workflow's validators decide; a refusal is 409 with the workflow's message.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentStaff
from api.deps import EngineDep, IdempotencyKey, TemporalDep
from api.routes.staff import ERRORS, ActionOut, _act
from api.staff_actions import RedispatchIn, SuperviseIn, UrgeIn
from auth.roles import StaffAction

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.post("/cases/{number}/supervise", response_model=ActionOut, responses=ERRORS)
async def supervise(
    number: str,
    body: SuperviseIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """督办: flag the case for supervision with a note the unit reads on the case."""
    return await _act(engine, temporal, user, number, StaffAction.supervise, body, key)


@router.post("/cases/{number}/urge", response_model=ActionOut, responses=ERRORS)
async def urge(
    number: str,
    body: UrgeIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """催办: urge the unit holding the case; the unit gets a notice and the case is flagged."""
    return await _act(engine, temporal, user, number, StaffAction.urge, body, key)


@router.post("/cases/{number}/redispatch", response_model=ActionOut, responses=ERRORS)
async def redispatch(
    number: str,
    body: RedispatchIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """改派: move a case a unit holds to another unit; its deadlines start again."""
    return await _act(engine, temporal, user, number, StaffAction.redispatch, body, key)
