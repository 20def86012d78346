"""Requests in: the intake endpoint for integrations and anonymous web clients.

Channel adapters (SMS, voice, Telegram, the web form) call the intake service in-process; this
door is for other systems. With an integration key (`X-API-Key`, issued by `hotline apikey
create NAME --channel CHANNEL`, stored hashed) a request is filed as that key's channel and
actor, and its `intake_key` lives in the key's own namespace. Without one it is an anonymous
web request: channel `web`, actor `citizen`, a server-made key. Contacts given here are never
proved (see `intake.citizens`). Reading cases needs a staff token (`api/routes/staff.py`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep, SettingsDep, TemporalDep
from core.settings import Settings
from intake.flows import start_case_workflow
from intake.schemas import Intake, RequestSubmission
from intake.service import Accepted, accept_intake
from models.api_key import ApiKeyPublic, authenticate
from models.case import Case, RequestReceipt
from models.enums import Channel, Urgency

router = APIRouter(prefix="/api/v1", tags=["cases"])
ANONYMOUS_ACTOR = "citizen"


@router.post("/requests", response_model=RequestReceipt, status_code=201)
async def submit_request(
    submission: RequestSubmission,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    x_api_key: Annotated[str | None, Header(description="An integration's key.")] = None,
) -> RequestReceipt:
    """Accept a request; an integration's same intake_key twice answers the first case number.

    The case is recorded before its workflow starts; if Temporal is down the answer is 503 and
    repeating the same request (same intake_key) starts the workflow of the recorded case.
    """
    accepted = await run_in_threadpool(
        lambda: record_request(
            engine=engine, settings=settings, submission=submission, secret=x_api_key
        )
    )
    await start_case_workflow(client=temporal, settings=settings, case=accepted.case)
    if not accepted.created:
        response.status_code = 200
    return receipt(accepted.case)


def record_request(
    *, engine: Engine, settings: Settings, submission: RequestSubmission, secret: str | None
) -> Accepted:
    """The key check and the intake in one hop to the thread pool (each hop costs about as
    much as a query under load); raises 401 for a key that is not valid."""
    client = None
    if secret is not None:
        client = authenticate(engine=engine, secret=secret)
        if client is None:
            raise HTTPException(401, "X-API-Key is not valid (unknown or revoked)")
    intake = request_intake(submission, client)
    return accept_intake(engine=engine, intake=intake, settings=settings)


def receipt(case: Case) -> RequestReceipt:
    return RequestReceipt(number=case.number, status=case.status, created_at=case.created_at)


def request_intake(submission: RequestSubmission, client: ApiKeyPublic | None) -> Intake:
    """The channel, actor and key namespace the caller is entitled to, never what it claims."""
    channel = client.channel if client is not None else Channel.web
    if submission.channel is not None and submission.channel is not channel:
        who = f"the key of {client.name}" if client is not None else "an anonymous request"
        raise HTTPException(
            403, f"{who} files requests as channel '{channel.value}', not '{submission.channel}'"
        )
    if client is None and submission.intake_key is not None:
        raise HTTPException(403, "intake_key needs an integration key (X-API-Key)")
    if client is None and submission.urgency not in (None, Urgency.normal):
        raise HTTPException(403, "urgency is set by the dispatch centre or an integration")
    fields = submission.model_dump(exclude={"channel", "urgency", "intake_key"})
    return Intake(
        **fields,
        channel=channel,
        urgency=submission.urgency or Urgency.normal,
        intake_key=(
            f"k{client.id}:{submission.intake_key}"
            if client is not None and submission.intake_key is not None
            else f"anon:{uuid.uuid4().hex}"
            if client is None
            else None
        ),
        actor=f"api:{client.name}"[:120] if client is not None else ANONYMOUS_ACTOR,
    )
