"""撤回 on the citizen's behalf: a citizen who calls or writes to withdraw, recorded by staff.

The same door as every staff action (`api/staff_actions.py`): the case must be visible, the
role must allow it (operator, dispatcher, supervisor, admin; never a unit handler), the
reason is required; a case already answered or over is 409.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentStaff
from api.deps import EngineDep, IdempotencyKey, TemporalDep
from api.routes.staff import ERRORS, ActionOut, _act
from api.staff_actions import WithdrawIn
from auth.roles import StaffAction

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.post("/cases/{number}/withdraw", response_model=ActionOut, responses=ERRORS)
async def withdraw(
    number: str,
    body: WithdrawIn,
    user: CurrentStaff,
    engine: EngineDep,
    temporal: TemporalDep,
    key: IdempotencyKey = None,
) -> ActionOut:
    """撤回: withdraw the case for its citizen, with their reason; the unit and citizen are told."""
    return await _act(engine, temporal, user, number, StaffAction.withdraw, body, key)
