"""Start the workflows of cases that were recorded while Temporal was unreachable.

Intake commits the case first and starts its workflow second. When Temporal is down in
between, web and Open311 callers get 503 and retry, but a phone call or a Telegram
conversation cannot retry: without this sweep such a case would sit in `accepted` with no
deadlines running. Workers run the sweep every `reconcile_interval_s`; starting is
idempotent (workflow id = case number), so several workers sweeping at once is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.clock import utcnow
from core.settings import Settings
from intake.flows import start_case_workflow
from models.case import Case
from models.enums import CaseStatus

log = logging.getLogger("hotline.reconcile")


def _candidates(
    engine: Engine, *, min_age: timedelta, max_age: timedelta, limit: int
) -> list[Case]:
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.exec(
                select(Case)
                .where(
                    Case.status == CaseStatus.accepted,
                    col(Case.created_at) <= now - min_age,
                    col(Case.created_at) >= now - max_age,
                )
                .order_by(col(Case.created_at))
                .limit(limit)
            ).all()
        )


async def start_stranded_workflows(
    *,
    client: Client,
    settings: Settings,
    engine: Engine,
    min_age: timedelta = timedelta(seconds=60),
    max_age: timedelta = timedelta(days=2),
    limit: int = 500,
) -> list[str]:
    """The numbers of the cases whose workflow this call started."""
    cases = await asyncio.to_thread(
        _candidates, engine, min_age=min_age, max_age=max_age, limit=limit
    )
    started: list[str] = []
    for case in cases:
        try:
            await client.get_workflow_handle(case.number).describe()
            continue  # running (or waiting for a dispatcher): nothing to do
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
        await start_case_workflow(client=client, settings=settings, case=case)
        log.warning("started the workflow of case %s, recorded without one", case.number)
        started.append(case.number)
    return started


async def sweep_forever(*, client: Client, settings: Settings, engine: Engine) -> None:
    """The worker's background sweep; a failed sweep is logged and tried again next time."""
    while True:
        await asyncio.sleep(settings.reconcile_interval_s)
        try:
            await start_stranded_workflows(client=client, settings=settings, engine=engine)
        except Exception:  # noqa: BLE001 - Temporal or the database away: next round
            log.exception("sweep for cases without a workflow failed; retrying next round")
