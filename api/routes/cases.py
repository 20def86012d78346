"""Requests in, cases out: the intake endpoint every channel adapter and form can post to.

It stays open (citizens and channel adapters post here); reading cases needs a staff token
(`api/routes/staff.py`).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep, SettingsDep, TemporalDep
from intake.flows import start_case_workflow
from intake.schemas import Intake
from intake.service import accept_intake
from models.case import CasePublic
from models.service import case_public, get_case_or_raise

router = APIRouter(prefix="/api/v1", tags=["cases"])


@router.post("/requests", response_model=CasePublic, status_code=201)
async def submit_request(
    intake: Intake,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> CasePublic:
    """Accept a citizen's request; the same channel and intake_key twice returns the first case.

    The case is recorded before its workflow starts; if Temporal is down the answer is 503 and
    repeating the same request (same intake_key) starts the workflow of the recorded case.
    """
    accepted = await run_in_threadpool(
        lambda: accept_intake(engine=engine, intake=intake, settings=settings)
    )
    await start_case_workflow(client=temporal, settings=settings, case=accepted.case)
    if not accepted.created:
        response.status_code = 200
    return await run_in_threadpool(_public, engine, accepted.case.number)


def _public(engine: Engine, number: str) -> CasePublic:
    with Session(engine) as session:
        case = get_case_or_raise(session=session, number=number)
        return case_public(session=session, case=case)
